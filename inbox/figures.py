"""Figures from peers: a Note carrying our ``figure`` object is stored with its origin and its versions.

A Note without a ``figure`` (anything from Mastodon) is not a figure. An invalid figure is ignored with its reason
logged and kept as the activity's outcome; the peer already had its 202, since processing happens afterwards.
"""

from __future__ import annotations

import logging

from fedi.normalise import Activity, Node
from figures.claims import publication
from figures.note import FigureRejected, figure_of_note
from inbox.processor import Context
from inbox.remote import host_of
from inbox.timestamps import timestamp
from ledger import claims
from ledger.publication import save

logger = logging.getLogger(__name__)


async def remember(activity: Activity, note: Node, context: Context) -> str | None:
    """Store or advance the figure a note carries; None when the note carries none."""
    try:
        figure = figure_of_note(note.to_json())
    except FigureRejected as error:
        logger.info("figure in %s from %s ignored: %s", note.id, activity.actor, error)
        return f"figure ignored: {error}"
    if figure is None or note.id is None:
        return None
    author = note.ref("attributedTo") or activity.actor
    group = note.ref("audience") or (activity.actor if activity.actor != author else None)
    published = timestamp(note.get("published")) or context.instance.clock()
    saved = await save(
        context.connection,
        uri=note.id,
        origin=host_of(note.id),
        author=author,
        group_uri=group,
        author_id=None,
        group_id=None,
        audience="public" if note.is_public or activity.is_public else "followers",
        figure=figure,
        note=note.to_json(),
        published=published,
        updated=timestamp(note.get("updated")),
    )
    if saved:
        # The author's own claim: their figure is the first statement of its value.
        await claims.record(
            context.connection,
            note.id,
            author,
            host_of(author),
            publication(figure),
            f"{note.id}#v{figure.version}",
            timestamp(note.get("updated")) or published,
        )
    return f"figure version {figure.version}" if saved else "figure not newer"


async def forget(activity: Activity, uri: str, context: Context) -> bool:
    result = await context.connection.execute(
        "UPDATE figures SET deleted_at = $3 WHERE uri = $1 AND origin = $2 AND deleted_at IS NULL",
        uri,
        host_of(activity.actor),
        context.instance.clock(),
    )
    return not result.endswith(" 0")
