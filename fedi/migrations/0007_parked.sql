-- An inbox activity whose processing failed, timed out or never finished on each of its attempts is parked: set
-- aside with its reason in `outcome` ("parked: …"), neither processed nor claimed again, for an admin to see.
ALTER TABLE inbox_activities ADD COLUMN parked_at timestamptz;
DROP INDEX inbox_activities_pending;
CREATE INDEX inbox_activities_pending ON inbox_activities (id) WHERE processed_at IS NULL AND parked_at IS NULL;
