"""Telling "the database is away" from a bug: the first is a 503 and a retry, the second a 500 and a traceback."""

from __future__ import annotations

import asyncpg
import pytest

from fedi.database import DatabaseUnavailable, is_unavailable, reconnect_delay


def _raised_while_handling(cause: Exception, error: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception:
            raise error  # noqa: B904 (the implicit context is what asyncpg leaves)
    except Exception as caught:
        return caught


@pytest.mark.parametrize(
    "error",
    [
        DatabaseUnavailable("database unreachable: refused"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
        _raised_while_handling(
            asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            asyncpg.InterfaceError("cannot call Transaction.__aexit__(): the underlying connection is closed"),
        ),
    ],
)
def test_the_database_going_away_is_recognised(error: Exception) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        ValueError("not a number"),
        _raised_while_handling(ValueError("bad input"), RuntimeError("a bug")),
    ],
)
def test_bugs_and_bad_queries_are_not_outages(error: Exception) -> None:
    assert not is_unavailable(error)


def test_reconnecting_waits_longer_each_time_up_to_a_cap() -> None:
    delays = [reconnect_delay(failures) for failures in range(8)]
    assert delays[0] == delays[1] == 0.5
    assert delays == sorted(delays)
    assert delays[-1] == 5.0
