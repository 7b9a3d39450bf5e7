"""The body of an HTML form, read without a multipart parser: our forms post ``application/x-www-form-urlencoded``.

The body is bounded before it is parsed, fields are few, and bytes that are not UTF-8 become replacement characters,
so that no form can hold the event loop or raise past the handler.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_BODY = 16 * 1024
MAX_FIELDS = 20


class FormTooLarge(Exception):
    """The body is larger than any of our forms can be."""


async def read(request: Request) -> dict[str, str]:
    """The fields of the form, first value of each; a body that is not urlencoded reads as no fields."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise FormTooLarge(f"a form is at most {MAX_BODY // 1024} KiB")
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return {}
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="replace"
        )
    except ValueError:
        raise FormTooLarge(f"a form has at most {MAX_FIELDS} fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value.replace("\x00", ""))
    return fields
