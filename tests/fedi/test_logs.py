"""What an admin reads in the logs: JSON lines when stderr goes to a journal or a collector, plain text on a
terminal, one access line per request, and the request's id on every line written while serving it (and on the
response, so that a user's report can be matched with the log)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import re
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Message

from fedi import config, logs
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every line logged during the test, as the server's handler writes it in JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIds())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    """The application's lines (the test's HTTP client logs its own)."""
    parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in parsed if line["logger"] in ("access", "tests.work")]


def _app() -> Starlette:
    async def work(request: Request) -> PlainTextResponse:
        logging.getLogger("tests.work").info("working on %s", request.path_params["item"])
        return PlainTextResponse("done")

    async def broken(request: Request) -> PlainTextResponse:
        raise RuntimeError("a bug")

    routes = [Route("/items/{item}", work), Route("/broken", broken)]
    return Starlette(routes=routes, middleware=[Middleware(logs.AccessLog)])


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://chiffres.test") as opened:
        yield opened


async def test_a_line_logged_while_serving_a_request_carries_its_id_as_does_the_access_line(
    client: httpx.AsyncClient, captured: io.StringIO
) -> None:
    response = await client.get("/items/42?token=secret")
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{24}", request_id)

    work, access = _lines(captured)
    assert work["message"] == "working on 42"
    assert work["request_id"] == request_id
    assert access["logger"] == "access"
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["status"]) == ("GET", "/items/42", 200)
    assert isinstance(access["duration_ms"], float)
    assert access["client"] == "127.0.0.1"
    assert "secret" not in json.dumps(_lines(captured)), "the query may hold a token"


async def test_a_proxys_sane_request_id_is_kept_and_anything_else_replaced(
    client: httpx.AsyncClient, captured: io.StringIO
) -> None:
    kept = await client.get("/items/1", headers={"X-Request-Id": "caddy-7f3a9c01-2b"})
    assert kept.headers["x-request-id"] == "caddy-7f3a9c01-2b"
    for hostile in ("x" * 500, "short", 'a"b{c}d" e f g h', "id\twith\ttabs"):
        replaced = await client.get("/items/1", headers={"X-Request-Id": hostile})
        assert re.fullmatch(r"[0-9a-f]{24}", replaced.headers["x-request-id"]), hostile
    ids = {line["request_id"] for line in _lines(captured)}
    assert len(ids) == 5


async def test_a_request_that_crashes_has_its_access_line_and_the_servers_traceback_its_id(
    captured: io.StringIO,
) -> None:
    async def crash() -> None:
        scope = {"type": "http", "method": "GET", "path": "/broken", "headers": [], "client": ("192.0.2.7", 1)}
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            sent.append(message)

        try:
            await _app()(scope, receive, send)
        except RuntimeError:
            # As uvicorn does, in the request's own task, once the application raised.
            logging.getLogger("tests.work").exception("Exception in ASGI application")
        assert sent[0]["status"] == 500

    await asyncio.create_task(crash())  # a task per request, as the server runs them
    access, traceback = _lines(captured)
    assert (access["path"], access["status"], access["client"]) == ("/broken", 500, "192.0.2.7")
    assert traceback["request_id"] == access["request_id"]
    assert "RuntimeError: a bug" in str(traceback["exception"])
    logging.getLogger("tests.work").info("after the request")
    assert "request_id" not in _lines(captured)[-1]


def test_json_off_a_terminal_text_on_one_and_either_when_asked() -> None:
    assert logs.choose(None, io.StringIO()) == "json"
    assert logs.choose(None, _Terminal()) == "text"
    assert logs.choose("text", io.StringIO()) == "text"
    assert logs.choose("json", _Terminal()) == "json"


def test_the_text_line_is_the_familiar_one_with_the_request_id_at_the_end() -> None:
    record = logging.LogRecord("fedi.queue", logging.WARNING, __file__, 1, "job %s failed", ("7",), None)
    record.request_id = "abc12345"
    line = logs.TextFormatter().format(record)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING fedi\.queue: job 7 failed \[abc12345\]", line)


def test_a_json_line_holds_the_traceback_and_escapes_what_a_stranger_sent() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("inbox", logging.ERROR, __file__, 1, "failed: %s", ("a\nb",), sys.exc_info())
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed: a\nb"
    assert "ValueError: bad" in str(parsed["exception"])


def test_a_served_instance_logs_json_lines_with_access_lines_when_stderr_is_a_file(tmp_path: Path) -> None:
    instance = InstanceProcess(tmp_path / "instance").start()
    try:
        instance.wait_ready()
        response = httpx.get(f"{instance.base}/livez", headers={"X-Request-Id": "from-the-proxy-1"}, timeout=10)
        assert response.headers["x-request-id"] == "from-the-proxy-1"
        eventually(lambda: "from-the-proxy-1" in instance.log(), timeout=10, what="the access line")
    finally:
        instance.stop()
    lines = [json.loads(line) for line in instance.log().splitlines() if line.strip()]
    assert {"uvicorn.error", "chiffres.server", "access"} <= {line["logger"] for line in lines}
    access = next(line for line in lines if line.get("request_id") == "from-the-proxy-1")
    assert (access["logger"], access["path"], access["status"]) == ("access", "/livez", 200)


def test_the_format_is_a_setting() -> None:
    assert config.load({"CHIFFRES_LOG_FORMAT": "TEXT"}).log_format == "text"
    assert config.load({}).log_format is None
    with pytest.raises(config.ConfigError, match="CHIFFRES_LOG_FORMAT"):
        config.load({"CHIFFRES_LOG_FORMAT": "xml"})


@pytest.fixture
def served_stream() -> Iterator[io.StringIO]:
    """The root logger as ``chiffres serve`` leaves it: our JSON handler alone, writing to a stream."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    for handler in saved:
        root.removeHandler(handler)
    stream = io.StringIO()
    logs.configure(stream, form="json", level=logging.INFO)
    yield stream
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)


def test_the_access_line_made_without_a_record_is_the_one_logging_makes() -> None:
    fields: dict[str, object] = {
        "method": "POST",
        "path": '/inbox"\n',
        "status": 202,
        "duration_ms": 1.3,
        "client": "192.0.2.1",
    }
    record = logging.LogRecord("access", logging.INFO, __file__, 0, "%s %s", ("POST", "/inbox"), None)
    record.created = 1_764_561_600.25
    record.request_id = "0123456789abcdef01234567"
    record.access = fields
    formatter = logs.JsonFormatter()
    direct = formatter.access_line(record.created, "POST /inbox", "0123456789abcdef01234567", fields)
    assert direct == formatter.format(record)
    assert json.loads(direct)["time"] == "2025-12-01T04:00:00.250+00:00"


async def test_a_served_instances_lines_are_written_together_at_the_end_of_the_loops_pass(
    client: httpx.AsyncClient, served_stream: io.StringIO
) -> None:
    response = await client.get("/items/7")
    logging.getLogger("tests.work").info("after")
    assert not served_stream.getvalue().endswith('"after"}\n'), "the last line waits for the end of the pass"
    await asyncio.sleep(0)
    work, access, after = _lines(served_stream)[-3:]
    assert work["message"] == "working on 7"
    assert (access["logger"], access["path"], access["status"]) == ("access", "/items/7", 200)
    assert access["request_id"] == work["request_id"] == response.headers["x-request-id"]
    assert str(access["message"]).startswith("GET /items/7 200 ")
    assert after["message"] == "after"


def test_a_line_logged_outside_an_event_loop_is_written_at_once(served_stream: io.StringIO) -> None:
    logging.getLogger("tests.work").warning("from a thread")
    assert json.loads(served_stream.getvalue().splitlines()[-1])["message"] == "from a thread"
    thread = threading.Thread(target=lambda: logging.getLogger("tests.work").warning("from another thread"))
    thread.start()
    thread.join()
    assert json.loads(served_stream.getvalue().splitlines()[-1])["message"] == "from another thread"


async def test_flushing_writes_what_waits_as_logging_does_at_exit(served_stream: io.StringIO) -> None:
    logging.getLogger("tests.work").info("last words")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert json.loads(served_stream.getvalue().splitlines()[-1])["message"] == "last words"


async def test_another_handler_beside_ours_gets_the_access_records_as_logging_makes_them(
    client: httpx.AsyncClient, served_stream: io.StringIO
) -> None:
    seen = io.StringIO()
    beside = logging.StreamHandler(seen)
    beside.setFormatter(logs.JsonFormatter())
    beside.addFilter(logs.RequestIds())
    logging.getLogger().addHandler(beside)
    try:
        response = await client.get("/items/8")
    finally:
        logging.getLogger().removeHandler(beside)
    await asyncio.sleep(0)
    theirs = [json.loads(line) for line in seen.getvalue().splitlines() if '"access"' in line]
    ours = [json.loads(line) for line in served_stream.getvalue().splitlines() if '"access"' in line]
    assert [line["request_id"] for line in theirs] == [line["request_id"] for line in ours]
    assert ours[-1]["request_id"] == response.headers["x-request-id"]


def test_access_lines_made_without_a_record_escape_what_a_stranger_sent_as_logging_does() -> None:
    formatter = logs.JsonFormatter()
    rng = random.Random(7)
    for _ in range(2_000):
        fields: dict[str, object] = {
            "method": rng.choice(["POST", "GET", 'P"O\\ST', "\x00é"]),
            "path": "".join(rng.choice('ab/"\\\n\té\u2028\x7f') for _ in range(rng.randint(0, 12))),
            "status": rng.choice([200, 202, 500]),
            "duration_ms": round(rng.random() * rng.choice([1, 100, 1e6, 1e-6]), 1),
            "client": rng.choice([None, "127.0.0.1", "::1"]),
        }
        record = logging.LogRecord(
            "access", logging.INFO, __file__, 0, "%s %s", (fields["method"], fields["path"]), None
        )
        record.created = 1_764_561_600 + rng.random() * 1_000
        request_id = rng.choice([None, "", "0123456789abcdef01234567"])
        record.request_id = request_id
        record.access = fields
        direct = formatter.access_line(record.created, record.getMessage(), request_id, fields)
        assert direct == formatter.format(record)


async def test_the_access_log_tells_who_counts_requests_each_answer_and_a_crash_as_500() -> None:
    answers: list[tuple[str, int]] = []
    app = Starlette(
        routes=_app().routes,
        middleware=[Middleware(logs.AccessLog, answered=lambda scope, status: answers.append((scope["path"], status)))],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://chiffres.test") as client:
        await client.get("/items/1")
        await client.get("/broken")
        await client.get("/nowhere")
    assert answers == [("/items/1", 200), ("/broken", 500), ("/nowhere", 404)]
