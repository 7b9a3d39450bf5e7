"""HTTP endpoints of local actors and of discovery (WebFinger, host-meta, NodeInfo).

Handlers are built by :func:`routes` around the instance's collaborators; nothing here reads global state.
Browsers asking for an actor get the page that ``render_html`` makes; machines get ActivityStreams JSON.
What is not public depends on who signed the request, so its answers — refusals included — are ``private`` and
vary on ``Signature``: a shared cache must neither keep a follower's copy for others nor give a follower a
stranger's 404.

Every address a peer reads of our actors is here, with the rules of who may read what next to each other, which is
why the module runs a few lines past our usual 400; the collections' pages are built in ``actors.collection``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from actors import collection, membership, standing, store
from actors.actor import Actor
from actors.document import actor_document, instance_document
from actors.synchronization import followers_on
from fedi import nodeinfo, urls, webfinger
from fedi.database import Pool
from fedi.instance import Instance
from fedi.negotiation import wants_activity_json
from fedi.normalise import ids_of
from fedi.responses import activity_json, json_response, problem
from fedi.types import JSON

#: The page of an actor or an object for a browser; the request says who browses and in which language.
HtmlRenderer = Callable[[Request, Actor], Awaitable[str]]
SignedBy = Callable[[Request], Awaitable[str | None]]
ObjectRenderer = Callable[[Request, dict[str, object]], Awaitable[str]]
PageItems = Callable[[int], Awaitable[tuple[int, list[object]]]]
Metadata = Callable[[], JSON]
#: Told when a followers-only object is served to a signed fetch: the signer, the owner's actor id, the object's id.
Fetched = Callable[[str, int, str], Awaitable[None]]
_CORS = {"Access-Control-Allow-Origin": "*"}
_FOR_READER = {"Cache-Control": "max-age=0, private", "Vary": "Accept, Signature"}


def for_reader(response: Response) -> Response:
    """An answer that depends on who signed the request."""
    response.headers.update(_FOR_READER)
    return response


def for_audience(response: Response, audience: str) -> Response:
    return response if audience == "public" else for_reader(response)


def refused(request: Request, status: int, reason: str, *, private: bool = False) -> Response:
    """A refusal in the asker's terms: a JSON problem for fediverse software; for a browser, the site's error page
    (raised, so that the application's error handler renders it in the reader's language)."""
    headers = _FOR_READER if private else None
    if wants_activity_json(request.headers.get("accept")):
        answer = problem(status, reason)
        return for_reader(answer) if private else answer
    raise HTTPException(status, reason, headers=headers)


def _no_metadata() -> JSON:
    return {}


async def _not_counted(reader: str, owner_id: int, uri: str) -> None:
    return None


def routes(
    instance: Instance,
    render_html: HtmlRenderer,
    signed_by: SignedBy,
    render_object: ObjectRenderer,
    metadata: Metadata = _no_metadata,
    fetched: Fetched = _not_counted,
    render_teaser: ObjectRenderer | None = None,
    browsing_as: SignedBy | None = None,
) -> list[Route]:
    """``metadata`` adds to NodeInfo what packages above this one know (the charter), read on every request;
    ``fetched`` tells them (the reciprocity ledger) of members-only objects served to signed fetches;
    ``render_teaser`` is the page a browser gets for a members-only figure it may not read; ``browsing_as`` names
    the local person signed in on a browser (web sessions), who reads an object's page as their own signature
    would."""
    pool, links = instance.pool, instance.urls

    async def actor(request: Request) -> Response:
        found = await store.find(pool, request.path_params["name"])
        if found is None or found.is_instance or request.path_params["name"] != found.name:
            return refused(request, 404, "no such actor")
        if answered := await standing.answer(pool, found, links, wants_activity_json(request.headers.get("accept"))):
            return answered
        if wants_activity_json(request.headers.get("accept")):
            return activity_json(actor_document(found, links))
        return HTMLResponse(await render_html(request, found), headers={"Vary": "Accept"})

    async def instance_actor(request: Request) -> Response:
        return activity_json(instance_document(await store.instance_actor(pool), links))

    async def webfinger_endpoint(request: Request) -> Response:
        try:
            query = webfinger.parse_resource(request.query_params.get("resource"), links)
        except webfinger.ResourceError as error:
            return json_response({"error": str(error)}, status=400, headers=_CORS)
        if query is not None and query.instance:
            document = webfinger.jrd(f"acct:{links.domain}@{links.domain}", links.instance_actor(), None)
            return json_response(document, media_type=webfinger.JRD, headers=_CORS)
        found = await store.find(pool, query.name) if query and query.name else None
        if found is None or found.is_instance:
            return json_response({"error": "no such account"}, status=404, headers=_CORS)
        subject = f"acct:{found.name}@{links.domain}"
        document = webfinger.jrd(subject, links.actor(found.name), links.profile(found.name))
        return json_response(document, media_type=webfinger.JRD, headers=_CORS)

    async def host_meta(request: Request) -> Response:
        if "json" in request.headers.get("accept", "") or request.url.path.endswith(".json"):
            return json_response(webfinger.host_meta_json(links), media_type=webfinger.JRD, headers=_CORS)
        return Response(webfinger.host_meta_xml(links), media_type="application/xrd+xml", headers=_CORS)

    async def nodeinfo_discovery(request: Request) -> Response:
        return json_response(nodeinfo.discovery(links), headers=_CORS)

    async def nodeinfo_document(request: Request) -> Response:
        version = request.path_params["version"]
        if version not in nodeinfo.VERSIONS:
            return json_response({"error": f"no NodeInfo {version}"}, status=404, headers=_CORS)
        kinds = await store.counts(pool)
        local_posts = await collection.public_posts(pool)
        usage = nodeinfo.Usage(
            users=kinds.get("person", 0),
            active_month=kinds.get("person", 0),
            active_halfyear=kinds.get("person", 0),
            local_posts=local_posts,
            metadata={"groups": kinds.get("group", 0), "language": instance.settings.language, **metadata()},
        )
        document = nodeinfo.document(usage, node_name=links.domain, version=version)
        return json_response(document, media_type=nodeinfo.content_type(version), headers=_CORS)

    return [
        Route("/.well-known/webfinger", webfinger_endpoint),
        Route("/.well-known/host-meta", host_meta),
        Route("/.well-known/host-meta.json", host_meta),
        Route("/.well-known/nodeinfo", nodeinfo_discovery),
        Route("/nodeinfo/{version}", nodeinfo_document),
        Route(urls.INSTANCE_ACTOR, instance_actor),
        Route(urls.ACTOR, actor),
        Route(urls.PROFILE, actor),
        *collection_routes(instance),
        *object_routes(instance, signed_by, render_object, fetched, render_teaser, browsing_as),
        pending_followers_route(instance, signed_by),
    ]


def pending_followers_route(instance: Instance, signed_by: SignedBy) -> Route:
    """FEP-4ccd: who waits to join a group, listed to the group and its moderators (a fetch signed by one of them)
    and counted for everyone else, as a members-only group's followers are: a request is not yet membership."""
    pool, links = instance.pool, instance.urls

    async def pending_followers(request: Request) -> Response:
        found = await store.find(pool, request.path_params["name"])
        if found is None or found.kind != "group":
            return problem(404, "no such group")
        try:
            number = collection.page_number(request.query_params.get("page"))
        except ValueError:
            return problem(400, "page must be a positive integer")
        collection_id = links.pending_followers(found.name)
        waiting = [item.follower for item in await membership.pending_for(pool, links, found)]
        reader = await signed_by(request)
        if reader is None or not await membership.moderated_by(pool, links, found, reader):
            if number is not None:
                return for_reader(problem(403, "pending followers are listed to the group's moderators only"))
            return for_reader(activity_json(collection.count_only(collection_id, len(waiting))))
        if number is None:
            return for_reader(activity_json(collection.collection(collection_id, len(waiting))))
        start = (number - 1) * collection.PAGE_SIZE
        items: list[object] = list(waiting[start : start + collection.PAGE_SIZE])
        return for_reader(activity_json(collection.page(collection_id, number, items, len(waiting))))

    return Route(urls.PENDING_FOLLOWERS, pending_followers)


def collection_routes(instance: Instance) -> list[Route]:
    pool, links = instance.pool, instance.urls

    def endpoint(kind: str) -> Callable[[Request], object]:
        async def handle(request: Request) -> Response:
            found = await store.find(pool, request.path_params["name"])
            if found is None or found.is_instance:
                return problem(404, "no such actor")
            if kind == "outbox":
                return await outbox_pages(request, pool, links.outbox(found.name), found.id)
            try:
                number = collection.page_number(request.query_params.get("page"))
            except ValueError:
                return problem(400, "page must be a positive integer")
            collection_id = getattr(links, kind)(found.name)
            if kind == "featured":
                if number is not None:
                    return problem(404, "the pinned posts are all in the collection: it has no pages")
                return activity_json(collection.inline(collection_id, await collection.featured(pool, found.id)))
            if kind == "followers" and found.kind == "group" and found.visibility != "public":
                if number is not None:
                    return problem(403, "the members of a members-only group are not listed")
                total = await collection.follower_count(pool, links.actor(found.name))
                return activity_json(collection.count_only(collection_id, total))
            total, items = await _items(kind, found, number or 1)
            if number is None:
                return activity_json(collection.collection(collection_id, total))
            return activity_json(collection.page(collection_id, number, items, total))

        return handle

    async def _items(kind: str, actor: Actor, number: int) -> tuple[int, list[object]]:
        actor_id = links.actor(actor.name)
        if kind == "followers":
            return await collection.followers(pool, actor_id, number)
        if kind == "following":
            return await collection.following(pool, actor_id, number, links.actor(""))
        return 0, []

    return [
        Route(urls.OUTBOX, endpoint("outbox")),
        Route(urls.FOLLOWERS, endpoint("followers")),
        Route(urls.FOLLOWING, endpoint("following")),
        Route(urls.FEATURED, endpoint("featured")),
    ]


def object_routes(
    instance: Instance,
    signed_by: SignedBy,
    render_object: ObjectRenderer,
    fetched: Fetched = _not_counted,
    render_teaser: ObjectRenderer | None = None,
    browsing_as: SignedBy | None = None,
) -> list[Route]:
    """Objects and activities at their ids; followers-only ones only to servers with an approved follower of their
    owner, by a fetch signed by any actor of that server (on our own domain, by that follower only). A browser
    refused a members-only figure gets its teaser, with a 403: what it measures, where, when, and the way in —
    the link in a Mastodon post leads somewhere; a fediverse server gets a 404, as for anything it may not see.
    A browser cannot sign: the person signed in on it (``browsing_as``) reads its pages as that person, under the
    same rule as their signature — a local actor reads members-only objects only as an approved follower."""
    pool, links = instance.pool, instance.urls

    async def reader_of(request: Request) -> str | None:
        reader = await signed_by(request)
        if reader is None and browsing_as is not None and not wants_activity_json(request.headers.get("accept")):
            reader = await browsing_as(request)
        return reader

    async def allowed(request: Request, actor_id: int, audience: str, document: dict[str, object]) -> bool:
        if audience == "public":
            return True
        reader = await reader_of(request)
        if reader is None:
            return False
        owner = await pool.fetchrow("SELECT name FROM actors WHERE id = $1", actor_id)
        if owner is None:
            return False
        if audience == "direct":  # for those it names, and no one else
            return reader in normalise_ids(document)
        # Mastodon with authorized fetch and Takahē fetch as their instance actor, not as the follower: a server
        # that holds an approved follower of the owner may read for it, whichever of its actors signs.
        named = reader in normalise_ids(document)
        if not named and not await reads_for_followers(instance, links.actor(owner["name"]), reader):
            return False
        await fetched(reader, actor_id, str(document.get("id")))  # a followers-only object, read
        return True

    async def local_object(request: Request) -> Response:
        uri = links.object(request.path_params["uuid"])
        row = await pool.fetchrow(
            "SELECT o.actor_id, o.audience, o.document, o.deleted_at, a.deleted_at AS owner_deleted,"
            " a.suspended_at AS owner_suspended FROM local_objects o JOIN actors a ON a.id = o.actor_id"
            " WHERE o.uri = $1",
            uri,
        )
        if row is None:
            return refused(request, 404, "no such object")
        if row["deleted_at"] is not None or row["owner_deleted"] is not None:
            return activity_json(
                {"@context": "https://www.w3.org/ns/activitystreams", "id": uri, "type": "Tombstone"}, status=410
            )
        if row["owner_suspended"] is not None:  # as Mastodon answers for a suspended account's posts
            return refused(request, 403, "the author of this object is suspended")
        if not await allowed(request, row["actor_id"], row["audience"], row["document"]):
            browsing = not wants_activity_json(request.headers.get("accept"))
            if render_teaser is not None and browsing and isinstance(row["document"].get("figure"), dict):
                return for_reader(HTMLResponse(await render_teaser(request, row["document"]), status_code=403))
            return refused(request, 404, "no such object", private=True)
        if not wants_activity_json(request.headers.get("accept")):
            page = HTMLResponse(await render_object(request, row["document"]), headers={"Vary": "Accept"})
            return for_audience(page, row["audience"])
        return for_audience(activity_json(row["document"]), row["audience"])

    async def local_activity(request: Request) -> Response:
        uri = links.activity(request.path_params["uuid"])
        row = await pool.fetchrow(
            "SELECT o.actor_id, o.audience, o.document, a.deleted_at, a.suspended_at FROM outbox o"
            " JOIN actors a ON a.id = o.actor_id WHERE o.activity_id = $1",
            uri,
        )
        if row is None:
            return problem(404, "no such activity")
        if row["document"].get("type") != "Delete":  # the one a deleted or suspended actor still shows
            if row["deleted_at"] is not None:
                return problem(410, "the author of this activity was deleted")
            if row["suspended_at"] is not None:
                return problem(403, "the author of this activity is suspended")
        if not await allowed(request, row["actor_id"], row["audience"], row["document"]):
            return for_reader(problem(404, "no such activity"))
        return for_audience(activity_json(row["document"]), row["audience"])

    async def synchronization(request: Request) -> Response:
        found = await store.find(pool, request.path_params["name"])
        if found is None or found.is_instance:
            return problem(404, "no such actor")
        reader = await signed_by(request)
        if reader is None:
            return for_reader(problem(401, "sign this request: the list is for the reader's own domain"))
        if links.is_local(reader):
            return for_reader(problem(403, "the list is for other servers: this one knows its own followers"))
        domain = host_of(reader)
        followers = await followers_on(pool, links.actor(found.name), domain)
        collection_id = f"{links.actor(found.name)}/followers_synchronization"
        document = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": collection_id,
            "type": "OrderedCollection",
            "totalItems": len(followers),
            "orderedItems": followers,
        }
        return for_reader(activity_json(document))

    async def instance_outbox(request: Request) -> Response:
        """Its public activities, in pages as any outbox: Fedify walks ``first`` → ``next`` and expects pages."""
        actor = await store.instance_actor(pool)
        return await outbox_pages(request, pool, links.instance_outbox(), actor.id)

    async def instance_followers(request: Request) -> Response:
        """Its accepted followers are peer instances (and relays): servers, not people, so they are listed."""
        listed = links.instance_actor()
        return await paged(request, links.instance_followers(), lambda page: collection.followers(pool, listed, page))

    return [
        Route(urls.OBJECT, local_object),
        Route(urls.ACTIVITY, local_activity),
        Route(urls.ACTOR + "/followers_synchronization", synchronization),
        Route(urls.INSTANCE_OUTBOX, instance_outbox),
        Route(urls.INSTANCE_FOLLOWERS, instance_followers),
    ]


async def reads_for_followers(instance: Instance, owner: str, reader: str) -> bool:
    """Whether ``reader`` may read ``owner``'s followers-only objects, being named aside.

    A remote server that holds an approved follower reads for it, whichever of its actors signs. Our own domain is
    no such server: it holds every local person, and the approval of one member must not open the group to all of
    them, so a local actor reads only as an approved follower itself."""
    followers = await followers_on(instance.pool, owner, host_of(reader))
    if instance.urls.is_local(reader):
        return reader in followers
    return bool(followers)


async def outbox_pages(request: Request, pool: Pool, collection_id: str, local_id: int) -> Response:
    """An outbox, walked by id (``actors.collection``); numbered pages of old links up to ``NUMBERED_PAGES``."""
    try:
        asked = collection.keyset(request.query_params)
    except ValueError as error:
        return problem(400, "page must be a positive integer" if "page" in request.query_params else str(error))
    if isinstance(asked, collection.Keyset):
        total, rows, more = await collection.outbox_page(pool, local_id, asked)
        return activity_json(collection.keyset_page(collection_id, asked, rows, more, total))
    if asked is None:
        total = await collection.counted(pool, "outbox", str(local_id))
        return activity_json(collection.keyset_collection(collection_id, total))
    if asked > collection.NUMBERED_PAGES:
        return problem(404, f"numbered pages stop at {collection.NUMBERED_PAGES}: follow the first page's next links")
    total, items = await collection.outbox(pool, local_id, asked)
    return activity_json(collection.page(collection_id, asked, items, total))


async def paged(request: Request, collection_id: str, items: PageItems) -> Response:
    """The collection when no page is asked, else the page asked (``items`` gives the total and that page)."""
    try:
        number = collection.page_number(request.query_params.get("page"))
    except ValueError:
        return problem(400, "page must be a positive integer")
    total, found = await items(number or 1)
    if number is None:
        return activity_json(collection.collection(collection_id, total))
    return activity_json(collection.page(collection_id, number, found, total))


def normalise_ids(document: dict[str, object]) -> set[str]:
    return {ident for key in ("to", "cc", "bto", "bcc", "audience") for ident in ids_of(document.get(key))}


def host_of(uri: str) -> str:
    return urlsplit(uri).netloc.lower()
