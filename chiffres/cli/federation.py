"""Federation commands: follow requests and their answers, follows, notes, and what an actor received."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from actors import follows, notes, store
from actors.actor import Actor, ActorError
from chiffres.app import Federation
from chiffres.cli.common import with_federation
from fedi.database import Pool
from inbox.remote import ActorUnavailable


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listed = commands.add_parser("follows", help="follow requests and relations").add_subparsers(
        dest="follows", required=True
    )
    show = listed.add_parser(
        "list", help="a header, then one line per follow: id, follower, state, followee, requested, answered (UTC)"
    )
    show.add_argument("--pending", action="store_true")
    show.add_argument("--as", dest="as_name")
    show.set_defaults(run=with_federation(follows_list))
    approve = listed.add_parser("approve", help="accept follow requests (sends Accept)")
    approve.add_argument("ids", nargs="*", type=int, metavar="FOLLOW_ID")
    approve.add_argument("--all", action="store_true", help="every pending request")
    approve.add_argument("--as", dest="as_name")
    approve.set_defaults(run=with_federation(lambda a, f: follows_answer(a, f, True)))
    refuse = listed.add_parser("reject", help="refuse or revoke follows (sends Reject)")
    refuse.add_argument("ids", nargs="*", type=int, metavar="FOLLOW_ID")
    refuse.add_argument("--all", action="store_true", help="every pending request")
    refuse.add_argument("--as", dest="as_name")
    refuse.set_defaults(run=with_federation(lambda a, f: follows_answer(a, f, False)))
    for name, action, text in (
        ("follow", follow, "follow someone (handle or URL)"),
        ("unfollow", unfollow, "stop following someone"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--as", dest="as_name", required=True)
        sub.add_argument("target", metavar="HANDLE_OR_URL")
        sub.set_defaults(run=with_federation(action))
    post = commands.add_parser("note", help="publish a plain note")
    post.add_argument("--as", dest="as_name", required=True)
    post.add_argument("--visibility", choices=("followers", "public"), default="followers")
    post.add_argument("text")
    post.set_defaults(run=with_federation(note))
    inbox = commands.add_parser("inbox", help="what an actor received")
    inbox.add_argument("--as", dest="as_name", required=True)
    inbox.add_argument("--json", action="store_true", help="one JSON activity per line")
    inbox.add_argument("--limit", type=int, default=20)
    inbox.set_defaults(run=with_federation(received))


async def _actor(pool: Pool, name: str | None) -> Actor | None:
    return await store.get(pool, name) if name else None


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment else "-"


async def follows_list(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await _actor(instance.pool, args.as_name)
    print("id\tfollower\tstate\tfollowee\trequested\tanswered")
    for follow in await follows.listing(instance.pool, instance.urls, actor=actor, pending_only=args.pending):
        when = f"{_when(follow.created_at)}\t{_when(follow.answered_at)}"
        print(f"{follow.id}\t{follow.follower}\t{follow.state}\t{follow.followee}\t{when}")


async def follows_answer(args: argparse.Namespace, fed: Federation, approve: bool) -> None:
    instance = fed.instance
    actor = await _actor(instance.pool, args.as_name)
    ids: list[int] = list(args.ids)
    if getattr(args, "all", False):
        ids = await follows.pending_ids(instance.pool, instance.urls, actor)
    if not ids:
        raise ActorError("no follow to answer (give FOLLOW_ID… or --all)")
    answer = follows.approve if approve else follows.reject
    for follow in await answer(instance.pool, instance.urls, ids, instance.clock, actor):
        print(f"{follow.id}\t{follow.follower}\t{follow.state}")


async def _target(fed: Federation, handle_or_url: str) -> tuple[str, str]:
    """The actor id and inbox of a handle or URL, here or elsewhere."""
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
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    target, inbox = await _target(fed, args.target)
    made = await follows.follow(instance.pool, instance.urls, actor, target, inbox, instance.clock)
    print(f"{made.id}\t{made.followee}\t{made.state}")


async def unfollow(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    target, _ = await _target(fed, args.target)
    gone = await follows.unfollow(instance.pool, instance.urls, actor, target, instance.clock)
    print(f"{gone.id}\t{gone.followee}\tundone")


async def note(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    posted = await notes.post(
        instance.pool, instance.urls, actor, args.text, args.visibility, instance.clock, instance.settings.language
    )
    print(posted["id"])


async def received(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    rows = await instance.pool.fetch(
        "SELECT i.activity_id, i.type, i.actor, i.document, i.received_at FROM inbox_items t"
        " JOIN inbox_activities i ON i.id = t.activity WHERE t.actor_id = $1 ORDER BY i.id DESC LIMIT $2",
        actor.id,
        args.limit,
    )
    for row in rows:
        if args.json:
            print(json.dumps(row["document"], ensure_ascii=False, separators=(",", ":")))
            continue
        obj = row["document"].get("object")
        summary = obj.get("content", "") if isinstance(obj, dict) else obj
        print(f"{row['received_at']:%Y-%m-%d %H:%M}\t{row['type']}\t{row['actor']}\t{summary}")
