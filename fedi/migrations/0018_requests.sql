-- Requests for figures: someone asks a group for a figure, whoever finds it answers with a value and a source, and
-- the answer becomes a figure of the group (answer_uri). The request is a Note the group sends (uri); asker_note is
-- the asker's own post when the request came from the fediverse, unique so that a post delivered twice asks once.
-- A request open for long is "stale": that is read from created_at, never stored.
CREATE TABLE requests (
    id bigserial PRIMARY KEY,
    uri text NOT NULL UNIQUE,
    group_uri text NOT NULL,
    group_id bigint REFERENCES actors (id) ON DELETE CASCADE,
    asker text NOT NULL,
    measures text NOT NULL,
    place text,
    period text,
    unit text,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    created_at timestamptz NOT NULL,
    answered_at timestamptz,
    answer_uri text,
    asker_note text UNIQUE,
    closed_at timestamptz,
    CHECK ((status = 'answered') = (answer_uri IS NOT NULL AND answered_at IS NOT NULL))
);
CREATE INDEX requests_group ON requests (group_uri, status, created_at);
