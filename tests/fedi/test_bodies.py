"""``fedi.bodies.receive_capped``: the inbox's body, read from its ASGI messages with the same cap as the API's."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive

from fedi.bodies import BodyTooLarge, receive_capped


def _messages(messages: Iterable[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0)

    return receive


async def test_a_body_in_several_messages_is_read_whole() -> None:
    receive = _messages(
        [
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.unknown"},
            {"type": "http.request", "body": b"", "more_body": True},
            {"type": "http.request", "body": b"cd", "more_body": False},
        ]
    )
    assert await receive_capped(receive, 10, None) == b"abcd"


async def test_a_body_over_the_cap_is_refused_whatever_its_length_says() -> None:
    chunks = [{"type": "http.request", "body": b"x" * 6, "more_body": True}] * 3
    with pytest.raises(BodyTooLarge):
        await receive_capped(_messages(chunks), 10, "4")
    with pytest.raises(BodyTooLarge):
        await receive_capped(_messages([]), 10, "11")  # refused before anything is read


async def test_a_client_gone_before_the_end_of_its_body_is_told_apart() -> None:
    receive = _messages([{"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.disconnect"}])
    with pytest.raises(ClientDisconnect):
        await receive_capped(receive, 10, None)


@pytest.mark.parametrize("declared", ["²", "٣", "9" * 5_000, " 11 ", "0" * 40 + "11"])
async def test_a_content_length_no_number_reads_or_too_long_to_convert_is_not_a_crash(declared: str) -> None:
    """``int`` refuses non-ASCII digits and numbers of over 4,300 digits: each must be ignored or refused as over."""
    receive = _messages([{"type": "http.request", "body": b"ab", "more_body": False}])
    try:
        body = await receive_capped(receive, 10, declared)
    except BodyTooLarge:
        assert declared.strip().lstrip("0") in ("9" * 5_000, "11")
    else:
        assert body == b"ab"
        assert not declared.strip().isascii()
