-- Reports (`Flag`) other servers sent about actors or posts: who sent them (usually their instance actor), the
-- objects named (capped), the comment (bounded), and whether an admin resolved them.
CREATE TABLE reports (
    id bigserial PRIMARY KEY,
    activity_id text NOT NULL,
    reporter text NOT NULL,
    domain text NOT NULL,
    objects text[] NOT NULL,
    content text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    UNIQUE (activity_id, reporter)
);
CREATE INDEX reports_open ON reports (id) WHERE resolved_at IS NULL;
