-- Each consensus change this instance published for a figure, so that its page can draw the consensus over time:
-- the `consensus` row holds only the latest one.
CREATE TABLE consensus_history (
    id bigserial PRIMARY KEY,
    figure_uri text NOT NULL,
    at timestamptz NOT NULL,
    status text NOT NULL,
    value double precision NOT NULL,
    low double precision NOT NULL,
    high double precision NOT NULL
);
CREATE INDEX consensus_history_figure ON consensus_history (figure_uri, at);
