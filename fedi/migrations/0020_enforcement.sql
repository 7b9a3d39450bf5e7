-- Enforcing the reciprocity charter, per follow: when the follower was reminded that they consult without
-- contributing (cleared when they are back above the threshold), and when and why the group revoked the follow with
-- a Reject (cleared when a contribution restores it). The state stays in `state`; these say why it changed, so an
-- admin can answer "why was I removed?" from the row itself. `answered_at` (0017) is when the follow was approved,
-- the start of a newcomer's grace period.
ALTER TABLE follows ADD COLUMN reminded_at timestamptz;
ALTER TABLE follows ADD COLUMN revoked_at timestamptz;
ALTER TABLE follows ADD COLUMN revoked_reason text;
-- Mastodon answers a Reject of an accepted follow by unfollowing, with an Undo of the Follow: a revoked follow keeps
-- its row (the record of why, and what tells a later follow from a newcomer's) and only notes the Undo, after which
-- accepting that Follow again would reach nobody, and only a new follow can be accepted.
ALTER TABLE follows ADD COLUMN undone_at timestamptz;
ALTER TABLE follows ADD CONSTRAINT follows_revoked_with_reason CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL));
CREATE INDEX follows_revoked ON follows (followee) WHERE revoked_at IS NOT NULL;
