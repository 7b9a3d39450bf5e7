-- The relays our instance actor subscribes to (`chiffres relay add`): where to send public figures, the Follow that
-- asked, and the relay actor once it answered. Kept apart from `follows`, so that a relay is never taken for a peer
-- (peers get consensus summaries; relays get public figures only) (actors/relays.py).
CREATE TABLE relay_subscriptions (
    id bigserial PRIMARY KEY,
    inbox text NOT NULL UNIQUE,
    actor text,
    follow_id text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relay_subscriptions_actor ON relay_subscriptions (actor);
