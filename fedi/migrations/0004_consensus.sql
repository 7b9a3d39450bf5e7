-- What each actor says a figure's value is, in the figure's unit; the latest non-withdrawn claim per actor counts.
CREATE TABLE claims (
    id bigserial PRIMARY KEY,
    figure_uri text NOT NULL,
    actor text NOT NULL,
    domain text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('publish', 'endorse', 'boost', 'correct')),
    value numeric NOT NULL,
    version integer,
    parsed boolean NOT NULL DEFAULT false,
    source_url text,
    reason text,
    reference text NOT NULL UNIQUE,
    relayed_by text,
    made_at timestamptz NOT NULL,
    withdrawn_at timestamptz
);
CREATE INDEX claims_figure ON claims (figure_uri, actor, made_at DESC) WHERE withdrawn_at IS NULL;

-- This instance's trust in other domains (own domain 1, new domains 0.3 unless set here).
CREATE TABLE trust (
    domain text PRIMARY KEY,
    value double precision NOT NULL CHECK (value >= 0 AND value <= 1),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The consensus this instance computed for a figure, and what it last published (for hysteresis and to avoid
-- a storm of updates).
CREATE TABLE consensus (
    figure_uri text PRIMARY KEY,
    value double precision NOT NULL,
    low double precision NOT NULL,
    high double precision NOT NULL,
    status text NOT NULL,
    agreement double precision NOT NULL,
    n_eff double precision NOT NULL,
    contributors integer NOT NULL,
    domains integer NOT NULL,
    computed_at timestamptz NOT NULL,
    settled_at timestamptz,
    published_status text,
    published_low double precision,
    published_high double precision,
    published_value double precision
);
