-- A followers-only activity goes to a server's shared inbox only when none of the actor's followers there is
-- pending, refused or revoked (actors/outbox.py): this index answers that question per shared inbox.
CREATE INDEX follows_unapproved_shared ON follows (followee, follower_shared_inbox)
    WHERE state <> 'accepted' AND undone_at IS NULL;
