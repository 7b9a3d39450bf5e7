-- The newest standing claim of a figure in one index step: a figure's page and chart are kept until it changes,
-- and asking must not cost a scan of every claim (the partial index of 0004 does not hold the id).
CREATE INDEX claims_live_by_figure ON claims (figure_uri, id) WHERE withdrawn_at IS NULL;
