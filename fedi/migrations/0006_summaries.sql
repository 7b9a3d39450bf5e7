-- Per-origin consensus summaries from peer instances (mode B): the latest per (figure, origin) replaces the rest.
CREATE TABLE summaries (
    figure_uri text NOT NULL,
    origin text NOT NULL,
    value double precision NOT NULL,
    low double precision NOT NULL,
    high double precision NOT NULL,
    weight double precision NOT NULL,
    count integer NOT NULL,
    version integer,
    made_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (figure_uri, origin)
);
