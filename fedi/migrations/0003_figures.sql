-- Figures, local and from peers, at their current version; the versions themselves are kept below.
CREATE TABLE figures (
    id bigserial PRIMARY KEY,
    uri text NOT NULL UNIQUE,
    origin text NOT NULL,
    author text NOT NULL,
    group_uri text,
    author_id bigint REFERENCES actors (id) ON DELETE SET NULL,
    group_id bigint REFERENCES actors (id) ON DELETE SET NULL,
    audience text NOT NULL CHECK (audience IN ('public', 'followers')),
    version integer NOT NULL,
    wire jsonb NOT NULL,
    note jsonb NOT NULL,
    value numeric NOT NULL,
    unit_code text NOT NULL,
    measures text NOT NULL,
    place_name text,
    place_code text,
    period text,
    period_start date,
    period_end date,
    tags text[] NOT NULL DEFAULT '{}',
    language text NOT NULL,
    search_text text NOT NULL DEFAULT '',
    search tsvector GENERATED ALWAYS AS (
        to_tsvector('french'::regconfig, search_text) || to_tsvector('english'::regconfig, search_text)
    ) STORED,
    published timestamptz NOT NULL,
    updated timestamptz,
    deleted_at timestamptz
);
CREATE INDEX figures_search ON figures USING gin (search);
CREATE INDEX figures_tags ON figures USING gin (tags);
CREATE INDEX figures_group ON figures (group_uri, id);
CREATE INDEX figures_published ON figures (published, id);

CREATE TABLE figure_versions (
    figure_id bigint NOT NULL REFERENCES figures (id) ON DELETE CASCADE,
    version integer NOT NULL,
    wire jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (figure_id, version)
);

-- Member tokens for the JSON API; only a hash is stored.
CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    actor_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
