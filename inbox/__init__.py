"""Inbound activities: verify, deduplicate, store, answer 202 — then process, one handler per type.

``endpoint`` does as little as it can in the request; ``drain`` claims stored rows in the worker (parking those
that keep failing) and ``processor`` hands each to its handler in ``handlers`` (follows, notes, deletes),
``figures`` (figures from peers) or ``claims`` (likes, boosts, replies and relayed claims, whose author
``authenticity`` establishes). Our groups relay claims on their figures at a bounded rate per actor (``relay``).
``remote`` fetches and caches remote actors and their keys. It stands on ``fedi``, ``actors``, ``ledger`` and
``figures``.
"""
