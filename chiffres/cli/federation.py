"""Federation commands: follow requests and their answers, follows, notes, and what an actor received."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Final

from actors.actor import Actor, ActorError
from chiffres.cli import table
from chiffres.cli.common import with_federation, with_instance
from chiffres.cli.handles import handles, shown
from figures.markup import strip_markup

if TYPE_CHECKING:
    from chiffres.federation import Federation
    from fedi.database import Pool
    from fedi.instance import Instance

#: How much of a post ``inbox`` reads, and how long a line it prints of it.
_READ: Final = 20_000
_LINE: Final = 200


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listed = commands.add_parser("follows", help="follow requests and relations").add_subparsers(
        dest="follows", required=True, metavar="ACTION"
    )
    show = listed.add_parser(
        "list", help="a header, then one line per follow: id, follower, state, followee, requested, answered (UTC)"
    )
    show.add_argument("--pending", action="store_true", help="only the requests still waiting for an answer")
    show.add_argument("--as", dest="as_name", metavar="NAME", help="only the follows of and by this local actor")
    table.add_json(show)
    show.set_defaults(run=with_instance(follows_list))
    approve = listed.add_parser("approve", help="accept follow requests (sends Accept)")
    approve.add_argument("ids", nargs="*", type=int, metavar="FOLLOW_ID", help="the ids follows list shows")
    approve.add_argument("--all", action="store_true", help="every pending request")
    approve.add_argument("--as", dest="as_name", metavar="NAME", help="only requests to this local actor")
    approve.set_defaults(run=with_instance(lambda a, i: follows_answer(a, i, True)))
    refuse = listed.add_parser("reject", help="refuse or revoke follows (sends Reject)")
    refuse.add_argument("ids", nargs="*", type=int, metavar="FOLLOW_ID", help="the ids follows list shows")
    refuse.add_argument("--all", action="store_true", help="every pending request")
    refuse.add_argument("--as", dest="as_name", metavar="NAME", help="only follows of this local actor")
    refuse.set_defaults(run=with_instance(lambda a, i: follows_answer(a, i, False)))
    for name, action, text in (
        ("follow", follow, "follow someone (handle or URL); prints the follow's id, whom, and its state"),
        ("unfollow", unfollow, "stop following someone"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the local actor who follows")
        sub.add_argument(
            "target", metavar="HANDLE_OR_URL", help="a local name, @name@host, or an actor URL, here or elsewhere"
        )
        sub.set_defaults(run=with_federation(action))
    post = commands.add_parser("note", help="publish a plain note; prints its id")
    post.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the local actor who posts it")
    post.add_argument(
        "--visibility",
        choices=("followers", "public"),
        default="followers",
        help="who may read it: approved followers (default) or anyone",
    )
    post.add_argument("text", metavar="TEXT", help="what the note says (plain text)")
    post.set_defaults(run=with_instance(note))
    inbox = commands.add_parser(
        "inbox", help="what an actor received, newest first, under a header: received, type, from, text"
    )
    inbox.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the local actor whose inbox")
    table.add_json(inbox)  # each object also holds the activity as received
    inbox.add_argument("--limit", type=int, default=20, metavar="N", help="at most N activities (default 20)")
    inbox.set_defaults(run=with_instance(received))


async def _actor(pool: Pool, name: str | None) -> Actor | None:
    from actors import store

    return await store.get(pool, name) if name else None


async def follows_list(args: argparse.Namespace, instance: Instance) -> None:
    from actors import follows

    actor = await _actor(instance.pool, args.as_name)
    found = await follows.listing(instance.pool, instance.urls, actor=actor, pending_only=args.pending)
    known = await handles(instance.pool, instance.urls, [uri for f in found for uri in (f.follower, f.followee)])
    rows = [
        {
            "id": follow.id,
            "follower": shown(known, follow.follower),
            "state": follow.state,
            "followee": shown(known, follow.followee),
            "requested": table.when(follow.created_at),
            "answered": table.when(follow.answered_at),
            "follower_url": follow.follower,
            "followee_url": follow.followee,
        }
        for follow in found
    ]
    table.emit(("id", "follower", "state", "followee", "requested", "answered"), rows, as_json=args.json)


async def follows_answer(args: argparse.Namespace, instance: Instance, approve: bool) -> None:
    from actors import follows

    actor = await _actor(instance.pool, args.as_name)
    ids: list[int] = list(args.ids)
    if getattr(args, "all", False):
        ids = await follows.pending_ids(instance.pool, instance.urls, actor)
    if not ids:
        raise ActorError("no follow to answer (give FOLLOW_ID… or --all)")
    answer = follows.approve if approve else follows.reject
    answered = await answer(instance.pool, instance.urls, ids, instance.clock, actor)
    known = await handles(instance.pool, instance.urls, [follow.follower for follow in answered])
    for follow in answered:
        print(f"{follow.id}\t{shown(known, follow.follower)}\t{follow.state}")


async def _target(fed: Federation, handle_or_url: str) -> tuple[str, str]:
    """The actor id and inbox of a handle or URL, here or elsewhere."""
    from actors import store
    from inbox.remote import ActorUnavailable

    urls = fed.instance.urls
    target = handle_or_url
    name, _, host = target.lstrip("@").partition("@")
    try:
        if "://" not in target and host in ("", urls.domain):  # a local actor: by name, no WebFinger needed
            target = urls.actor(name)
        elif not target.startswith(("http://", "https://")):
            target = await fed.remote.webfinger(target)
        local = urls.local_name(target)
        if local is not None:
            await store.get(fed.instance.pool, local)
            return target, urls.inbox(local)
        remote = await fed.remote.actor(target, refresh=True)
    except ActorUnavailable as error:
        raise ActorError(f"cannot follow {handle_or_url}: {error}") from None
    return remote.uri, remote.inbox


async def follow(args: argparse.Namespace, fed: Federation) -> None:
    from actors import follows, store

    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    target, inbox = await _target(fed, args.target)
    made = await follows.follow(instance.pool, instance.urls, actor, target, inbox, instance.clock)
    known = await handles(instance.pool, instance.urls, [made.followee])
    print(f"{made.id}\t{shown(known, made.followee)}\t{made.state}")


async def unfollow(args: argparse.Namespace, fed: Federation) -> None:
    from actors import follows, store

    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    target, _ = await _target(fed, args.target)
    gone = await follows.unfollow(instance.pool, instance.urls, actor, target, instance.clock)
    known = await handles(instance.pool, instance.urls, [gone.followee])
    print(f"{gone.id}\t{shown(known, gone.followee)}\tundone")


async def note(args: argparse.Namespace, instance: Instance) -> None:
    from actors import notes, store

    actor = await store.get(instance.pool, args.as_name)
    posted = await notes.post(
        instance.pool, instance.urls, actor, args.text, args.visibility, instance.clock, instance.settings.language
    )
    print(posted["id"])


async def received(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store

    actor = await store.get(instance.pool, args.as_name)
    rows = await instance.pool.fetch(
        "SELECT i.activity_id, i.type, i.actor, i.document, i.received_at FROM inbox_items t"
        " JOIN inbox_activities i ON i.id = t.activity WHERE t.actor_id = $1 ORDER BY i.id DESC LIMIT $2",
        actor.id,
        max(args.limit, 0),
    )
    known = await handles(instance.pool, instance.urls, [row["actor"] for row in rows])
    listed = [
        {
            "received": table.when(row["received_at"]),
            "type": row["type"],
            "from": shown(known, str(row["actor"])),
            "text": readable(row["document"]),
            "from_url": row["actor"],
            "activity": row["document"],
        }
        for row in rows
    ]
    table.emit(("received", "type", "from", "text"), listed, as_json=args.json)


def readable(document: object) -> str:
    """What an activity says, as one bounded line of text: a post's HTML read as text, or the id of its object."""
    obj = document.get("object") if isinstance(document, dict) else None
    if isinstance(obj, dict):
        content = obj.get("content")
        raw = _text(content[:_READ]) if isinstance(content, str) else str(obj.get("id", ""))
    else:
        raw = str(obj) if obj is not None else ""
    line = " ".join(raw[:_READ].split())
    return line if len(line) <= _LINE else line[: _LINE - 1] + "…"


def _text(markup: str) -> str:
    """A post's words, then the links it gave (a source), which the words leave out."""
    stripped = strip_markup(markup)
    return " ".join((stripped.text, *stripped.links))
