"""A fork server for the command line: the end-to-end tests run hundreds of ``chiffres`` commands, most of them
while polling for something to arrive, and each fresh interpreter spends about a second importing the
application — CPU taken from the instances under test on a two-core machine.

This process imports ``chiffres.cli`` once, then forks one child per command. Each command still runs in a
process of its own, with the instance's environment and working directory, its own event loop, database
connections and exit code, exactly as ``python -m chiffres.cli`` would; only the imports are shared.

Protocol, one JSON document per line: the parent sends ``["figure", "show", "1"]`` on stdin and reads
``{"code": 0, "stdout": "...", "stderr": "..."}`` back on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import traceback


def _run_child(args: list[str], out: int, err: int) -> None:
    """In the forked child: the command writes to two files, not to the server's pipes; never returns."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        from chiffres.cli import main

        sys.argv = ["chiffres", *args]
        try:
            code = main(args)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _run(args: list[str]) -> dict[str, object]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = os.fork()
        if child == 0:
            _run_child(args, out.fileno(), err.fileno())
        _, status = os.waitpid(child, 0)
        out.seek(0)
        err.seek(0)
        return {
            "code": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def serve() -> None:
    # The whole point: imported once, before any fork. ``chiffres.cli`` imports only its parser, and each command
    # what it runs when it runs: the server, the federation and the application are what nearly all of them run.
    import chiffres.app
    import chiffres.cli
    import chiffres.server  # noqa: F401

    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(_run(json.loads(line))) + "\n")
            answers.flush()


if __name__ == "__main__":
    serve()
