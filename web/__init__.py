"""HTTP for people and apps: HTML pages, and the figures JSON API with its OpenAPI description.

``pages`` renders the Jinja2 templates (strings in ``catalog``, the charter from ``ledger.charter``); ``routes``
serves the pages that belong to no actor; ``api`` is the JSON API, ``query`` reads its filters and pages, and
``openapi`` describes it. Sign-in and the Mastodon client API will live here. It stands on ``fedi``, ``actors``,
``ledger`` and ``figures``.
"""
