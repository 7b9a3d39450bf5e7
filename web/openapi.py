"""The figures API as data: one table of operations, from which both the routes and the OpenAPI 3.1 document
are made, so that neither can describe an endpoint the other lacks.

The `figure` object inside every answer is our JSON Schema (``schemas/figure.schema.json``), included as it is
(its internal references re-rooted under ``components``), never restated here. What is written here is what only
the API has: its envelopes, its input, its parameters and its errors. The module runs past 400 lines because it is
mostly that data, one table for each part of the document, which split would let a route and its description drift
apart; its code is the few functions that assemble them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

import schemas
from fedi.types import JSON
from fedi.urls import Urls

Access = Literal["none", "reader", "member"]

FIGURES: Final = "/api/v1/figures"
FIGURE: Final = "/api/v1/figures/{id:int}"
VERSIONS: Final = "/api/v1/figures/{id:int}/versions"
CSV: Final = "/api/v1/figures.csv"
JSONL: Final = "/api/v1/figures.jsonl"
TOKENS: Final = "/api/v1/tokens"
TOKEN: Final = "/api/v1/tokens/{id:int}"  # noqa: S105 (a path, not a secret)
REQUESTS: Final = "/api/v1/groups/{name}/requests"
DOCUMENT: Final = "/api/openapi.json"
CSV_TYPE: Final = "text/csv; charset=utf-8"
CSV_COLUMNS: Final = (
    "id",
    "uri",
    "value",
    "unit",
    "measures",
    "place",
    "place_code",
    "period",
    "source_url",
    "source_title",
    "method",
    "tags",
    "language",
    "version",
    "origin",
    "author",
    "group",
    "published",
    "updated",
    "display",
)
JSONL_TYPE: Final = "application/x-ndjson"


@dataclass(frozen=True)
class Operation:
    """One method on one path: `path` is the routing template; `responses` maps status codes to the names of
    response components below."""

    method: str
    path: str
    operation_id: str
    summary: str
    access: Access
    responses: tuple[tuple[int, str], ...]
    parameters: tuple[str, ...] = ()
    body: str | None = None


_FILTERS: Final = ("q", "tag", "place", "period", "group", "since", "uri")
_READ_ERRORS: Final = ((400, "BadRequest"), (401, "Unauthorized"))
_ONE_ERRORS: Final = ((401, "Unauthorized"), (404, "NotFound"), (410, "Gone"))
_WRITE_ERRORS: Final = ((400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"), (413, "TooLarge"))

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "GET",
        FIGURES,
        "listFigures",
        "Figures, newest first, filtered and paged by cursor",
        "reader",
        ((200, "FigurePage"), *_READ_ERRORS),
        (*_FILTERS, "limit", "cursor"),
    ),
    Operation(
        "POST",
        FIGURES,
        "createFigure",
        "Publish a figure into a local group",
        "member",
        ((201, "FigureCreated"), *_WRITE_ERRORS, (422, "Invalid")),
        body="FigureInput",
    ),
    Operation(
        "GET",
        CSV,
        "exportCsv",
        "Every matching figure as CSV, one row each",
        "reader",
        ((200, "Csv"), *_READ_ERRORS),
        (*_FILTERS, "exportLimit", "cursor"),
    ),
    Operation(
        "GET",
        JSONL,
        "exportJsonl",
        "Every matching figure as JSON Lines, one object each",
        "reader",
        ((200, "Jsonl"), *_READ_ERRORS),
        (*_FILTERS, "exportLimit", "cursor"),
    ),
    Operation("GET", FIGURE, "getFigure", "One figure", "reader", ((200, "Figure"), *_ONE_ERRORS), ("id",)),
    Operation(
        "PATCH",
        FIGURE,
        "updateFigure",
        "Change a figure: a new version, federated as an Update",
        "member",
        ((200, "Figure"), *_WRITE_ERRORS, (404, "NotFound"), (409, "Conflict"), (410, "Gone"), (422, "Invalid")),
        ("id",),
        "FigureChanges",
    ),
    Operation(
        "DELETE",
        FIGURE,
        "deleteFigure",
        "Delete a figure: a Tombstone, federated as a Delete",
        "member",
        (
            (204, "Deleted"),
            (401, "Unauthorized"),
            (403, "Forbidden"),
            (404, "NotFound"),
            (409, "Conflict"),
            (410, "Gone"),
        ),
        ("id",),
    ),
    Operation(
        "GET",
        VERSIONS,
        "figureVersions",
        "Every version a figure had, oldest first",
        "reader",
        ((200, "Versions"), *_ONE_ERRORS),
        ("id",),
    ),
    Operation(
        "GET",
        TOKENS,
        "listTokens",
        "The bearer's own API tokens, oldest first, without their secrets",
        "member",
        ((200, "Tokens"), (401, "Unauthorized")),
    ),
    Operation(
        "DELETE",
        TOKEN,
        "revokeToken",
        "Revoke one of the bearer's own tokens; it opens nothing from then on",
        "member",
        ((204, "Revoked"), (401, "Unauthorized"), (404, "NoSuchToken")),
        ("tokenId",),
    ),
    Operation(
        "GET",
        REQUESTS,
        "listRequests",
        "A local group's requests for figures, newest first; a members group's are for its approved members",
        "reader",
        ((200, "RequestList"), *_READ_ERRORS, (403, "Forbidden"), (404, "NoSuchGroup")),
        ("groupName", "requestStatus"),
    ),
    Operation("GET", DOCUMENT, "openapi", "This description", "none", ((200, "OpenApi"),)),
)


def openapi_path(template: str) -> str:
    """Routing templates carry converters (``{id:int}``); OpenAPI paths name the parameter only."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", template)


def document(urls: Urls) -> JSON:
    """The OpenAPI 3.1 document of this instance; a fresh object each call."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(openapi_path(operation.path), {})[operation.method.lower()] = _operation(operation)
    described: JSON = {
        "openapi": "3.1.0",
        "info": {
            "title": "ChiffresEnsemble figures API",
            "version": "1",
            "description": _INFO,
        },
        "servers": [{"url": urls.base}],
        "paths": paths,
        "components": {
            "schemas": {"Figure": figure_schema(), "Request": request_schema(), **_SCHEMAS},
            "parameters": _PARAMETERS,
            "responses": _responses(),
            "securitySchemes": _SECURITY,
        },
    }
    return copy.deepcopy(described)


def figure_schema() -> JSON:
    """``schemas/figure.schema.json`` as a component: its ``$id`` and ``$schema`` dropped (the document's own
    dialect applies) and its ``#/$defs/…`` references pointed at where the definitions now live."""
    schema: JSON = schemas.load_json("figure.schema.json")
    schema.pop("$id", None)
    schema.pop("$schema", None)
    rerooted: JSON = _reroot(schema, "#/components/schemas/Figure/$defs/")
    return rerooted


def request_schema() -> JSON:
    """``schemas/request.schema.json`` as a component, as :func:`figure_schema` includes the figure's."""
    schema: JSON = schemas.load_json("request.schema.json")
    schema.pop("$id", None)
    schema.pop("$schema", None)
    rerooted: JSON = _reroot(schema, "#/components/schemas/Request/$defs/")
    return rerooted


def _reroot(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {
            key: (prefix + value.removeprefix("#/$defs/"))
            if key == "$ref" and isinstance(value, str)
            else _reroot(value, prefix)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_reroot(item, prefix) for item in node]
    return node


_SECURITY_OF: Final[dict[Access, list[dict[str, list[str]]]]] = {
    "none": [],
    "reader": [{}, {"bearer": []}, {"httpSignature": []}],
    "member": [{"bearer": []}],
}


def _operation(operation: Operation) -> JSON:
    described: JSON = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "security": _SECURITY_OF[operation.access],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in operation.parameters],
        "responses": {str(status): {"$ref": f"#/components/responses/{name}"} for status, name in operation.responses},
    }
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{operation.body}"}}},
        }
    return described


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: str, headers: JSON | None = None) -> JSON:
    response: JSON = {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


def _text(description: str, media_type: str) -> JSON:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


def _responses() -> JSON:
    location = {"Location": {"description": "The figure's address in this API", "schema": {"type": "string"}}}
    return {
        "Figure": _json("The figure", "FigureRecord"),
        "FigureCreated": _json("The figure, published and queued for delivery", "FigureRecord", location),
        "FigurePage": _json("One page of figures; `next` is the cursor of the following page", "FigurePage"),
        "Versions": _json("The figure's versions", "FigureVersions"),
        "Csv": _text(f"A header row, then one row per figure; columns: {', '.join(CSV_COLUMNS)}", CSV_TYPE),
        "Jsonl": _text("One figure object (as in listings) per line", JSONL_TYPE),
        "Deleted": {"description": "Deleted; its address now serves a Tombstone"},
        "Tokens": _json("The bearer's tokens, revoked and expired ones included", "TokenList"),
        "Revoked": {"description": "Revoked"},
        "NoSuchToken": _json("The bearer has no live token with this id", "Error"),
        "RequestList": _json("The group's requests, newest first", "RequestList"),
        "NoSuchGroup": _json("No local group by this name", "Error"),
        "OpenApi": {"description": "This document", "content": {"application/json": {"schema": {"type": "object"}}}},
        "BadRequest": _json("A body or query parameter that cannot be read; the reason names it", "Error"),
        "Unauthorized": _json(
            "No bearer token where one is needed, or one that is unknown, revoked or expired; the reason says which",
            "Error",
        ),
        "Forbidden": _json("Not the figure's author, or not an approved member of its group", "Error"),
        "NotFound": _json("No such figure, or not one this reader may see", "Error"),
        "Gone": _json("The figure was deleted", "Error"),
        "Conflict": _json("The figure changed meanwhile, or cannot be changed here; try again or elsewhere", "Error"),
        "TooLarge": _json("The body is larger than 64 KiB", "Error"),
        "Invalid": _json("The figure is not valid; every problem is listed, field by field", "ValidationError"),
    }


_INFO: Final = (
    "Figures published on this instance and received from its peers. Reading needs no credentials for public "
    "figures; figures of a members-only group, here or on another instance, are served only to approved followers "
    "of that group: a local person with a bearer token (`chiffres token create --as NAME [--expires 30d]`) whose "
    "follow of the group was approved, or a fediverse actor by HTTP-signed GET, as between fediverse servers. "
    "Publishing into a group needs a bearer token of one of its approved members. Tokens may expire; members list "
    'and revoke their own. Answers depend on who asks and are never public in caches. Errors are JSON: `{"error": '
    "reason}`."
)

_SECURITY: Final = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "A member's API token"},
    "httpSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": "An HTTP signature (draft-cavage or RFC 9421) by a fediverse actor; its approved follows "
        "of members-only groups let it read their figures",
    },
}


def _query(name: str, description: str, schema: JSON) -> JSON:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_STRING: Final = {"type": "string"}
_PARAMETERS: Final = {
    "q": _query("q", "Full-text search (web search syntax) in French and in English, stemmed", _STRING),
    "tag": {
        **_query(
            "tag", "A hashtag, without '#'; repeat for figures having all of them", {"type": "array", "items": _STRING}
        ),
        "style": "form",
        "explode": True,
    },
    "place": _query("place", "Part of the place's name (any case), or its exact code", _STRING),
    "period": _query(
        "period",
        "An ISO 8601 period (2026, 2026-05, 2026-Q2, 2026-01/2026-06…): figures whose period overlaps it",
        _STRING,
    ),
    "group": _query("group", "The group: a local name, a handle name@host or its URI", _STRING),
    "since": _query(
        "since", "Figures published at or after this ISO 8601 date or date-time (UTC if no offset)", _STRING
    ),
    "uri": _query("uri", "The figure with this id (the Note's URI)", _STRING),
    "limit": _query(
        "limit", "How many figures on a page", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    ),
    "exportLimit": _query(
        "limit", "At most this many figures (all of them by default)", {"type": "integer", "minimum": 1}
    ),
    "cursor": _query("cursor", "Start after this point: the `next` of a previous page", _STRING),
    "tokenId": {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "The token's id, as its listing shows",
        "schema": {"type": "integer", "minimum": 1, "format": "int64"},
    },
    "groupName": {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "A local group's name",
        "schema": _STRING,
    },
    "requestStatus": _query(
        "status",
        "Only the requests in this state; stale: open for more than 30 days (open lists the others)",
        {"enum": ["open", "stale", "answered", "closed"]},
    ),
    "id": {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "The figure's number in this API",
        "schema": {"type": "integer", "minimum": 1, "format": "int64"},
    },
}

_TEXT: Final = {"type": "string", "pattern": "\\S"}
_INPUT_PROPERTIES: Final = {
    "value": {
        "description": 'As a person writes it in `lang` ("845,50", "1 200") or a JSON number',
        "type": ["string", "number"],
    },
    "unit": {
        "description": 'As a person writes it ("€/mois", "k€/an") or {code}',
        "oneOf": [_TEXT, {"type": "object", "required": ["code"], "properties": {"code": _STRING}}],
    },
    "measures": {**_TEXT, "description": "What the figure measures, in words"},
    "source": {
        "description": "The source's http(s) URL, or {url, title}",
        "oneOf": [_TEXT, {"type": "object", "required": ["url"], "properties": {"url": _STRING, "title": _STRING}}],
    },
    "source_title": {**_STRING, "description": "The source's title, when `source` is a URL"},
    "place": {
        "description": "A place name, or {name, code} with an INSEE, ISO 3166 or NUTS code",
        "oneOf": [_TEXT, {"type": "object", "required": ["name"], "properties": {"name": _STRING, "code": _STRING}}],
    },
    "period": {**_STRING, "description": "An ISO 8601 period, quarters and half-years included"},
    "method": {**_STRING, "description": "How the figure was obtained"},
    "tags": {
        "description": "Hashtags, as a list or as one string",
        "oneOf": [{"type": "array", "items": _STRING}, _STRING],
    },
    "lang": {
        "enum": ["fr", "en"],
        "description": "The language the input is typed in (decimal mark, units); the instance's language by default",
    },
    "language": {"enum": ["fr", "en"], "description": "The figure's language, when it differs from `lang`"},
}

_SCHEMAS: Final = {
    "FigureRecord": {
        "type": "object",
        "required": [
            "id",
            "uri",
            "url",
            "author",
            "group",
            "audience",
            "origin",
            "version",
            "language",
            "published",
            "updated",
            "figure",
        ],
        "properties": {
            "id": {"type": "integer", "description": "The figure's number in this API"},
            "uri": {**_STRING, "description": "The Note's id on the fediverse"},
            "url": {**_STRING, "description": "The figure's address in this API"},
            "author": {**_STRING, "description": "The author's actor id"},
            "group": {"type": ["string", "null"], "description": "The group it was published into"},
            "audience": {"enum": ["public", "followers"]},
            "origin": {**_STRING, "description": "The domain of the instance it was published on"},
            "version": {"type": "integer", "minimum": 1},
            "language": {"enum": ["fr", "en"]},
            "published": {"type": "string", "format": "date-time"},
            "updated": {"type": ["string", "null"], "format": "date-time"},
            "figure": _ref("Figure"),
            "consensus": {
                "anyOf": [_ref("ConsensusExplanation"), {"type": "null"}],
                "description": "In the answer for one figure: its consensus here and the claims behind it",
            },
        },
    },
    "ConsensusExplanation": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status", "value", "low", "high", "unit", "domains", "contributors", "agreement", "claims"],
        "properties": {
            "status": {"enum": ["insufficient", "confirmed", "corrected", "contested"]},
            "value": {"type": "number", "description": "The consensus value, in the figure's unit"},
            "low": {"type": "number"},
            "high": {"type": "number"},
            "unit": {**_STRING, "description": "The figure's unit code"},
            "domains": {"type": "integer", "minimum": 0},
            "contributors": {"type": "integer", "minimum": 0},
            "agreement": {"type": "number", "minimum": 0, "maximum": 1},
            "claims": {
                "type": "array",
                "description": "Each actor's latest claim, heaviest first",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "actor",
                        "domain",
                        "kind",
                        "value",
                        "unit",
                        "parsed",
                        "version",
                        "weight",
                        "reference",
                    ],
                    "properties": {
                        "actor": _STRING,
                        "domain": _STRING,
                        "kind": {"enum": ["publish", "endorse", "boost", "correct"]},
                        "value": {**_STRING, "description": "The value as read, a decimal in the figure's unit"},
                        "unit": _STRING,
                        "parsed": {"type": "boolean", "description": "Read from a reply's text"},
                        "version": {"type": ["integer", "null"], "description": "The version endorsed"},
                        "weight": {
                            "type": "number",
                            "minimum": 0,
                            "description": "The claim's share of the consensus weight: its actor's weight times"
                            " its factor, within its domain's trust times the domain's capped weight; 0 when the"
                            " claim does not count",
                        },
                        "reference": {**_STRING, "description": "The activity or object the claim was read from"},
                    },
                },
            },
        },
    },
    "FigurePage": {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": _ref("FigureRecord")}, "next": {"type": ["string", "null"]}},
    },
    "FigureVersions": {
        "type": "object",
        "required": ["id", "uri", "versions"],
        "properties": {
            "id": {"type": "integer"},
            "uri": _STRING,
            "versions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["version", "created_at", "figure"],
                    "properties": {
                        "version": {"type": "integer", "minimum": 1},
                        "created_at": {"type": "string", "format": "date-time"},
                        "figure": _ref("Figure"),
                    },
                },
            },
        },
    },
    "FigureInput": {
        "type": "object",
        "required": ["group", "value", "unit", "measures", "source", "place", "period"],
        "properties": {"group": {**_TEXT, "description": "A local group's name, handle or URI"}, **_INPUT_PROPERTIES},
        "additionalProperties": False,
    },
    "FigureChanges": {
        "type": "object",
        "minProperties": 1,
        "properties": _INPUT_PROPERTIES,
        "additionalProperties": False,
    },
    "TokenList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("Token")}},
    },
    "Token": {
        "type": "object",
        "required": ["id", "label", "state", "created_at", "last_used_at", "expires_at", "revoked_at"],
        "properties": {
            "id": {"type": "integer", "description": "What `DELETE /api/v1/tokens/{id}` names"},
            "label": _STRING,
            "state": {"enum": ["live", "revoked", "expired"]},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "additionalProperties": False,
    },
    "RequestList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("RequestRecord")}},
    },
    "RequestRecord": {
        "type": "object",
        "required": [
            "id",
            "uri",
            "group",
            "asker",
            "state",
            "created_at",
            "answered_at",
            "closed_at",
            "answer",
            "asked_in",
            "request",
        ],
        "properties": {
            "id": {"type": "integer", "description": "What `chiffres request answer|close` names"},
            "uri": {**_STRING, "description": "The request's id on the fediverse (the group's Note)"},
            "group": _STRING,
            "asker": {**_STRING, "description": "The asker's actor id"},
            "state": {"enum": ["open", "stale", "answered", "closed"]},
            "created_at": {"type": "string", "format": "date-time"},
            "answered_at": {"type": ["string", "null"], "format": "date-time"},
            "closed_at": {"type": ["string", "null"], "format": "date-time"},
            "answer": {"type": ["string", "null"], "description": "The URI of the figure that answered it"},
            "asked_in": {"type": ["string", "null"], "description": "The asker's post, when asked from the fediverse"},
            "request": _ref("Request"),
        },
    },
    "Error": {"type": "object", "required": ["error"], "properties": {"error": _STRING, "status": {"type": "integer"}}},
    "ValidationError": {
        "type": "object",
        "required": ["error", "fields"],
        "properties": {
            "error": _STRING,
            "fields": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "reason"],
                    "properties": {"field": _STRING, "reason": _STRING},
                },
            },
        },
    },
}
