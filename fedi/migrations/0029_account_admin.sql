-- Instance admins among web accounts: they see and moderate every group on the web pages and set trust in other
-- domains. Nobody is one until ``chiffres account admin NAME`` says so, not even the first account: the person
-- with a shell on the server decides, not whoever signs up first.
ALTER TABLE accounts ADD COLUMN admin boolean NOT NULL DEFAULT false;
