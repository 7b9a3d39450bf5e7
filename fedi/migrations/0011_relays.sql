-- The claim a group last relayed for each actor and figure, and when: a group relays one claim per actor and figure
-- per window, and an actor's claims on a bounded number of its figures an hour (inbox/relay.py).
CREATE TABLE relays (
    group_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    actor text NOT NULL,
    figure_uri text NOT NULL,
    reference text NOT NULL,
    relayed_at timestamptz NOT NULL,
    PRIMARY KEY (group_id, actor, figure_uri)
);
CREATE INDEX relays_recent ON relays (group_id, actor, relayed_at);
