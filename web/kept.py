"""What a page computed or drew for one state of the data, kept by key; the least recently used goes first.

Charts, a group's small multiples and a figure's explanation are each made again only when what they show changed:
the key names that state (a figure's version, its last claim, the consensus computation…), so nothing kept is ever
stale, only unused. The bound keeps memory flat whatever readers ask for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    async def get(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        """The value under ``key``, made by ``make`` when it is not kept."""
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        made = await make()
        self._entries[key] = made
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._entries)
