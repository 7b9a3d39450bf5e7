"""Log lines that a log collector can read in production and a person on a terminal, each tied to its request.

Behind systemd or Docker, stderr goes to a journal or a collector: there each line is one JSON object, and a line
written while serving a request carries that request's id, so that an error can be found from the access line of
the request that met it (and back). On a terminal the same lines are plain text. ``CHIFFRES_LOG_FORMAT`` forces
either.

The access line is written here, once per request, rather than by uvicorn: uvicorn's line knows neither the
request id nor how long the application took, and has a format of its own. The id comes from ``X-Request-Id``
when a proxy in front set a sane one (so that the proxy's log and ours agree), is made here otherwise, and is sent
back on the response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORMATS = ("json", "text")
HEADER = "x-request-id"
_HEADER = HEADER.encode()
#: The id of the request being served, for every line logged while serving it.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# What we accept from a proxy: short and printable, nothing that could forge a log line or a header.
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{8,128}")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ACCESS = "%s %s %d %.1f ms %s"

access_logger = logging.getLogger("access")
# One encoder for every line: ``json.dumps`` with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
_STRING = json.encoder.encode_basestring  # how _ENCODER writes a string
_CONSTANTS = {None: "null", True: "true", False: "false"}


class RequestIds(logging.Filter):
    """Stamps each record with the current request's id when it is made, in the task that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and an access line's fields.

    A busy server writes an access line per request, so the line is made cheaply: the date and time to the second
    are made once per second, and one encoder serves every line.
    """

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._stamp = ""

    def _time(self, created: float) -> str:
        """``datetime.isoformat(timespec="milliseconds")`` in UTC, e.g. ``2026-12-01T03:20:11.123+00:00``."""
        second = int(created)
        if second != self._second:
            self._stamp = datetime.fromtimestamp(second, UTC).isoformat()[:19]
            self._second = second
        return f"{self._stamp}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            entry.update(access)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(entry)

    def access_line(self, created: float, message: str, request_id: str | None, fields: dict[str, object]) -> str:
        """The line ``format`` makes of an access record, made without one (see :func:`_access`), and written out
        directly: the encoder builds its machinery anew for every object it is given, most of an access line's
        cost."""
        line = f'{{"time": "{self._time(created)}", "level": "INFO", "logger": {_STRING(access_logger.name)}'
        line += f', "message": {_STRING(message)}'
        if request_id:
            line += f', "request_id": {_STRING(request_id)}'
        return line + "".join(f", {_STRING(key)}: {_json(value)}" for key, value in fields.items()) + "}"


def _json(value: object) -> str:
    """``value`` as ``_ENCODER`` writes it, without building an encoder for the plain values of an access line."""
    if isinstance(value, str):
        return _STRING(value)
    if value is None or value is True or value is False:
        return _CONSTANTS[value]
    if type(value) in (int, float):
        return repr(value)  # what json writes for finite numbers; an access line holds no other
    return _ENCODER.encode(value)


class TextFormatter(logging.Formatter):
    """The plain line a person reads, with the request id at the end when there is one."""

    def __init__(self) -> None:
        super().__init__(_TEXT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


class _Handler(logging.StreamHandler[TextIO]):
    """Ours, so that configuring again replaces it and leaves anyone else's handlers alone.

    A line logged while an event loop runs in this thread is written at the end of the loop's current pass,
    together with the others of that pass: a busy server answers a dozen requests in one pass, and a write to
    stderr per access line cost about 10 µs of a signed inbox POST's 250 (``bench/README.md``). Nothing waits
    longer than the pass, a line logged from any other thread is written at once (after the waiting ones, to keep
    their order), and ``flush`` (which ``logging.shutdown`` calls at exit) writes what is left.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._waiting: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self.queue(line)

    def queue(self, line: str) -> None:
        """Write ``line`` (ending in a newline) at the end of the loop's pass, or at once out of a loop."""
        with self.lock:  # type: ignore[union-attr]  # made by Handler.__init__
            self._waiting.append(line)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop in this thread: nobody would write it later
                self.flush()
                return
            if len(self._waiting) == 1:
                loop.call_soon(self.flush)

    def direct_json(self) -> JsonFormatter | None:
        """This handler's JSON formatter when it alone writes the access lines: the ``access`` logger and the root
        have no other handler and no filter but ours, so a line made without a record is the one logging makes."""
        formatter = self.formatter
        root = logging.root
        if (
            isinstance(formatter, JsonFormatter)
            and not access_logger.handlers
            and not access_logger.filters
            and access_logger.propagate
            and len(root.handlers) == 1
            and root.handlers[0] is self
            and not root.filters
            and self.level <= logging.INFO
            and len(self.filters) == 1
        ):
            return formatter
        return None

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # made by Handler.__init__
            try:
                if self._waiting:
                    lines, self._waiting = self._waiting, []
                    self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: the lines have nowhere to go
                pass


#: The handler ``configure`` installed last, whose JSON access lines ``_access`` may make without a record.
_ours: list[_Handler] = []


def choose(form: str | None, stream: TextIO) -> str:
    """The format asked for, else text on a terminal and JSON anywhere else."""
    if form in FORMATS:
        return form
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # a closed or unusual stream: a machine reads it
        return "json"


def configure(stream: TextIO, *, form: str | None, level: int) -> None:
    """Send every log line to ``stream`` in the chosen format, as ``logging.basicConfig`` would: not when the
    root logger already has someone else's handlers (a test runner's), so those keep what they capture."""
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if isinstance(handler, _Handler)]
    if len(ours) != len(root.handlers):
        return
    for handler in ours:
        root.removeHandler(handler)
    handler = _Handler(stream)
    handler.setFormatter(JsonFormatter() if choose(form, stream) == "json" else TextFormatter())
    handler.addFilter(RequestIds())
    root.addHandler(handler)
    _ours[:] = [handler]
    root.setLevel(level)
    # Neither format writes a thread's or a process's name, and looking them up costs every line (every request).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def incoming_id(scope: Scope) -> str | None:
    """A proxy's ``X-Request-Id``, if sane."""
    for name, value in scope.get("headers") or ():
        if name == _HEADER:
            text = value.decode("latin-1")
            return text if _SANE_ID.fullmatch(text) else None
    return None


#: Told of each answered request, with its scope (where the router left the route) and its status.
Answered = Callable[[Scope, int], None]


class AccessLog:
    """Pure ASGI middleware: gives each request an id (logged with every line written while serving it and sent
    back as ``X-Request-Id``) and writes one access line when it is answered.

    ``answered`` is told of each request then too, with the same status (500 when the application raised before
    answering): the request metrics count there (``fedi.metrics.Traffic.answered``) rather than in a middleware
    of their own, which would wrap every response message once more.
    """

    def __init__(self, app: ASGIApp, answered: Answered | None = None) -> None:
        self.app = app
        self._answered = answered
        # Ids need to be distinct, not secret: a generator seeded from the system's randomness gives them without
        # a system call per request, and, unlike a counter, tells nobody how many requests came before.
        self._ids = random.Random()  # noqa: S311 (not a secret, see above)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_id(scope) or f"{self._ids.getrandbits(96):024x}"
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client gets when the application raises before answering

        async def identified(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*message.get("headers", ()), (_HEADER, request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, identified)
        except BaseException:
            # The id stays set: the server logs the traceback next, in this request's own task, and that line
            # is the one most worth finding from the access line.
            self._done(scope, status, started)
            raise
        self._done(scope, status, started)
        REQUEST_ID.reset(token)

    def _done(self, scope: Scope, status: int, started: float) -> None:
        _access(scope, status, (time.perf_counter() - started) * 1000)
        if self._answered is not None:
            self._answered(scope, status)


def _access(scope: Scope, status: int, duration_ms: float) -> None:
    """One line per request, made directly rather than through ``Logger.info``: that would look up the calling
    frame for every request, a third of the line's cost. ``access`` set above INFO silences them.

    When our own JSON handler alone writes them (a served instance, unless someone added a handler or a filter),
    the line is made without a ``LogRecord`` and queued on it: the same line, for a third of the cost (a record,
    the logger's and the handler's dispatch and locks were 10 of a signed inbox POST's 230 µs, ``bench/README.md``).
    """
    if not access_logger.isEnabledFor(logging.INFO):
        return
    client = scope.get("client")
    fields = {
        "method": _printable(str(scope.get("method", ""))),
        "path": _printable(str(scope.get("path", ""))),  # not the query: it may hold a token
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "client": client[0] if client else None,
    }
    line = (fields["method"], fields["path"], status, duration_ms, fields["client"] or "-")
    handler = _ours[0] if _ours else None
    formatter = handler.direct_json() if handler is not None else None
    if handler is not None and formatter is not None:
        handler.queue(formatter.access_line(time.time(), _ACCESS % line, REQUEST_ID.get(), fields) + "\n")
        return
    access_logger.handle(
        access_logger.makeRecord(
            access_logger.name, logging.INFO, __file__, 0, _ACCESS, line, None, extra={"access": fields}
        )
    )


def _printable(text: str, limit: int = 2000) -> str:
    """A stranger's path, cut and with control characters escaped: one request, one line."""
    cut = text[:limit]
    return cut if cut.isprintable() else cut.encode("unicode_escape").decode("ascii")
