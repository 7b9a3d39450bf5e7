-- A server's accepted followers of one actor in one index step: the FEP-8fcf header of every delivery and the
-- partial followers collection read them by the host of the follower's id, which no index covered (a scan of
-- every follower, once per delivery). The expression is the one the query spells out.
CREATE INDEX follows_accepted_by_domain
    ON follows (followee, (lower(split_part(split_part(follower, '://', 2), '/', 1))))
    WHERE state = 'accepted';
