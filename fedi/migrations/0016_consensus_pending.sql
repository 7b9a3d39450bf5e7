-- Figures whose consensus awaits a computation, with a generation that every new or withdrawn claim raises (in the
-- claim's own transaction). A consensus job removes the row only at the generation it computed; when claims
-- arrived meanwhile the row stays and the job computes again, so that a burst of claims on one figure becomes one
-- job taking them all, and none is left out. A claim that finds no row queues the job.
CREATE TABLE consensus_pending (
    figure_uri text PRIMARY KEY,
    generation bigint NOT NULL DEFAULT 1
);
