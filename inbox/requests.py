"""Requests and answers from the fediverse: a follower asks from their Mastodon app, another answers by replying.

A post that mentions one of our groups and carries ``#cherche`` or ``#wanted``, or a reply to a group's pinned
"ask here" post (:mod:`ledger.pinned`), asks that group for a figure, read loosely from its text
(:func:`figures.request_text.read_asking`); a reply to a request the group sent, holding a value with its unit and
a link to its source (:func:`figures.request_text.read_answer`) — or, from a peer of ours, our ``figure`` object —
answers it, and becomes a figure of the group credited to whoever replied. Both are what a member does with
``chiffres request``, and are held to the same rules (:mod:`ledger.requests`): only approved followers of the group
ask and answer.

Everything happens in the inbox's transaction, inside a savepoint: a post that cannot be a request or an answer
leaves nothing behind, and is still stored as any post is. The outcome is one line for the inbox's log.
"""

from __future__ import annotations

from actors import store
from actors.actor import Actor, ActorError
from fedi.domains import host_of
from fedi.normalise import Activity, Node
from figures.figure import FigureValidationError
from figures.note import FigureRejected, contributor_of_note, figure_of_note
from figures.numbers import Lang
from figures.request_text import ASKING_TAGS, Answer, read_answer, read_asking
from figures.units import Unit, compatible, convert, unit_from_code
from inbox.processor import Context
from ledger import pinned
from ledger.publication import Publisher
from ledger.requests import Requests, Wanted, contributor_of

__all__ = ["on_note"]


async def on_note(activity: Activity, note: Node, context: Context) -> str | None:
    """What a Create Note asks or answers; None when it does neither (most posts)."""
    replied_to = note.ref("inReplyTo")
    if replied_to is not None and context.instance.urls.is_local(replied_to):
        answered = await _answer(activity, note, replied_to, context)
        if answered is not None:
            return answered
        pinned_by = await pinned.ask_here(context.connection, replied_to)
        if pinned_by is not None:
            group = await store.find(context.connection, pinned_by)
            return await _ask(activity, note, group, context) if group is not None else None
    if not _asks(note):
        return None
    group = await _mentioned_group(activity, note, context)
    return await _ask(activity, note, group, context) if group is not None else None


def _asks(note: Node) -> bool:
    names = {str(tag.get("name", "")).lstrip("#").lower() for tag in note.nodes("tag") if tag.is_a("Hashtag")}
    return bool(names & ASKING_TAGS)


async def _mentioned_group(activity: Activity, note: Node, context: Context) -> Actor | None:
    urls = context.instance.urls
    mentioned = [tag.ref("href") for tag in note.nodes("tag") if tag.is_a("Mention")]
    for uri in [*mentioned, *activity.recipients]:
        if uri is not None and urls.is_local(uri):
            found = await store.by_uri(context.connection, urls, uri)
            if found is not None and found.kind == "group":
                return found
    return None


async def _ask(activity: Activity, note: Node, group: Actor, context: Context) -> str:
    asking = read_asking(note.content or "")
    if asking is None:
        return "no request: say what, where (à / in PLACE) and when (2026, 2026-Q2)"
    what = Wanted(asking.measures, asking.place, asking.period, asking.unit)
    asker = await contributor_of(context.connection, context.instance.urls, activity.actor)
    try:
        request, held = await _requests(context).ask(asker, group, what, asker_note=note.id, within=context.connection)
    except ActorError as refused:
        return f"no request: {refused}"
    if held is not None:
        return f"request {request.id} answered at once by {held.uri}"
    return f"request {request.id} sent to the followers of {group.name}"


async def _answer(activity: Activity, note: Node, replied_to: str, context: Context) -> str | None:
    """None when the reply is to something else than an open request of ours."""
    row = await context.connection.fetchrow("SELECT status, unit FROM requests WHERE uri = $1", replied_to)
    if row is None or row["status"] != "open":
        return None
    lang = _language(note)
    expected = unit_from_code(row["unit"]) if row["unit"] else None
    try:
        carried = _carried(activity, note, expected)
    except FigureRejected as refused:
        return f"no answer: {refused}"
    answer: Answer | None
    if carried is not None:
        answer, by = carried
    else:
        answer, by = read_answer(note.content or "", expected, lang), activity.actor
    if answer is None:
        return "no answer: the reply needs a value with its unit and a link to its source"
    urls = context.instance.urls
    answerer = await contributor_of(context.connection, urls, by)
    local = urls.local_name(by)
    found = await store.find(context.connection, local) if local else None
    fields = {"value": answer.value, "unit": answer.unit, "source": answer.source}
    try:
        async with context.connection.transaction():
            request, figure = await _requests(context).answer_for(
                context.connection, replied_to, answerer, found.id if found else None, fields, lang
            )
    except FigureValidationError as invalid:
        return f"no answer: {invalid}"
    except ActorError as refused:
        return f"no answer: {refused}"
    return f"request {request.id} answered by {figure.uri}"


def _carried(activity: Activity, note: Node, expected: Unit | None) -> tuple[Answer, str] | None:
    """The answer a peer of ours sends as a figure (our ``figure`` object in the reply), and who gives it; None
    for a reply without one, read from its text instead.

    The figure's value, unit and source answer the request; what it measures, where and when are the request's.
    A peer's group speaks for a member of its own host (the figure's ``contributor``), as with any figure it
    publishes; anyone else answers in their own name. A figure in another unit than the one asked for, and not
    convertible to it, answers another question."""
    figure = figure_of_note(note.to_json())
    if figure is None:
        return None
    value, unit = figure.value, figure.unit
    if expected is not None and unit != expected:
        if not compatible(unit, expected):
            raise FigureRejected(f"the figure is in {unit.code}, the request asks for {expected.code}")
        value, unit = convert(value, unit, expected), expected
    by = activity.actor
    contributor = contributor_of_note(note.to_json())
    vouched = note.ref("attributedTo") in (None, activity.actor)
    if contributor is not None and vouched and host_of(contributor) == host_of(activity.actor):
        by = contributor
    return Answer(value, unit, figure.source.url), by


def _requests(context: Context) -> Requests:
    """Our Notes speak the instance's language, whatever the post's."""
    instance = context.instance
    lang: Lang = "en" if instance.settings.language == "en" else "fr"
    publisher = Publisher(instance.pool, instance.urls, instance.clock, lang)
    return Requests(instance.pool, instance.urls, instance.clock, lang, publisher)


def _language(note: Node) -> Lang:
    """The post's language as Mastodon gives it (the first ``contentMap`` key); French otherwise."""
    first = next(iter(note.content_map), "fr")
    return "en" if str(first).lower().startswith("en") else "fr"
