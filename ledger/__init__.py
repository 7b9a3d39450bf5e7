"""What the instance records and decides about figures.

``publication`` publishes a member's figure into a group, its versions and tombstones; ``claims`` records what each
actor says a figure's value is, and this instance's trust per domain; ``consensus`` runs the engine on those claims
per figure (and in batch) and publishes the result only when it changes; ``sources`` decides what the engine counts
as one source (a farm of domains as one, ``independence``; each approved member of ours as one); ``explanation``
says why a figure has its status, claim by claim; ``peers`` sends per-origin consensus summaries to the peer
instances that may read the figure. Membership and reciprocity will live here too. It stands on ``fedi``,
``actors``, ``figures`` and ``consensus``; the inbox, the web and the command line call into it.
"""
