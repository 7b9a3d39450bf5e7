"""Where the inbox endpoint stores what it accepts: the activities of concurrent requests, in one statement.

A busy inbox answers many senders at once, and each 202 waits for its activity to be committed. One INSERT and
one commit per request would make every request wait for its own round trip and its own flush of the WAL; here a
request's row joins the ones that arrived while the previous statement ran, and one multi-row INSERT commits them
together. Nothing is answered before its row is committed, so a 202 still means stored. When the database is
idle a row is written at once, alone: batching adds no wait. A batch that fails for a reason other than the
database being away is written again row by row, so that one bad row fails only its own request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from fedi.database import JsonText, Pool, is_unavailable

MAX_BATCH = 200
FLUSHERS = 2  # statements in flight at once: one commits while the next one fills

# The rows travel as one JSON array that PostgreSQL takes apart: the activities are JSON text already (the bodies
# as sent), so the batch is written around them, where six arrays made asyncpg look at every element of each in
# Python (7.0 against 5.3 µs of CPU a row, in batches of 16).
_INSERT = (
    "INSERT INTO inbox_activities (activity_id, actor, type, document, signer, delivered_to)"
    " SELECT r.activity_id, r.actor, r.type, r.document, r.signer, r.delivered_to"
    " FROM jsonb_to_recordset($1::jsonb)"
    " AS r(activity_id text, actor text, type text, document jsonb, signer text, delivered_to text)"
    " ON CONFLICT (activity_id, actor) DO NOTHING RETURNING activity_id, actor"
)
_STRING = json.encoder.encode_basestring


@dataclass(frozen=True)
class Received:
    """One accepted activity as it is stored: the document as sent, who signed it, and whose inbox it came to."""

    activity_id: str | None
    actor: str
    type: str
    document: object
    signer: str
    inbox_of: str | None


class Intake:
    """Stores received activities, batching the ones that arrive together."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._waiting: list[tuple[Received, asyncio.Future[bool]]] = []
        self._flushing = 0
        self._flushers: set[asyncio.Task[None]] = set()

    async def store(self, received: Received) -> bool:
        """Store ``received`` unless the same actor already sent that id; True when it is new."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((received, future))
        if self._flushing < FLUSHERS:
            self._flushing += 1
            flusher = asyncio.create_task(self._flush())
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                await self._write(batch)
        finally:
            self._flushing -= 1

    async def _write(self, batch: list[tuple[Received, asyncio.Future[bool]]]) -> None:
        try:
            new = await self._insert([received for received, _ in batch])
        except Exception as error:  # handed to each waiting request, which answers for it
            if len(batch) > 1 and not is_unavailable(error):
                for one in batch:
                    await self._write([one])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for received, future in batch:
            key = (received.activity_id, received.actor)
            if not future.done():
                future.set_result(key in new)
            new.discard(key)  # the same activity twice in one batch: the second is the duplicate

    async def _insert(self, rows: list[Received]) -> set[tuple[str | None, str]]:
        found = await self._pool.fetch(_INSERT, JsonText("[" + ", ".join(map(_row, rows)) + "]"))
        return {(record["activity_id"], record["actor"]) for record in found}


def _row(row: Received) -> str:
    """One row of the batch as a JSON object, the activity's own text (or its encoding) inside it."""
    document = row.document.text if isinstance(row.document, JsonText) else json.dumps(row.document)
    return (
        f'{{"activity_id": {_text(row.activity_id)}, "actor": {_STRING(row.actor)}, "type": {_STRING(row.type)},'
        f' "document": {document}, "signer": {_STRING(row.signer)}, "delivered_to": {_text(row.inbox_of)}}}'
    )


def _text(value: str | None) -> str:
    return "null" if value is None else _STRING(value)
