"""What the instance records and decides about figures.

``publication`` publishes a member's figure into a group, its versions and tombstones; ``claims`` records what each
actor says a figure's value is, and this instance's trust per domain; ``consensus`` runs the engine on those claims
per figure (and in batch) and publishes the result only when it changes; ``sources`` decides what the engine counts
as one source (a farm of domains as one, ``independence``; each approved member of ours as one); ``explanation``
says why a figure has its status, claim by claim; ``peers`` sends per-origin consensus summaries to the peer
instances that may read the figure. ``charter`` is the instance's reciprocity charter and its version; ``joining``
welcomes a group's new followers as its policy says and approves those who accept the charter; ``requests`` (with
``request_notes``) asks a group for a figure and turns an answer into one; ``reciprocity`` records contributions and
consultations, ``reciprocity_policy`` reads each group's thresholds and ``enforcement`` reminds, revokes and restores.
It stands on ``fedi``, ``actors``, ``figures`` and ``consensus``; the inbox, the web and the command line call into
it.
"""
