-- Remote actors as last fetched; `gone` once they were deleted (their ids never come back).
CREATE TABLE remote_actors (
    uri text PRIMARY KEY,
    domain text NOT NULL,
    inbox text NOT NULL,
    shared_inbox text,
    followers text,
    preferred_username text,
    document jsonb NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    gone_at timestamptz
);
CREATE INDEX remote_actors_domain ON remote_actors (domain);

-- Public keys of remote actors by key id, with the actor that owns them.
CREATE TABLE remote_keys (
    key_id text PRIMARY KEY,
    owner text NOT NULL,
    material text NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_keys_owner ON remote_keys (owner);

-- Every activity accepted by an inbox, once (deduplicated by id), kept as received.
CREATE TABLE inbox_activities (
    id bigserial PRIMARY KEY,
    activity_id text NOT NULL UNIQUE,
    actor text NOT NULL,
    type text NOT NULL,
    document jsonb NOT NULL,
    signer text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    outcome text
);
CREATE INDEX inbox_activities_actor ON inbox_activities (actor);

-- What each local actor received (its home timeline and notifications).
CREATE TABLE inbox_items (
    actor_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    activity bigint NOT NULL REFERENCES inbox_activities (id) ON DELETE CASCADE,
    PRIMARY KEY (actor_id, activity)
);

-- Objects (notes) from elsewhere, latest version; a Delete leaves a tombstone.
CREATE TABLE remote_objects (
    uri text PRIMARY KEY,
    attributed_to text NOT NULL,
    type text NOT NULL,
    document jsonb NOT NULL,
    in_reply_to text,
    updated_at timestamptz,
    deleted_at timestamptz,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_objects_reply ON remote_objects (in_reply_to) WHERE in_reply_to IS NOT NULL;

-- Likes and boosts of local objects, kept for the consensus.
CREATE TABLE reactions (
    activity_id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('like', 'announce')),
    actor text NOT NULL,
    object text NOT NULL,
    document jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reactions_object ON reactions (object);

-- Objects published here, served at their id with the audience's access rule.
CREATE TABLE local_objects (
    uri text PRIMARY KEY,
    actor_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    audience text NOT NULL CHECK (audience IN ('public', 'followers', 'direct')),
    document jsonb NOT NULL,
    published timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);

ALTER TABLE follows ADD COLUMN document jsonb;
ALTER TABLE outbox ADD COLUMN fanned_out_at timestamptz;

-- One row per (activity, destination inbox): the durable record of a delivery.
CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    activity_id text NOT NULL,
    inbox text NOT NULL,
    domain text NOT NULL,
    signer bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_pending ON deliveries (state) WHERE state = 'pending';

-- Per-host health: the circuit breaker and the record of unreachable domains.
CREATE TABLE hosts (
    domain text PRIMARY KEY,
    consecutive_failures integer NOT NULL DEFAULT 0,
    first_failure_at timestamptz,
    last_failure_at timestamptz,
    last_success_at timestamptz,
    open_until timestamptz
);

-- Where to deliver to a follower, captured when the follow arrives (shared inbox preferred at fan-out).
ALTER TABLE follows ADD COLUMN follower_inbox text;
ALTER TABLE follows ADD COLUMN follower_shared_inbox text;
