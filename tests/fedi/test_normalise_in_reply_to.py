"""``inReplyTo`` in every shape fediverse-pasture sends (input ``in_reply_to``): the id where there is one, the rest
ignored, and never a refusal of the whole reply."""

from __future__ import annotations

from typing import Any

import pytest

from fedi.normalise import MalformedActivity, normalise_activity

NOTE1 = "http://pasture-one-actor/assets/note1.jsonap"
NOTE2 = "http://pasture-one-actor/assets/note2.jsonap"

# (fediverse-pasture's example, what it replies to)
SHAPES: list[tuple[object, str | None]] = [
    (NOTE1, NOTE1),
    ("http://invalid.example/", "http://invalid.example/"),
    ([NOTE1], NOTE1),
    ({"type": "Link", "href": NOTE1}, NOTE1),
    ([NOTE1, NOTE2], NOTE1),
    ({"type": "Collection", "items": ["http://pasture-one-actor/actor"]}, None),
    (
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Note",
            "id": NOTE1,
            "to": ["as:Public"],
            "attributedTo": "http://pasture-one-actor/actor",
            "content": "One",
            "published": "2024-01-06T13:11:45Z",
        },
        NOTE1,
    ),
    ([{"type": "Collection", "items": [NOTE2]}, NOTE1], NOTE1),
]


def reply(in_reply_to: object) -> dict[str, Any]:
    actor = "http://pasture-one-actor/actor"
    note = {"id": f"{actor}/notes/5", "type": "Note", "attributedTo": actor, "content": "x", "inReplyTo": in_reply_to}
    return {"id": f"{actor}/notes/5/activity", "type": "Create", "actor": actor, "object": note}


@pytest.mark.parametrize(("in_reply_to", "target"), SHAPES, ids=[f"shape {n}" for n in range(len(SHAPES))])
def test_a_reply_is_read_whatever_the_shape_of_in_reply_to(in_reply_to: object, target: str | None) -> None:
    note = normalise_activity(reply(in_reply_to)).object
    assert note is not None
    assert note.ref("inReplyTo") == target


@pytest.mark.parametrize("in_reply_to", [5, [NOTE1, True], ""])
def test_what_is_no_reference_at_all_is_still_malformed(in_reply_to: object) -> None:
    with pytest.raises(MalformedActivity):
        normalise_activity(reply(in_reply_to))
