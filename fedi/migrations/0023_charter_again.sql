-- A changed charter asks members to accept it again at their next contribution. The version the instance serves is
-- kept here (one row, written when a process starts and by the hourly enforcement) so that the contribution, which
-- is recorded in SQL, can tell a member who accepted an older one; `charter_asked` is the version a member was last
-- asked to accept again, so that each is asked once per version, not at every like.
CREATE TABLE charter_current (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version text NOT NULL,
    since timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE follows ADD COLUMN charter_asked text;
