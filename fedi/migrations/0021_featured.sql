-- What an actor pins to its profile (the `featured` collection Mastodon shows at the top of an account): for a
-- group, its "ask here" post, whose replies are requests for figures. One post per purpose and actor, so pinning
-- again finds the post already pinned instead of sending a second one.
CREATE TABLE featured (
    actor_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    uri text NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('ask')),
    pinned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, uri)
);
CREATE UNIQUE INDEX featured_purpose ON featured (actor_id, purpose);
CREATE INDEX featured_uri ON featured (uri);
