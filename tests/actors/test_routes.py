from __future__ import annotations

import json
from importlib import resources

import httpx
import jsonschema
import pytest

from actors import follows, store
from fedi.database import Pool
from fedi.instance import Instance
from fedi.negotiation import AS2
from ledger.publication import Publisher
from tests.conftest import TEST_DOMAIN

BASE = f"https://{TEST_DOMAIN}"
AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def group(pool: Pool) -> str:
    await store.create(
        pool, "loyers", "group", display_name="Loyers", summary="Les loyers.\n\nPar quartier.", visibility="members"
    )
    return f"{BASE}/actors/loyers"


async def test_webfinger_acct_resolves_to_the_actor(client: httpx.AsyncClient, group: str) -> None:
    response = await client.get("/.well-known/webfinger", params={"resource": f"acct:loyers@{TEST_DOMAIN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["subject"] == f"acct:loyers@{TEST_DOMAIN}"
    self_links = [link for link in document["links"] if link["rel"] == "self"]
    assert self_links == [{"rel": "self", "type": "application/activity+json", "href": group}]


async def test_webfinger_by_actor_url_and_case(client: httpx.AsyncClient, group: str) -> None:
    for resource in (group, f"acct:LOYERS@{TEST_DOMAIN}", f"{BASE}/@loyers"):
        response = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200, resource
        assert response.json()["subject"] == f"acct:loyers@{TEST_DOMAIN}"


async def test_webfinger_instance_actor(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/webfinger", params={"resource": f"acct:{TEST_DOMAIN}@{TEST_DOMAIN}"})
    assert response.status_code == 200
    assert response.json()["links"][0]["href"] == f"{BASE}/actor"


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        (None, 400),
        ("", 400),
        ("acct:@", 400),
        ("acct:loyers", 400),
        (f"loyers@{TEST_DOMAIN}", 400),
        (f"=acct:loyers@{TEST_DOMAIN}", 400),
        (f"acct:loy ers@{TEST_DOMAIN}", 400),
        ("mailto:someone@example.org", 404),
        (f"foo://{TEST_DOMAIN}", 404),
        (f"acct:nobody@{TEST_DOMAIN}", 404),
        ("acct:loyers@elsewhere.example", 404),
        ("https://elsewhere.example/actors/loyers", 404),
    ],
)
async def test_webfinger_errors(client: httpx.AsyncClient, group: str, resource: str | None, status: int) -> None:
    params = {} if resource is None else {"resource": resource}
    response = await client.get("/.well-known/webfinger", params=params)
    assert response.status_code == status
    assert response.json()["error"]


async def test_group_document_has_what_mastodon_reads(client: httpx.AsyncClient, group: str) -> None:
    response = await client.get("/actors/loyers", headers=AP)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    actor = response.json()
    assert actor["id"] == group == str(response.url)
    assert AS2 in actor["@context"]
    assert actor["type"] == "Group"
    assert actor["preferredUsername"] == "loyers"
    assert actor["manuallyApprovesFollowers"] is True
    for key in ("inbox", "outbox", "followers", "following", "featured"):
        assert actor[key].startswith(group + "/")
    assert actor["endpoints"]["sharedInbox"] == f"{BASE}/inbox"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["id"] == f"{group}#main-key"
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    method = actor["assertionMethod"][0]
    assert method["type"] == "Multikey"
    assert method["controller"] == group
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert actor["summary"] == "<p>Les loyers.</p><p>Par quartier.</p>"
    assert actor["url"] == f"{BASE}/@loyers"


async def test_ld_json_profile_is_served_json(client: httpx.AsyncClient, group: str) -> None:
    accept = f'application/ld+json; profile="{AS2}"'
    response = await client.get("/actors/loyers", headers={"Accept": accept})
    assert response.json()["id"] == group


async def test_browsers_get_a_page(client: httpx.AsyncClient, group: str) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path in ("/actors/loyers", "/@loyers"):
        response = await client.get(path, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert f"@loyers@{TEST_DOMAIN}" in response.text
        assert "Par quartier." in response.text
    home = await client.get("/", headers={"Accept": accept})
    assert "Loyers" in home.text


async def test_member_document(client: httpx.AsyncClient, pool: Pool) -> None:
    await store.create(pool, "alice", "person", summary="<script>x</script>")
    actor = (await client.get("/actors/alice", headers=AP)).json()
    assert actor["type"] == "Person"
    assert actor["manuallyApprovesFollowers"] is False
    assert "<script>" not in actor["summary"]


async def test_instance_actor_is_an_application_readable_unsigned(client: httpx.AsyncClient) -> None:
    response = await client.get("/actor", headers=AP)
    assert response.status_code == 200
    actor = response.json()
    assert actor["type"] == "Application"
    assert actor["id"] == f"{BASE}/actor"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["preferredUsername"] == TEST_DOMAIN
    again = (await client.get("/actor", headers=AP)).json()
    assert again["publicKey"] == actor["publicKey"]


async def test_unknown_actor_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/actors/nobody", headers=AP)
    assert response.status_code == 404
    assert response.json()["error"] == "no such actor"


async def test_collections_are_paged(client: httpx.AsyncClient, pool: Pool) -> None:
    """A public group's followers are listed; a members-only group's are counted only (tests/actors/test_access)."""
    await store.create(pool, "loyers", "group", visibility="public")
    group = f"{BASE}/actors/loyers"
    for index in range(25):
        await pool.execute(
            "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
            f"https://remote.example/follows/{index}",
            f"https://remote.example/users/u{index}",
            group,
        )
    await pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'pending')",
        "https://remote.example/follows/p",
        "https://remote.example/users/pending",
        group,
    )
    followers = (await client.get("/actors/loyers/followers", headers=AP)).json()
    assert followers["type"] == "OrderedCollection"
    assert followers["id"] == f"{group}/followers"
    assert followers["totalItems"] == 25
    first = (await client.get(followers["first"].removeprefix(BASE), headers=AP)).json()
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == followers["id"]
    assert len(first["orderedItems"]) == 20
    second = (await client.get(first["next"].removeprefix(BASE), headers=AP)).json()
    assert len(second["orderedItems"]) == 5
    assert "next" not in second
    everyone = set(first["orderedItems"]) | set(second["orderedItems"])
    assert "https://remote.example/users/pending" not in everyone
    assert len(everyone) == 25
    for name in ("outbox", "following", "featured"):
        response = await client.get(f"/actors/loyers/{name}", headers=AP)
        assert response.json() | {} == response.json()
        assert response.json()["totalItems"] == 0
    bad = await client.get("/actors/loyers/followers?page=0", headers=AP)
    assert bad.status_code == 400


async def test_host_meta_xml_and_json(client: httpx.AsyncClient) -> None:
    xml = await client.get("/.well-known/host-meta")
    assert xml.headers["content-type"].startswith("application/xrd+xml")
    assert f'template="{BASE}/.well-known/webfinger?resource={{uri}}"' in xml.text
    as_json = await client.get("/.well-known/host-meta.json")
    assert as_json.json()["links"][0]["template"] == f"{BASE}/.well-known/webfinger?resource={{uri}}"
    negotiated = await client.get("/.well-known/host-meta", headers={"Accept": "application/json"})
    assert negotiated.json()["links"][0]["rel"] == "lrdd"


@pytest.mark.parametrize("version", ["2.1", "2.0"])
async def test_nodeinfo_validates_against_its_schema(
    client: httpx.AsyncClient, group: str, pool: Pool, version: str
) -> None:
    """Takahē reads only the 2.0 schema (and falls back to ``/nodeinfo/2.0``): both are listed and both validate."""
    await store.create(pool, "alice", "person")
    discovery = (await client.get("/.well-known/nodeinfo")).json()
    rels = {link["rel"]: link["href"] for link in discovery["links"]}
    assert rels["https://www.w3.org/ns/activitystreams#Application"] == f"{BASE}/actor"
    href = rels[f"http://nodeinfo.diaspora.software/ns/schema/{version}"]
    assert href == f"{BASE}/nodeinfo/{version}"
    response = await client.get(href.removeprefix(BASE))
    assert response.status_code == 200
    assert f'profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"' in response.headers["content-type"]
    document = response.json()
    schema = json.loads(resources.files("schemas").joinpath(f"nodeinfo-{version}.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["version"] == version
    assert document["usage"]["users"]["total"] == 1
    assert document["metadata"]["groups"] == 1


async def test_an_unknown_nodeinfo_version_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nodeinfo/3.0")
    assert response.status_code == 404
    assert "3.0" in response.json()["error"]


async def test_the_charter_every_group_links_to_is_served(client: httpx.AsyncClient, group: str) -> None:
    actor = (await client.get("/actors/loyers", headers=AP)).json()
    link = actor["attachment"][0]["value"]
    assert f"{BASE}/charter" in link
    page = await client.get("/charter", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Charte de réciprocité" in page.text


async def test_hashtag_links_lead_to_a_page_of_public_figures(client: httpx.AsyncClient, instance: Instance) -> None:
    prix = await store.create(instance.pool, "prix", "group", visibility="public")
    alice = await store.create(instance.pool, "alice", "person")
    asked = await follows.follow(
        instance.pool, instance.urls, alice, instance.urls.actor("prix"), instance.urls.inbox("prix"), instance.clock
    )
    await follows.approve(instance.pool, instance.urls, [asked.id], instance.clock, prix)
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    fields = {
        "value": "1,85",
        "unit": "EUR",
        "measures": "prix du gazole",
        "place": "Rennes",
        "period": "2026-05",
        "source": "https://prix.example/carburants",
        "tags": ["carburants"],
    }
    await publisher.publish(alice, prix, fields, "fr")
    page = await client.get("/tags/carburants", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "#carburants" in page.text
    assert "prix du gazole" in page.text
    empty = await client.get("/tags/loyers", headers={"Accept": "text/html"})
    assert "prix du gazole" not in empty.text


@pytest.mark.parametrize(
    "path",
    [
        "/tags/%00",
        "/objects/%00",
        "/activities/x%00",
        "/actors/%00/outbox",
        "/.well-known/webfinger?resource=acct:%00@chiffres.test",
    ],
)
async def test_nul_in_a_path_or_query_is_a_400_not_a_500(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=AP)
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
