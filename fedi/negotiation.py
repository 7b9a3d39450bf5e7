"""Content negotiation: ActivityPub clients get JSON, browsers get a page.

Mastodon asks with ``application/activity+json, application/ld+json``; browsers send ``text/html`` first. A bare
``application/json`` is treated as a machine asking, since scripts and curl users expect JSON, not a page.
"""

from __future__ import annotations

AS2 = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS2 = f'application/ld+json; profile="{AS2}"'
_MACHINE = ("application/activity+json", "application/ld+json", "application/json", "application/jrd+json")


def _media_types(accept: str) -> list[tuple[str, float]]:
    ranked: list[tuple[str, float]] = []
    for part in accept.split(","):
        fields = [field.strip() for field in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for parameter in fields[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((fields[0].lower(), quality))
    return ranked


def wants_activity_json(accept: str | None) -> bool:
    """True when the client prefers an ActivityPub/JSON representation over HTML."""
    if not accept:
        return True
    best_machine = max((q for media, q in _media_types(accept) if media in _MACHINE), default=0.0)
    best_html = max(
        (q for media, q in _media_types(accept) if media in ("text/html", "application/xhtml+xml")),
        default=0.0,
    )
    return best_machine > 0 and best_machine >= best_html
