-- A local actor suspended by an admin (its documents carry a `suspended` marker, its inbox refuses, it cannot
-- publish; undone by clearing it), or deleted (a Tombstone, 410, for good; its keys stay to sign its Delete).
ALTER TABLE actors ADD COLUMN suspended_at timestamptz;
ALTER TABLE actors ADD COLUMN deleted_at timestamptz;
