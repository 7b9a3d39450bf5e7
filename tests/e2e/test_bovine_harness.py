"""The bovine-herd harness on its own: two real bovine servers on loopback ports talking to each other.

These prove the harness before our own server is put in front of bovine: a user on one server follows a
user on the other, is accepted, and receives what the followed user posts for its followers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.bovine import (
    BovineCommandError,
    BovineServer,
    BovineUnavailable,
    BovineUser,
    bovine_python_or_skip,
    ensure_bovine_venv,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bovine_python() -> Path:
    return bovine_python_or_skip()


@pytest.fixture(scope="module")
def servers(
    bovine_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BovineServer, BovineServer]]:
    first = BovineServer.start(tmp_path_factory.mktemp("bovine-a"), bovine_python)
    try:
        second = BovineServer.start(tmp_path_factory.mktemp("bovine-b"), bovine_python)
    except BaseException:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


async def _followed(a: BovineServer, alice: BovineUser, b: BovineServer, bob: BovineUser) -> None:
    """alice (on a) follows bob (on b) and bob accepts."""
    await a.follow(alice, bob.actor_id)
    await b.wait_for_inbox(bob, lambda item: item.get("type") == "Follow")
    assert await b.accept_follows(bob) == [alice.actor_id]
    await a.wait_for_ids(lambda: a.following(alice), bob.actor_id)


async def test_a_follow_waits_for_the_followed_user_to_accept(servers: tuple[BovineServer, BovineServer]) -> None:
    a, b = servers
    alice, bob = await a.create_user("alice"), await b.create_user("bob")
    assert alice.actor_id.startswith(f"http://localhost:{a.port}/endpoints/")

    follow_id = await a.follow(alice, bob.actor_id)
    received = await b.wait_for_inbox(bob, lambda item: item.get("id") == follow_id)
    assert received["type"] == "Follow"
    assert received["object"]["id"] == bob.actor_id
    assert await a.following(alice) == []
    assert await b.followers(bob) == []

    assert await b.accept_follows(bob) == [alice.actor_id]
    assert bob.actor_id in await a.wait_for_ids(lambda: a.following(alice), bob.actor_id)
    assert await b.followers(bob) == [alice.actor_id]
    assert await b.accept_follows(bob) == []


async def test_a_followers_only_note_reaches_the_follower_only(servers: tuple[BovineServer, BovineServer]) -> None:
    a, b = servers
    alice, carol, bob = await a.create_user("anna"), await a.create_user("carol"), await b.create_user("bruno")
    await _followed(a, alice, b, bob)

    create_id = await b.post_note(bob, "Loyer médian : 13,2 €/m²")
    received = await a.wait_for_inbox(alice, lambda item: item.get("id") == create_id)
    assert received["type"] == "Create"
    assert received["object"]["content"] == "Loyer médian : 13,2 €/m²"
    assert received["object"]["attributedTo"] == bob.actor_id
    assert [item["type"] for item in await b.outbox_items(bob)] == ["Create", "Accept"]
    assert all(item.get("id") != create_id for item in await a.inbox_items(carol))


async def test_actors_need_a_signed_get_but_discovery_and_collections_do_not(
    servers: tuple[BovineServer, BovineServer],
) -> None:
    _, b = servers
    bob = await b.create_user("basile")
    async with httpx.AsyncClient() as client:
        actor = await client.get(bob.actor_id, headers={"Accept": "application/activity+json"})
        finger = await client.get(f"{b.base_url}/.well-known/webfinger", params={"resource": f"acct:basile@{b.domain}"})
        inbox = await client.get(bob.inbox)
    assert actor.status_code == 401
    assert [link["href"] for link in finger.json()["links"] if link["rel"] == "self"] == [bob.actor_id]
    assert inbox.status_code == 200
    assert inbox.json()["type"] == "OrderedCollection"


async def test_a_failed_command_reports_the_bovine_logs(servers: tuple[BovineServer, BovineServer]) -> None:
    a, _ = servers
    alice = await a.create_user("agathe")
    stranger = BovineUser(**{**vars(alice), "secret": "z3u2en7t5LR2WJQwuH7xzH6eoRN9BoKdRyRYNn2hS1aSB3Sq"})
    with pytest.raises(BovineCommandError, match="bovine send failed") as failure:
        await a.send(stranger, {"type": "Follow", "actor": alice.actor_id, "object": alice.actor_id})
    assert "Failed to create Moo Auth Client" in str(failure.value)
    assert "Running on http://127.0.0.1" in str(failure.value)


def test_the_virtualenv_is_reused(bovine_python: Path) -> None:
    started = time.monotonic()
    assert ensure_bovine_venv() == bovine_python
    assert time.monotonic() - started < 2


def test_without_a_package_index_the_install_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIFFRES_BOVINE_PYTHON", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(BovineUnavailable, match=r"^bovine-herd cannot be installed: "):
        ensure_bovine_venv(tmp_path / "venv")
    assert not (tmp_path / "venv" / "chiffres-installed.json").exists()
