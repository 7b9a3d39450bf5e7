"""``chiffres`` starts with what the command runs: ``--help``, a mistyped option and an offline command import none
of the instance, and an admin command that needs no other server none of the web application (pages, charts,
templates), of the federation (inbox, remote actors) or of units; an error still reads as one line. Each command
runs in a fresh interpreter, as an admin types it, which reports the modules it imported. The choices the parser
offers, written out so that it imports none of their owners, are their owners'."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actors.membership import POLICIES
from chiffres.cli import choices
from consensus.offline import SCALES
from ledger.blocks import SEVERITIES
from ledger.reciprocity import DEFAULT_DAYS
from ledger.requests import LISTINGS

#: Runs ``main(argv)`` and writes its exit code and every module then imported to the file named first.
_REPORTING = """
import json, sys
from chiffres.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as stop:
    code = stop.code
with open(sys.argv[1], "w", encoding="utf-8") as report:
    json.dump({"code": code, "modules": sorted(sys.modules)}, report)
"""

#: What any command but ``serve``, ``worker`` and the consensus job's leaves out: the web application.
WEB = ("chiffres.app", "web", "matplotlib", "jinja2", "starlette.applications")
#: What a command on local groups and follows leaves out besides: the federation, and units.
LOCAL = (*WEB, "chiffres.federation", "inbox", "pint")
#: What parsing alone leaves out besides: the database, the queue, units, the server, every package above ``fedi``.
INSTANCE = (*WEB, "chiffres.server", "ledger", "inbox", "pint", "pgqueuer", "asyncpg", "httpx", "uvicorn")


def _run(tmp_path: Path, *args: str, database_url: str | None = None) -> tuple[int, str, str, set[str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHIFFRES_")}
    env |= {"CHIFFRES_DOMAIN": "chiffres.test", "CHIFFRES_DATA_DIR": str(tmp_path / "data")}
    if database_url is not None:
        env["CHIFFRES_DATABASE_URL"] = database_url
    report = tmp_path / "report.json"
    ran = subprocess.run(
        [sys.executable, "-c", _REPORTING, str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.is_file(), ran.stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    return found["code"], ran.stdout, ran.stderr, set(found["modules"])


def _among(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if any(name == p or name.startswith(p + ".") for p in packages))


def test_help_and_a_mistyped_option_import_nothing_of_the_instance(tmp_path: Path) -> None:
    code, out, _, modules = _run(tmp_path, "--help")
    assert code == 0
    assert out.startswith("usage: chiffres")
    assert _among(modules, INSTANCE) == []
    code, _, err, modules = _run(tmp_path, "domain", "block", "spam.example", "--severity", "sometimes")
    assert code == 2
    assert "invalid choice: 'sometimes' (choose from 'silence', 'suspend')" in err
    assert _among(modules, INSTANCE) == []


def test_an_offline_command_imports_its_engine_and_not_the_instance(tmp_path: Path) -> None:
    claims = tmp_path / "claims.tsv"
    claims.write_text("rent\t812\tana\nrent\t815\tbob\nrent\t810\tcleo\n", encoding="utf-8")
    code, out, _, modules = _run(tmp_path, "consensus", "estimate", "--claims", str(claims))
    assert code == 0
    assert out.startswith("rent\t")
    assert "consensus.offline" in modules
    assert _among(modules, INSTANCE) == []


def test_an_admin_command_imports_what_it_runs_and_not_the_web_application_nor_the_federation(
    tmp_path: Path, database_url: str
) -> None:
    assert _run(tmp_path, "actor", "create", "loyers", "--group", database_url=database_url)[:2] == (
        0,
        "https://chiffres.test/actors/loyers\n",
    )
    code, out, _, modules = _run(tmp_path, "group", "policy", "loyers", database_url=database_url)
    assert (code, out) == (0, "loyers\tcharter\t(default)\n")
    assert _among(modules, LOCAL) == []
    code, out, _, modules = _run(tmp_path, "follows", "list", "--json", database_url=database_url)
    assert (code, json.loads(out)) == (0, [])
    assert _among(modules, LOCAL) == []


def test_an_error_an_admin_can_fix_is_still_one_line(tmp_path: Path, database_url: str) -> None:
    code, out, err, _ = _run(tmp_path, "group", "policy", "nobody", database_url=database_url)
    assert (code, out) == (1, "")
    assert err == "chiffres: no local actor named 'nobody'\n"
    code, out, err, _ = _run(tmp_path, "--config", str(tmp_path / "missing.toml"), "actor", "list")
    assert (code, out) == (1, "")
    assert err.startswith("chiffres: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("written", "owned"),
    [
        (choices.POLICIES, POLICIES),
        (choices.SEVERITIES, SEVERITIES),
        (choices.LISTINGS, LISTINGS),
        (choices.DEFAULT_DAYS, DEFAULT_DAYS),
        (choices.SCALES, SCALES),
    ],
    ids=["policies", "severities", "listings", "days", "scales"],
)
def test_the_choices_the_parser_offers_are_their_owners(written: object, owned: object) -> None:
    assert written == owned
