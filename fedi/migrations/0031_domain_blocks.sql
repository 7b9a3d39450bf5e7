-- Domains this instance moderates. `silence`: their claims weigh nothing and our groups relay nothing of theirs.
-- `suspend`: also refused at the inbox, never fetched from, never delivered to; their follows are removed.
-- A block names one host, as actor ids carry it (lower case; a port only in development).
CREATE TABLE domain_blocks (
    domain text PRIMARY KEY,
    severity text NOT NULL CHECK (severity IN ('silence', 'suspend')),
    reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
