-- Periodic work (the batch consensus, the charter's enforcement) runs in every worker's loop, but once across
-- them: a worker runs a pass only after taking its row here, until held_until, which it renews while it runs.
CREATE TABLE periodic_leases (
    name text PRIMARY KEY,
    held_until timestamptz NOT NULL,
    held_by text NOT NULL
);
