-- Every domain we have heard from, when we first did, and the address block its name resolved to then: a farm of
-- new domains on one machine counts as one source until its domains have a history (ledger/independence.py).
CREATE TABLE domains (
    domain text PRIMARY KEY,
    first_seen timestamptz NOT NULL,
    address_block text
);
-- Domains already known keep the history they have.
INSERT INTO domains (domain, first_seen)
SELECT domain, min(seen) FROM (
    SELECT domain, fetched_at AS seen FROM remote_actors
    UNION ALL
    SELECT domain, made_at AS seen FROM claims
) AS known
GROUP BY domain
ON CONFLICT (domain) DO NOTHING;
