-- An activity id names a reaction only together with its actor, as inbox activities and claims do (0009): another
-- actor reusing the id names another reaction, and must not make the first one's row disappear or block its own.
ALTER TABLE reactions DROP CONSTRAINT reactions_pkey;
ALTER TABLE reactions ADD PRIMARY KEY (activity_id, actor);
