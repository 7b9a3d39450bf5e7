"""Incoming reports (``Flag``): another server's moderators name one of our actors and some of its posts.

Mastodon sends ``{"type": "Flag", "actor": <its instance actor>, "object": [<reported actor>, <post>…],
"content": <comment>}`` to the shared or instance inbox. The comment may be HTML from other servers: it is kept as
text, bounded, and shown to admins by ``chiffres reports``.
"""

from __future__ import annotations

import html
import re

from fedi.domains import host_of
from fedi.normalise import Activity
from inbox.processor import Context
from ledger import reports

_TAG = re.compile(r"<[^>]{0,1000}>")
_READ = reports.MAX_CONTENT * 4  # of markup, at most, to get the text kept


def comment_text(content: str | None) -> str:
    text = html.unescape(_TAG.sub(" ", (content or "")[:_READ]))
    return " ".join(text.split())[: reports.MAX_CONTENT]


async def on_flag(activity: Activity, context: Context) -> str:
    objects = [uri for uri in activity.refs("object")[: reports.MAX_OBJECTS * 2]]
    if not objects:
        return "ignored: report without object"
    content = activity.get("content")
    report = await reports.record(
        context.connection,
        activity.id or "",
        activity.actor,
        host_of(activity.actor),
        objects,
        comment_text(content if isinstance(content, str) else None),
    )
    return f"report {report} kept" if report is not None else "report already kept"
