"""Calls that arrive together, run together: one statement for many jobs instead of one each.

A worker runs dozens of delivery jobs at once, and each wants the same small statement (read its row, record its
outcome). :class:`Batch` gathers the calls made while the previous batch was running and runs them as one, the way
a database commits a group: a lone call waits for nothing, and under load a round trip serves every job that
arrived during the one before. Each caller still awaits its own result, so a job ends only once its write is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batch(Generic[Item, Result]):
    """Runs ``run`` over the items waiting, one batch at a time and at most ``size`` items a batch; ``run`` returns
    one result per item, in order."""

    def __init__(self, run: Callable[[list[Item]], Awaitable[Sequence[Result]]], size: int = 200) -> None:
        self._run = run
        self._size = size
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # the calls made in this turn of the loop join the first batch
        while self._waiting:
            taken, self._waiting = self._waiting[: self._size], self._waiting[self._size :]
            try:
                results = await self._run([item for item, _ in taken])
            except Exception as error:
                for _, future in taken:
                    if not future.done():
                        future.set_exception(error)
                continue
            except BaseException:  # cancelled: nobody may wait for a batch that will not run
                for _, future in [*taken, *self._waiting]:
                    future.cancel()
                self._waiting = []
                raise
            for (_, future), result in zip(taken, results, strict=True):
                if not future.done():
                    future.set_result(result)
