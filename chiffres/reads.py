"""How the web server reads its sockets: into one buffer per thread, then only the bytes that came.

asyncio's socket transport reads each chunk into a new 256 kB bytes object and shrinks it to what arrived. Since
:func:`fedi.heap.map_large_blocks`, every block of 64 kB or more is mapped on its own, so each read of a request
mapped 256 kB, remapped it to its size and unmapped it when freed: three system calls and a page fault per
request, about 12 µs of a signed inbox POST (``bench/README.md``). Letting the heap take those blocks again would
undo what ``map_large_blocks`` is for: between longer-lived objects, a request's bytes leave holes that the heap
keeps (a server fed by new actors grew 13 MB more over 10,000 claims with 32 kB reads).

A protocol that is an ``asyncio.BufferedProtocol`` is handed a buffer it owns instead: the transport reads into it
(``recv_into``) and says how many bytes came. Here that buffer is one per thread, reused by every connection, and
only the bytes read are copied out, into an object of their own size, before the next read can happen: the
transport asks for the buffer, reads and reports in one call, and the thread's one event loop runs one callback at
a time. A thread of its own (a test's second server) gets a buffer of its own, since ``recv_into`` lets other
threads run while it waits on the kernel.
"""

from __future__ import annotations

import asyncio
import threading

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Bytes read at most per call; a larger body takes several reads, as it would with asyncio's own.
READ_SIZE = 64 * 1024

_local = threading.local()


def _buffer() -> memoryview:
    view: memoryview | None = getattr(_local, "view", None)
    if view is None:
        view = _local.view = memoryview(bytearray(READ_SIZE))
    return view


class BufferedH11(H11Protocol, asyncio.BufferedProtocol):
    """uvicorn's HTTP/1.1 protocol, fed from the thread's read buffer (see the module's docstring)."""

    def get_buffer(self, sizehint: int) -> memoryview:
        return _buffer()

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(_buffer()[:nbytes]))
