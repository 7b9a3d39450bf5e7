-- A correction far from its figure's value and consensus (figures/plausibility.py) is kept, to be seen, but marked:
-- the consensus leaves it out until another claim on the same figure agrees with it (ledger/consensus.py).
ALTER TABLE claims ADD COLUMN implausible boolean NOT NULL DEFAULT false;
