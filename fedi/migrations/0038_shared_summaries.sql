-- The last summary of each figure sent to our peers, and to whom: a summary unchanged since is not sent again.
-- Without it, a summary received from a peer ran our consensus, which sent ours back, unchanged, which ran the
-- peer's, and so on without end between any two peers.
CREATE TABLE shared_summaries (
    figure_uri text PRIMARY KEY,
    value double precision NOT NULL,
    low double precision NOT NULL,
    high double precision NOT NULL,
    weight double precision NOT NULL,
    count integer NOT NULL,
    version integer,
    recipients text[] NOT NULL,
    shared_at timestamptz NOT NULL DEFAULT now()
);
