"""Figures from peers: a Note carrying our ``figure`` object is stored with its origin and its versions.

A Note without a ``figure`` (anything from Mastodon) is not a figure. An invalid figure is ignored with its reason
logged and kept as the activity's outcome; the peer already had its 202, since processing happens afterwards.

A peer's group is the ``attributedTo`` of the figures it publishes and names the member who contributed each in the
figure's ``contributor``: the figure, and its publish claim, are that member's. Only the group itself, sending its
own figure, may say so, and only of an actor of its own host (a host vouches for its own accounts, not for
others'). Older peers attribute the figure to the member and name the group in ``audience``; both forms give the
same author.
"""

from __future__ import annotations

import logging

from fedi.domains import host_of
from fedi.normalise import Activity, Node
from figures.claims import publication
from figures.note import FigureRejected, contributor_of_note, figure_of_note
from inbox.processor import Context
from inbox.timestamps import claim_time, timestamp
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
    if group is not None and host_of(group) != host_of(note.id):
        # Only our own publication puts a figure in one of our groups; a peer's group lives on the peer's host.
        group = None
    contributor = contributor_of_note(note.to_json())
    if contributor is not None and activity.actor == author == group and host_of(contributor) == host_of(author):
        author = contributor
    if activity.actor not in (author, group):
        return f"figure ignored: sent by {activity.actor}, neither its author nor its group"
    known = await context.connection.fetchrow("SELECT author, group_uri FROM figures WHERE uri = $1", note.id)
    if known is not None and activity.actor not in (known["author"], known["group_uri"]):
        return f"figure ignored: {activity.actor} is neither its author nor the group that published it"
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
            claim_time(note.get("updated") or note.get("published"), context.instance.clock()),
        )
    return f"figure version {figure.version}" if saved else "figure not newer"


async def forget(activity: Activity, uri: str, context: Context) -> bool:
    """Tombstone a peer's figure, when the Delete comes from its author or from the group that published it."""
    result = await context.connection.execute(
        "UPDATE figures SET deleted_at = $3 WHERE uri = $1 AND origin = $2 AND deleted_at IS NULL"
        " AND (author = $4 OR group_uri = $4)",
        uri,
        host_of(activity.actor),
        context.instance.clock(),
        activity.actor,
    )
    return not result.endswith(" 0")
