"""ActivityPub protocol and platform, knowing nothing of figures or groups.

Platform: ``config``, ``database`` (asyncpg pool, ``embedded`` PostgreSQL, ``migrator`` and the numbered
``migrations`` of every package), ``queue`` (pgqueuer), ``instance`` (the collaborators handed to every request).
Protocol: ``signatures`` (draft-cavage and ``rfc9421``, ``digest``), ``keys``, ``fetch`` (signed outbound HTTP
behind the ``addresses`` guard), ``jsonld`` (offline contexts) and ``normalise`` (activities read defensively),
``webfinger``, ``nodeinfo``, ``delivery`` with its ``retry`` policy and per-host ``breaker``, ``urls`` (one set
of path templates for routing and ids). It stands on ``schemas`` only; everything else stands on it.
"""
