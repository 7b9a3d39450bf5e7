-- Joining a group per its policy: `open` accepts a follow at once, `charter` waits for the follower to reply with
-- the acceptance phrase, `admin` waits for a moderator or an admin. NULL is the default, read from the visibility:
-- a public group's follows are open, a members-only group's follows wait for the charter.
ALTER TABLE actors ADD COLUMN join_policy text CHECK (join_policy IN ('open', 'charter', 'admin'));
ALTER TABLE actors ADD CONSTRAINT actors_join_policy_of_groups CHECK (join_policy IS NULL OR kind = 'group');

-- Whether a follow waits is derived from the policy, never stored beside it, so the two cannot disagree: the actor
-- document's `manuallyApprovesFollowers` and the follow's first state both read this column.
ALTER TABLE actors DROP COLUMN manually_approves;
ALTER TABLE actors ADD COLUMN manually_approves boolean GENERATED ALWAYS AS (
    kind = 'group'
    AND coalesce(join_policy, CASE WHEN visibility = 'public' THEN 'open' ELSE 'charter' END) <> 'open'
) STORED;

-- Members who answer a group's follow requests besides the admin; local persons only.
CREATE TABLE group_moderators (
    group_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_moderators_member ON group_moderators (member_id);

-- When a follow request was answered, and which charter the follower accepted by replying with the phrase.
ALTER TABLE follows ADD COLUMN answered_at timestamptz;
ALTER TABLE follows ADD COLUMN charter_version text;
