"""A throwaway embedded PostgreSQL for one benchmark, in a temporary directory that goes with it.

Each benchmark measures on a database of its own, started for it and stopped after, so that nothing of a previous
run (rows, caches, a busy server) weighs on its figures.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path

from fedi.embedded import EmbeddedPostgres


def on_embedded(name: str, run: Callable[[str, Path], Coroutine[object, object, None]]) -> None:
    """Run ``run(admin_url, workdir)`` against a PostgreSQL started for it in a temporary ``workdir``."""
    with tempfile.TemporaryDirectory(prefix=f"chiffres-bench-{name}-") as directory:
        workdir = Path(directory)
        embedded = EmbeddedPostgres(workdir)
        admin_url = embedded.start()
        try:
            asyncio.run(run(admin_url, workdir))
        finally:
            embedded.stop()
