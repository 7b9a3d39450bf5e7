"""Local actors — members, groups and the instance actor — and what ActivityPub says of them.

``actor`` and ``store`` hold who they are, with their keys (``signers`` sign as them); ``follows`` records follows
and their approval; ``outbox`` publishes activities and fans them out to followers' inboxes; ``notes`` are plain
notes; ``collection`` and ``synchronization`` serve outbox, followers and the FEP-8fcf digest; ``document`` and
``routes`` serve actors and objects to fediverse software (and hand browsers to ``web`` through a callback).
``tokens`` are members' API credentials; ``relays`` are the relays the instance actor subscribes to. It stands on
``fedi`` and ``figures``, and knows nothing of claims or the consensus.
"""
