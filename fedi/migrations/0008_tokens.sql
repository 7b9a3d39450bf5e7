-- API tokens may expire: a token past its expiry opens nothing, like a revoked one, and says so.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
