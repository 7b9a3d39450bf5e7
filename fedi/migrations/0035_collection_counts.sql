-- How many items an outbox and a followers collection hold, kept in the transaction that changes them: counting
-- them on every read cost 55 ms for an outbox of 100,000 activities (actors.collection reads these instead).
-- Statement triggers add each statement's net change per owner, in the owners' order, and touch no counter when a
-- statement changes no count (most updates of follows: reminders, charter versions).
CREATE TABLE collection_counts (
    kind text NOT NULL CHECK (kind IN ('outbox', 'followers')),
    owner text NOT NULL,
    total bigint NOT NULL,
    PRIMARY KEY (kind, owner)
);

INSERT INTO collection_counts (kind, owner, total)
SELECT 'outbox', actor_id::text, count(*) FROM outbox WHERE audience = 'public' GROUP BY actor_id;
INSERT INTO collection_counts (kind, owner, total)
SELECT 'followers', followee, count(*) FROM follows WHERE state = 'accepted' GROUP BY followee;

CREATE FUNCTION collection_counts_add(counted text, owners text[], deltas bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO collection_counts AS c (kind, owner, total)
    SELECT counted, owner, sum(delta) FROM unnest(owners, deltas) AS d (owner, delta)
    GROUP BY owner HAVING sum(delta) <> 0 ORDER BY owner
    ON CONFLICT (kind, owner) DO UPDATE SET total = c.total + excluded.total
$$;

CREATE FUNCTION outbox_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM collection_counts_add('outbox', array_agg(actor_id::text), array_agg(1::bigint))
        FROM new_rows WHERE audience = 'public';
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM collection_counts_add('outbox', array_agg(actor_id::text), array_agg(-1::bigint))
        FROM old_rows WHERE audience = 'public';
    ELSE
        PERFORM collection_counts_add('outbox', array_agg(owner), array_agg(delta)) FROM (
            SELECT actor_id::text AS owner, 1::bigint AS delta FROM new_rows WHERE audience = 'public'
            UNION ALL
            SELECT actor_id::text, -1::bigint FROM old_rows WHERE audience = 'public'
        ) d;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_counted_insert AFTER INSERT ON outbox REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_counted();
CREATE TRIGGER outbox_counted_update AFTER UPDATE ON outbox REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_counted();
CREATE TRIGGER outbox_counted_delete AFTER DELETE ON outbox REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_counted();

CREATE FUNCTION followers_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM collection_counts_add('followers', array_agg(followee), array_agg(1::bigint))
        FROM new_rows WHERE state = 'accepted';
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM collection_counts_add('followers', array_agg(followee), array_agg(-1::bigint))
        FROM old_rows WHERE state = 'accepted';
    ELSE
        PERFORM collection_counts_add('followers', array_agg(owner), array_agg(delta)) FROM (
            SELECT followee AS owner, 1::bigint AS delta FROM new_rows WHERE state = 'accepted'
            UNION ALL
            SELECT followee, -1::bigint FROM old_rows WHERE state = 'accepted'
        ) d;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER follows_counted_insert AFTER INSERT ON follows REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followers_counted();
CREATE TRIGGER follows_counted_update AFTER UPDATE ON follows REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followers_counted();
CREATE TRIGGER follows_counted_delete AFTER DELETE ON follows REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followers_counted();

-- The outbox's pages walk its public activities by id, newest first (``max_id``), as Mastodon's do.
CREATE INDEX outbox_public_by_actor ON outbox (actor_id, id) WHERE audience = 'public';
