-- Received activities are their own work queue: a worker claims unprocessed rows for a while (a lease), so a
-- crashed worker's rows come back, and the request path writes one row instead of a row and a job.
ALTER TABLE inbox_activities ADD COLUMN delivered_to text;
ALTER TABLE inbox_activities ADD COLUMN claimed_until timestamptz;
ALTER TABLE inbox_activities ADD COLUMN attempts integer NOT NULL DEFAULT 0;
CREATE INDEX inbox_activities_pending ON inbox_activities (id) WHERE processed_at IS NULL;
