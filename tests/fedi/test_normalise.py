"""Normalisation of activities as real servers send them, and refusal of malformed ones."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import fedi.normalise as normalise_module
from fedi.normalise import (
    PUBLIC,
    Activity,
    MalformedActivity,
    Node,
    as_list,
    id_of,
    ids_of,
    load_activity,
    normalise,
    normalise_activity,
    normalise_object,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fediverse"


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return document


# (file, types, actor, object id, embedded object's types or None, public)
CAPTURED = [
    ("buffalo_create_note_1.json", ("Create",), "https://my_domain/activitypub/name",
     "https://my_domain/activitypub/name/3c0281b7-bede-460a-a49b-3b6d7d4eb32f", ("Note",), True),
    ("mastodon_announce_1.json", ("Announce",), "https://first_domain/users/first",
     "https://second_domain/users/second/statuses/109724234853", None, True),
    ("mastodon_announce_1_undo.json", ("Undo",), "https://first_domain/users/first",
     "https://first_domain/users/first/statuses/1097854/activity", ("Announce",), True),
    ("mastodon_delete_actor_1.json", ("Delete",), "https://mastodon/users/Alice",
     "https://mastodon/users/Alice", None, True),
    ("mastodon_flag_1.json", ("Flag",), "https://other_domain/actor",
     "https://my_domain/users/tobi", None, False),
    ("mastodon_flow_1_create_note.json", ("Create",), "https://mastodon/users/john",
     "https://mastodon/users/john/statuses/9876", ("Note",), True),
    ("mastodon_flow_1_update_note.json", ("Update",), "https://mastodon/users/john",
     "https://mastodon/users/john/statuses/9876", ("Note",), True),
    ("mastodon_flow_2_create_note.json", ("Create",), "https://mastodon/users/remote-user",
     "https://mastodon/users/remote-user/statuses/109820990504", ("Note",), True),
    ("mastodon_flow_2_delete_note.json", ("Delete",), "https://mastodon/users/remote-user",
     "https://mastodon/users/remote-user/statuses/109820990504", ("Tombstone",), True),
    ("mastodon_follow_1.json", ("Follow",), "https://example.com/users/JohnMastodon",
     "https://my_domain/activitypub/user", None, False),
    ("mastodon_like_1.json", ("Like",), "https://other_domain/users/phoenix",
     "https://my_domain/activitypub/helge/id567", None, False),
    ("mastodon_like_1_undo.json", ("Undo",), "https://other_domain/users/phoenix",
     "https://other_domain/users/phoenix#likes/557", ("Like",), False),
    ("mitra_follow.json", ("Follow",), "https://mitra.social/users/silverpill",
     "https://mymath.rocks/activitypub/helge", None, False),
    ("munching_cow_create_note_1.json", ("Create",), "https://my_domain/activitypub/munchingcow",
     "https://my_domain/activitypub/munchingcow/9c1d3b44-c6f6-4310-9113-a0c3d3208cac", ("Note",), True),
    ("munching_cow_delete_1.json", ("Delete",), "https://my_domain/activitypub/munchingcow",
     "https://my_domain/activitypub/munchingcow/9c1d3b44-c6f6-4310-9113-a0c3d3208cac", ("Tombstone",), True),
]  # fmt: skip


def test_every_captured_activity_is_covered() -> None:
    covered = {row[0] for row in CAPTURED} | {"peertube_create_video_1.json"}
    assert covered == {path.name for path in FIXTURES.glob("*.json")}


@pytest.mark.parametrize(("name", "types", "actor", "object_id", "embedded", "public"), CAPTURED)
def test_captured_activities_normalise(
    name: str,
    types: tuple[str, ...],
    actor: str,
    object_id: str,
    embedded: tuple[str, ...] | None,
    public: bool,
) -> None:
    activity = normalise_activity(fixture(name))
    assert activity.types == types
    assert activity.actor == actor
    assert activity.object_id == object_id
    assert (activity.object.types if activity.object else None) == embedded
    assert activity.is_public is public
    assert isinstance(activity.data["@context"], tuple)


def test_mastodon_note_content_and_language() -> None:
    note = normalise_activity(fixture("mastodon_flow_1_create_note.json")).object
    assert note is not None
    assert note.content == "<p>Creating Test Data!!! :)</p>"
    assert note.content_map == {"en": "<p>Creating Test Data!!! :)</p>"}
    assert note.ref("attributedTo") == "https://mastodon/users/john"
    assert note.ref("inReplyTo") is None
    assert note.values("tag") == ()
    assert note.recipients == (PUBLIC, "https://mastodon/users/john/followers")


def test_an_undo_carries_the_undone_activity() -> None:
    undo = normalise_activity(fixture("mastodon_like_1_undo.json"))
    like = undo.object
    assert like is not None
    assert like.is_a("Like")
    assert like.ref("object") == "https://my_domain/activitypub/helge/id567"
    assert like.ref("actor") == undo.actor


def test_a_peertube_video_is_an_object_not_an_activity() -> None:
    document = fixture("peertube_create_video_1.json")
    with pytest.raises(MalformedActivity, match="no actor"):
        normalise_activity(document)
    video = normalise_object(document)
    assert video.is_a("Video")
    assert video.refs("attributedTo") == (
        "https://peertube/accounts/ddevault",
        "https://peertube/video-channels/sircmpwn",
    )
    assert video.ref("attributedTo") == "https://peertube/accounts/ddevault"
    assert video.refs("url")[0] == "https://peertube/videos/watch/some3456-uuid"
    assert [tag.get("name") for tag in video.nodes("tag")] == ["fosdem", "hare", "kernels"]
    assert video.content == "Markdown\r\n\r\n> huh?\r\n>\r\n> parsing it?\r\n"


def gotosocial_reply() -> dict[str, Any]:
    """A reply shaped as GoToSocial sends it: one Mention as a bare `tag` object, string `to`."""
    return {
        "@context": ["https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"],
        "id": "https://gts.example/users/ana/statuses/01HX/activity",
        "type": "Create",
        "actor": "https://gts.example/users/ana",
        "to": "https://chiffres.example/groups/loyers",
        "cc": "https://gts.example/users/ana/followers",
        "object": {
            "id": "https://gts.example/users/ana/statuses/01HX",
            "type": "Note",
            "attributedTo": "https://gts.example/users/ana",
            "inReplyTo": "https://chiffres.example/figures/7",
            "contentMap": {"fr": "<p>plutôt 845 €/mois</p>"},
            "tag": {
                "type": "Mention",
                "href": "https://chiffres.example/groups/loyers",
                "name": "@loyers@chiffres.example",
            },
            "attachment": {"type": "Document", "url": "https://gts.example/media/1.png"},
            "to": "https://chiffres.example/groups/loyers",
        },
    }


def test_single_values_become_lists() -> None:
    activity = normalise_activity(gotosocial_reply())
    note = activity.object
    assert note is not None
    assert activity.refs("to") == ("https://chiffres.example/groups/loyers",)
    assert note.refs("tag") == ("https://chiffres.example/groups/loyers",)
    assert [mention.get("type") for mention in note.nodes("tag")] == [("Mention",)]
    assert len(note.values("attachment")) == 1
    assert note.types == ("Note",)


def test_content_comes_from_the_content_map_when_content_is_missing() -> None:
    note = normalise_activity(gotosocial_reply()).object
    assert note is not None
    assert note.content == "<p>plutôt 845 €/mois</p>"
    assert note.ref("inReplyTo") == "https://chiffres.example/figures/7"


def test_type_arrays_match_by_inclusion() -> None:
    node = normalise_object({"type": ["Note", "Figure"]})
    assert node.is_a("Note")
    assert node.is_a("Article", "Figure")
    assert not node.is_a("Article")


def test_namespaced_activitystreams_types_are_shortened() -> None:
    node = normalise_object({"type": ["as:Note", "https://www.w3.org/ns/activitystreams#Like", "ex:Other"]})
    assert node.types == ("Note", "Like", "ex:Other")


@pytest.mark.parametrize("spelling", ["Public", "as:Public", PUBLIC])
def test_every_spelling_of_public_is_public(spelling: str) -> None:
    activity = normalise_activity({**fixture("mastodon_like_1.json"), "cc": spelling})
    assert activity.is_public
    assert activity.refs("cc") == (PUBLIC,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/1", "https://a.example/1"),
        ("", None),
        (None, None),
        (42, None),
        ({"id": "https://a.example/1", "type": "Person"}, "https://a.example/1"),
        ({"type": "Link", "href": "https://a.example/2"}, "https://a.example/2"),
        ({"type": "Mention", "id": "https://a.example/m", "href": "https://a.example/u"}, "https://a.example/u"),
        ({"href": "https://a.example/3"}, "https://a.example/3"),
        ({"name": "no id"}, None),
        ({"id": 5}, None),
        ([{"name": "x"}, "https://a.example/4", "https://a.example/5"], "https://a.example/4"),
        ([], None),
    ],
)
def test_id_of(value: object, expected: str | None) -> None:
    assert id_of(value) == expected


def test_ids_of_and_as_list() -> None:
    assert ids_of(["https://a.example/1", {"name": "x"}, {"id": "https://a.example/2"}]) == (
        "https://a.example/1",
        "https://a.example/2",
    )
    assert ids_of("https://a.example/1") == ("https://a.example/1",)
    assert as_list(None) == []
    assert as_list(("a", "b")) == ["a", "b"]
    assert as_list({"a": 1}) == [{"a": 1}]


def test_the_view_is_read_only_and_thaws_to_plain_json() -> None:
    original = fixture("mastodon_flow_1_create_note.json")
    activity = normalise_activity(copy.deepcopy(original))
    with pytest.raises(TypeError):
        activity.data["id"] = "https://evil.example/x"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        activity.data = {}  # type: ignore[misc]
    plain = activity.to_json()
    assert plain == normalise(original)
    assert plain["object"]["cc"] == ["https://mastodon/users/john/followers"]
    plain["object"]["cc"].append("https://x.example")
    assert activity.object is not None
    assert activity.object.refs("cc") == ("https://mastodon/users/john/followers",)


def test_normalise_does_not_touch_its_input() -> None:
    original = gotosocial_reply()
    kept = copy.deepcopy(original)
    normalise(original)
    assert original == kept


def test_load_activity_parses_bytes() -> None:
    body = (FIXTURES / "mastodon_like_1.json").read_bytes()
    activity = load_activity(body)
    assert isinstance(activity, Activity)
    assert activity.is_a("Like")


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"\xff\xfe{}", b'{"id": NaN}', b'{"n": 1e400}', b"[" * 100_000 + b"]" * 100_000],
)
def test_load_activity_refuses_bodies_that_are_not_json(body: bytes) -> None:
    with pytest.raises(MalformedActivity):
        load_activity(body)


LIKE = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "https://other.example/users/phoenix#likes/557",
    "type": "Like",
    "actor": "https://other.example/users/phoenix",
    "object": "https://chiffres.example/figures/7",
}


def nested(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "Note"}
    for _ in range(depth):
        inner = {"type": "Note", "object": inner}
    return inner


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "no `id`"),
        ({"id": "/users/phoenix#likes/557"}, "absolute http"),
        ({"id": "urn:uuid:1234"}, "absolute http"),
        ({"id": "https://"}, "absolute http"),
        ({"id": "http://[::1"}, "not a valid URL"),
        ({"id": 557}, "must be a string"),
        ({"type": None}, "no type"),
        ({"type": []}, "no type"),
        ({"type": 5}, "`type` must be"),
        ({"type": ["Like", {"x": 1}]}, "`type` must be"),
        ({"actor": None}, "no actor"),
        ({"actor": 5}, "no actor"),
        ({"actor": {"name": "anonymous"}}, "no actor"),
        ({"actor": ["https://a.example/1", "https://a.example/2"]}, "several actors"),
        ({"actor": "acct:phoenix@other.example"}, "absolute http"),
        ({"to": [PUBLIC, 5]}, "`to` must be"),
        ({"cc": {"name": "nobody"}}, "`cc` must be"),
        ({"target": 7}, "`target` must be"),
        ({"content": ["a", "b"]}, "`content` must be a string"),
        ({"contentMap": "fr"}, "`contentMap` must map"),
        ({"contentMap": {"fr": 1}}, "`contentMap` must map"),
        ({"tag": [{"type": "Hashtag"}, 3]}, "`tag` must hold"),
        ({"published": 1700000000}, "`published` must be a string"),
        ({"object": {"id": "https://a.example/n", "type": "Note", "content": 3}}, "`content` must be"),
        ({"object": {"id": "ftp://a.example/n", "type": "Note"}}, "absolute http"),
        ({"object": nested(200)}, "nested too deeply"),
    ],
)
def test_malformed_activities_are_refused(change: dict[str, Any], message: str) -> None:
    document = {key: value for key, value in {**LIKE, **change}.items() if value is not None}
    with pytest.raises(MalformedActivity, match=message):
        normalise_activity(document)


@pytest.mark.parametrize("document", [[], "Like", None, 5, [LIKE]])
def test_only_json_objects_are_activities(document: object) -> None:
    with pytest.raises(MalformedActivity, match="must be a JSON object"):
        normalise_activity(document)


def test_an_activity_may_embed_an_object_without_id() -> None:
    activity = normalise_activity({**LIKE, "type": "Create", "object": {"type": "Note", "content": "x"}})
    assert activity.object_id is None
    assert activity.object == Node(activity.data["object"])


def test_a_null_in_reply_to_is_no_reference() -> None:
    note = normalise_object({"type": "Note", "inReplyTo": None, "to": None})
    assert note.ref("inReplyTo") is None
    assert note.get("inReplyTo", "absent") == "absent"
    assert note.values("to") == ()


def random_json(rng: random.Random, depth: int = 0) -> Any:
    keys = ["id", "type", "actor", "object", "to", "cc", "tag", "url", "href", "content", "contentMap",
            "inReplyTo", "attributedTo", "@context", "published"]  # fmt: skip
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice([None, 0, 1.5, True, "", "x", "Public", "as:Note", "Link", "https://a.example/x",
                           "http://[::1", "https://"])  # fmt: skip
    if roll < 0.6:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def test_random_documents_raise_only_malformed_activity() -> None:
    """The inbox answers 400 to anything unreadable, never 500."""
    rng = random.Random(20250701)
    for index in range(3000):
        document = random_json(rng)
        if isinstance(document, dict) and index % 2:
            document.update(id="https://a.example/1", type="Like", actor="https://a.example/u")
        for read in (normalise_activity, normalise_object):
            try:
                node = read(document)
            except MalformedActivity:
                continue
            assert isinstance(node.content, str | None)
            assert all(isinstance(ident, str) for ident in node.recipients + node.refs("tag"))
            node.to_json()


def test_an_http_url_is_told_as_urlsplit_tells_it_for_any_string() -> None:
    """``_is_http_url`` takes plain URLs without ``urlsplit``: it must say what it said with it, everywhere."""
    rng = random.Random(20261201)

    def with_urlsplit(value: str) -> bool | None:
        try:
            parts = urlsplit(value)
        except ValueError:
            return None
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)

    starts = ["http://", "https://", "HTTPS://", "hTtP://", "http:/", "https:", "", "ftp://", " https://", "\thttp://"]
    values = [
        rng.choice(starts)
        + "".join(rng.choice("hHtTpPsS:/.-?#@[]a1Z \t\n\r\x00é%0") for _ in range(rng.randint(0, 14)))
        for _ in range(50_000)
    ]
    wrong = []
    for value in values:
        normalise_module._is_http_url.cache_clear()
        if normalise_module._is_http_url(value) != with_urlsplit(value):
            wrong.append(value)
    assert wrong == []
