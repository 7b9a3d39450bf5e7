"""ActivityPub protocol and platform, knowing nothing of figures or groups.

Platform: ``config``, ``database`` (asyncpg pool, ``embedded`` PostgreSQL, ``migrator`` and the numbered
``migrations`` of every package), ``queue`` (pgqueuer), ``instance`` (the collaborators handed to every request),
``supervisor`` (the embedded server restarted, or the process stopped, when the database goes away) and ``health``
(``/livez``, ``/readyz`` and the 503 every request gets meanwhile).
Protocol: ``signatures`` (draft-cavage and ``rfc9421``, ``digest``), ``keys``, ``fetch`` (signed outbound HTTP
behind the ``addresses`` guard, over a ``transport`` that dials only the addresses it checked, with per-host
``slots``), ``jsonld`` (offline contexts) and ``normalise`` (activities read defensively), ``webfinger``,
``nodeinfo``, ``delivery`` with its ``retry`` policy and per-host ``breaker``, ``urls`` (one set of path templates
for routing and ids) and ``slashes`` (``PATH/`` redirected to ``PATH`` on the configured base, never the request's).
It stands on ``schemas`` only; everything else stands on it.
Integrity proofs carried inside documents (FEP-8b32) are ``proofs``, over ``jcs`` (RFC 8785 canonical JSON).
"""
