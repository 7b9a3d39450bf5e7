-- Instance-wide settings recorded once (the public domain ids were minted under).
CREATE TABLE instance_settings (
    key text PRIMARY KEY,
    value text NOT NULL
);

-- Local actors: members (person), programme channels (group) and the instance actor (application).
CREATE TABLE actors (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_]{1,30}$' OR kind = 'application'),
    kind text NOT NULL CHECK (kind IN ('person', 'group', 'application')),
    display_name text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('members', 'public')),
    manually_approves boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX actors_one_application ON actors (kind) WHERE kind = 'application';

-- Key material, created with the actor and never rotated silently (Mastodon caches keys by id).
CREATE TABLE actor_keys (
    actor_id bigint PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    rsa_private_pem text NOT NULL,
    rsa_public_pem text NOT NULL,
    ed25519_private_pem text NOT NULL,
    ed25519_public_multibase text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Follow relations, local or remote on either side, identified by their Follow activity.
CREATE TABLE follows (
    id bigserial PRIMARY KEY,
    activity_id text NOT NULL UNIQUE,
    follower text NOT NULL,
    followee text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX follows_live_pair ON follows (follower, followee) WHERE state <> 'rejected';
CREATE INDEX follows_followee ON follows (followee, state, id);
CREATE INDEX follows_follower ON follows (follower, state, id);

-- What local actors published, newest last; the outbox collection pages through it.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    actor_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    activity_id text NOT NULL UNIQUE,
    audience text NOT NULL CHECK (audience IN ('public', 'followers', 'direct')),
    document jsonb NOT NULL,
    published timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_actor ON outbox (actor_id, id);
