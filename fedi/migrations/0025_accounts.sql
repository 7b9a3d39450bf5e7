-- Web accounts of local persons: a password (argon2 hash only), a state an admin moves, the charter version
-- accepted at sign-up. ``session_epoch`` grows when the password changes or the account is disabled, so that
-- every cookie signed before stops working at once, without a table of sessions.
CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    actor_id bigint NOT NULL UNIQUE REFERENCES actors (id) ON DELETE CASCADE,
    password_hash text NOT NULL,
    email text,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'disabled')),
    charter_version text NOT NULL,
    session_epoch integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    approved_at timestamptz
);

-- One-time links (a password reset, an invitation to sign up): only the token's SHA-256 is kept, so that a copy of
-- the database opens no account.
CREATE TABLE one_time_tokens (
    id bigserial PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    purpose text NOT NULL CHECK (purpose IN ('reset', 'invitation')),
    account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

-- Failed sign-ins, by name and by client address, counted over a window: in the database, so that every web
-- process of an instance counts the same attempts.
CREATE TABLE signin_failures (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    address text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX signin_failures_name ON signin_failures (name, at);
CREATE INDEX signin_failures_address ON signin_failures (address, at);
