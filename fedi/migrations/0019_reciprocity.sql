-- The reciprocity ledger: one row per contribution or consultation, never updated but for `moved`, so that every
-- count can be recomputed from what happened and checked against the activities exchanged. `actor` is NULL when
-- only the server is known (a delivery to a shared inbox without a known follower); `domain` is always known.
-- `object` is what the event is about: the figure, the request answered, the claim's reference (its activity id),
-- the source URL; `activity` is the delivered activity. `moved` says, for a correction, whether the next consensus
-- computation moved towards it (NULL until then).
CREATE TABLE reciprocity_events (
    id bigserial PRIMARY KEY,
    group_uri text NOT NULL,
    actor text,
    domain text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('published', 'answered', 'endorsed', 'corrected', 'source', 'delivered',
        'fetched', 'read')),
    object text,
    activity text,
    moved boolean,
    at timestamptz NOT NULL,
    CHECK (moved IS NULL OR kind = 'corrected')
);
CREATE INDEX reciprocity_events_actor ON reciprocity_events (actor, at);
CREATE INDEX reciprocity_events_domain ON reciprocity_events (domain, at);
CREATE INDEX reciprocity_events_group ON reciprocity_events (group_uri, at);

-- What can be recorded twice (a claim that arrives again, an answer replayed, a fan-out repeated after a crash) is
-- recorded once: a contribution by its author and object; a source once per group, by whoever used it first; a
-- delivery once per recipient, object and activity. Fetches and API reads are each a new consultation.
CREATE UNIQUE INDEX reciprocity_events_contribution
    ON reciprocity_events (kind, coalesce(actor, ''), domain, object)
    WHERE kind IN ('published', 'answered', 'endorsed', 'corrected');
CREATE UNIQUE INDEX reciprocity_events_source ON reciprocity_events (group_uri, object) WHERE kind = 'source';
CREATE UNIQUE INDEX reciprocity_events_delivery
    ON reciprocity_events (coalesce(actor, ''), domain, object, activity) WHERE kind = 'delivered';
