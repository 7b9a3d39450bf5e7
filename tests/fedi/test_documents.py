"""``fedi.documents.loads`` reads JSON as ``json.loads`` does with its two refusals, with one decoder for every call:
the same documents, the same errors, for every encoding ``json.loads`` reads."""

from __future__ import annotations

import json

import pytest

from fedi import documents

TEXTS: list[bytes | str] = [
    b'{"type": "Like", "n": 1.5, "big": 12345678901234567890}',
    '{"a": "é", "b": [1, 2.0e3, null, true]}',
    b"\xef\xbb\xbf" + b'{"bom": "utf-8 bytes"}',
    "\ufeff" + '{"bom": "in a string"}',
    '{"u": 1}'.encode("utf-16"),
    '{"u": 1}'.encode("utf-32-le"),
    b'{"s": "\\ud800"}',
    b"[1e400]",
    b"[-Infinity]",
    b"NaN",
    b'{"a":',
    b"\xff\xfe",
    b"\xc3(",
    "",
]


def _outcome(read: object) -> object:
    try:
        return ("value", read())  # type: ignore[operator]
    except ValueError as error:
        return (type(error).__name__, str(error))


@pytest.mark.parametrize("text", TEXTS)
def test_the_shared_decoder_reads_what_json_loads_reads(text: bytes | str) -> None:
    expected = _outcome(
        lambda: json.loads(text, parse_constant=documents._refuse_constant, parse_float=documents._finite)
    )
    assert _outcome(lambda: documents.loads(text)) == expected
