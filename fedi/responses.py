"""Responses every endpoint shares: ActivityStreams JSON, JRD, and errors that say why."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from fedi.negotiation import ACTIVITY_JSON


def _dump(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(
    document: Any,
    *,
    status: int = 200,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(_dump(document), status_code=status, media_type=media_type, headers=headers)


def activity_json(document: Any, *, status: int = 200, cache_seconds: int = 60) -> Response:
    """Documents vary on Accept: the same URL is a page for browsers."""
    return json_response(
        document,
        status=status,
        media_type=ACTIVITY_JSON,
        headers={"Vary": "Accept", "Cache-Control": f"max-age={cache_seconds}, public"},
    )


def problem(status: int, reason: str) -> Response:
    """An error as JSON with a human reason, for peers and scripts alike."""
    return json_response({"error": reason, "status": status}, status=status)
