"""The self-correction engine, pure: claims in, a value with an interval, an agreement and a status out.

``vocabulary`` names the parts (claims, per-origin summaries, the policy, the result); ``estimator`` is one
weighted pass, ``reliability`` turns residuals into actor weights, ``status`` gives statuses with hysteresis.
``batch`` alternates weights and values over every claim at once; ``incremental`` takes one claim at a time with
the same arithmetic. ``offline`` runs the batch over TSV files (``chiffres consensus estimate|evaluate``), and
``verdict`` says a consensus on the wire and in one human line. It stands on ``figures`` only: no database, no
clock of its own, so the live instance and the offline evaluation compute exactly the same thing.
"""
