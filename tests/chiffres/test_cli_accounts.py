"""The command line for web accounts: listed, approved, disabled; invitation and reset links printed, since the
instance sends no mail; every refusal is one line and a non-zero exit."""

from __future__ import annotations

import asyncio
import os
import re

import pytest

from fedi.database import create_pool
from tests.chiffres.test_cli_membership import Cli, cli, refused
from web import accounts

__all__ = ["cli"]


def _create(cli: Cli, name: str) -> None:
    """An account made as sign-up makes one, through the domain function the page uses."""

    async def run() -> None:
        pool = await create_pool(os.environ["CHIFFRES_DATABASE_URL"], min_size=1, max_size=1)
        try:
            await accounts.create(pool, name, "a long enough password", "v1", state="pending")
        finally:
            await pool.close()

    assert cli("account", "list")[0] == 0  # migrates the database first
    asyncio.run(run())


def test_accounts_are_listed_approved_and_disabled(cli: Cli) -> None:
    _create(cli, "marie")
    code, out, _ = cli("account", "list")
    assert code == 0
    assert re.fullmatch(r"name\tstate\tcreated\nmarie\tpending\t\d{4}-\d\d-\d\d \d\d:\d\d\n", out), out
    assert cli("account", "approve", "marie") == (0, "marie\tactive\n", "")
    assert cli("account", "disable", "marie") == (0, "marie\tdisabled\n", "")
    assert cli("account", "approve", "marie") == (0, "marie\tactive\n", "")


def test_links_are_printed_once_for_the_admin_to_pass_on(cli: Cli) -> None:
    _create(cli, "marie")
    code, out, _ = cli("account", "invite")
    assert code == 0
    assert re.fullmatch(r"https://chiffres\.test/signup\?invitation=[\w-]{40,}\n", out), out
    code, out, _ = cli("account", "reset", "marie")
    assert code == 0
    assert re.fullmatch(r"https://chiffres\.test/reset/[\w-]{40,}\n", out), out


def test_account_errors_are_one_line(cli: Cli) -> None:
    refused(cli("account", "approve", "nobody"), "no account named 'nobody'")
    refused(cli("account", "reset", "nobody"), "no account named 'nobody'")
    refused(cli("account", "disable", "x" * 500), "no account named")
    with pytest.raises(SystemExit) as exited:
        cli("account", "approve")
    assert exited.value.code == 2


def test_an_account_is_made_admin_and_back_only_by_the_command(cli: Cli) -> None:
    _create(cli, "marie")
    assert cli("account", "admin", "marie") == (0, "marie\tadmin\n", "")
    assert cli("account", "admin", "marie") == (0, "marie\tadmin\n", "")
    assert cli("account", "admin", "marie", "--revoke") == (0, "marie\tnot admin\n", "")
    refused(cli("account", "admin", "nobody"), "no account named 'nobody'")


def test_no_account_is_admin_unless_made_one(cli: Cli) -> None:
    _create(cli, "premiere")

    async def admin() -> bool:
        pool = await create_pool(os.environ["CHIFFRES_DATABASE_URL"], min_size=1, max_size=1)
        try:
            return (await accounts.get(pool, "premiere")).admin
        finally:
            await pool.close()

    assert asyncio.run(admin()) is False
