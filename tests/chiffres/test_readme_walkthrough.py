"""The README's first steps run as written: its shell blocks, between the walkthrough's two markers, run one after
the other with bash against ``chiffres serve`` on a port other than 8000, as a newcomer types them after
``make serve PORT=…``; every command exits 0, and the figure and the follows they made are there. The French README
walks through the same commands."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.process import InstanceProcess

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- walkthrough: start -->", "<!-- walkthrough: end -->"
_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def walkthrough(readme: str) -> list[str]:
    """The shell blocks between the markers, in order."""
    assert readme.count(START) == 1, "one start marker"
    assert readme.count(END) == 1, "one end marker"
    inside = readme[readme.index(START) : readme.index(END)]
    return _BLOCK.findall(inside)


def _commands(block: str) -> list[str]:
    """A block's commands without comments or blank lines, for comparing the two languages."""
    lines = block.replace("\\\n", " ").splitlines()
    return [re.sub(r"\s+#\s.*$", "", line).strip() for line in lines if line.strip()]


def test_the_french_walkthrough_runs_the_same_commands() -> None:
    english = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    french = walkthrough((ROOT / "README.fr.md").read_text(encoding="utf-8"))
    assert [_commands(block) for block in french] == [_commands(block) for block in english]


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[InstanceProcess]:
    instance = InstanceProcess(tmp_path / "instance", database_url=database_url).start()
    assert instance.port != 8000
    try:
        instance.wait_ready()
        yield instance
    finally:
        instance.stop()


def test_the_walkthrough_runs_as_written_on_any_port(served: InstanceProcess) -> None:
    blocks = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks
    script = "\n".join(["set -euo pipefail -x", *blocks, 'printf "FIGURE_ID=%s\\n" "$FIGURE_ID"'])
    # The newcomer's shell: the instance's database, nothing else of ours; PORT set as the README asks.
    env = {key: value for key, value in served.env.items() if key != "CHIFFRES_DEV"}
    env["PORT"] = str(served.port)
    ran = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert ran.returncode == 0, f"the walkthrough stopped ({ran.returncode}):\n{ran.stderr[-4000:]}"
    assert f'"subject":"acct:loyers@localhost:{served.port}"' in ran.stdout.replace(" ", "")

    figure = ran.stdout.rsplit("FIGURE_ID=", 1)[1].strip()
    assert figure.startswith(f"http://localhost:{served.port}/objects/")
    shown = json.loads(served.cli("figure", "show", figure, "--json").stdout)
    assert shown["figure"]["value"] == "845"
    follows = json.loads(served.cli("follows", "list", "--as", "loyers", "--json").stdout)
    members = {row["follower"]: row["state"] for row in follows if row["followee"] == f"@loyers@{served.domain}"}
    assert members == {f"@alice@{served.domain}": "accepted", f"@bob@{served.domain}": "accepted"}
