-- How many requests one asker sent to one group's followers in the last day (ledger/requests.py, the daily limit).
CREATE INDEX requests_asker ON requests (group_uri, asker, created_at);
