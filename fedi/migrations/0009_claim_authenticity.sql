-- How a claim's author was established. 'signed': delivered with its actor's own signature, or made here by a
-- member; relayed claims: 'proof' (an integrity proof by the author), 'host' (relayed by an actor of the author's
-- own host, which could sign as the author anyway), 'fetched' (read back from the author's host), or
-- 'unverified' (kept to be seen, weighing nothing). Relayed claims recorded before this check were taken on the
-- relayer's word.
ALTER TABLE claims ADD COLUMN authenticity text NOT NULL DEFAULT 'signed'
    CHECK (authenticity IN ('signed', 'proof', 'host', 'fetched', 'unverified'));
UPDATE claims SET authenticity = 'unverified' WHERE relayed_by IS NOT NULL;

-- A reference is an id chosen by the claim's actor: it names a claim only together with that actor, so that no
-- one can take the reference of someone else's claim before it is made.
ALTER TABLE claims DROP CONSTRAINT claims_reference_key;
ALTER TABLE claims ADD CONSTRAINT claims_actor_reference_key UNIQUE (actor, reference);

-- Deliveries are deduplicated per actor too: an id used by another actor is not a replay of this one's activity.
ALTER TABLE inbox_activities DROP CONSTRAINT inbox_activities_activity_id_key;
ALTER TABLE inbox_activities ADD CONSTRAINT inbox_activities_activity_id_actor_key UNIQUE (activity_id, actor);

-- Claim times are ours: a sender's date in the future never made a claim newer than the ones received after it.
UPDATE claims SET made_at = now() WHERE made_at > now();
