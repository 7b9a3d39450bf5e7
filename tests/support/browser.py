"""Pages as a browser renders them: Debian's Chromium driven by Playwright, axe-core run in the page, and the
Nu HTML Checker (the W3C's validator) on what the server sent.

Playwright's own browser download does not work on every machine, so the tests use the system's Chromium and
install it (as root, with apt) when it is missing; axe-core and the checker come from the npm registry into a
cache outside the checkout. Where none of that can be had, :func:`tools` says why, and the tests skip with it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: As root on a machine with a closed network: no sandbox, and no background calls home that would be refused.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chiffres-browser-tools"
#: Where screenshots are kept after the run, beside the checkout (ignored by git).
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass(frozen=True)
class Tools:
    chromium: Path
    axe: Path
    vnu: Path


def _chromium() -> Path | str:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "Chromium is not installed (/usr/bin/chromium) and apt-get as root is not available to install it"
    for command in (
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        subprocess.run(command, capture_output=True, timeout=900, check=False)
        if CHROMIUM.exists():
            return CHROMIUM
    return "apt-get could not install Debian's chromium package"


def _npm_tools() -> tuple[Path, Path] | str:
    axe = CACHE / "node_modules" / "axe-core" / "axe.min.js"
    vnu = CACHE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not (axe.exists() and vnu.exists()):
        if shutil.which("npm") is None:
            return "npm is not installed: axe-core and the Nu HTML Checker come from the npm registry"
        CACHE.mkdir(parents=True, exist_ok=True)
        installed = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), "axe-core@4", "vnu-jar"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if installed.returncode != 0:
            return f"npm could not install axe-core and vnu-jar: {installed.stderr.strip()[-300:]}"
    if shutil.which("java") is None:
        return "java is not installed: the Nu HTML Checker runs on it"
    return axe, vnu


def tools() -> Tools | str:
    """What the page tests need, or why they cannot run here. Test processes running side by side (pytest-xdist)
    install one at a time: apt and npm do not share a half-written install."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (make test installs it)"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        browser = _chromium()
        if isinstance(browser, str):
            return browser
        found = _npm_tools()
    if isinstance(found, str):
        return found
    return Tools(browser, *found)


def validate(found: Tools, html: str) -> list[str]:
    """The Nu HTML Checker's errors about a document (warnings left aside), one line each."""
    return validate_all(found, {"": html})[""]


def validate_all(found: Tools, documents: Mapping[str, str]) -> dict[str, list[str]]:
    """The checker's errors about each named document, from one run of the checker: its Java start-up, not the
    checking, is what takes a second or two."""
    errors: dict[str, list[str]] = {name: [] for name in documents}
    if not documents:
        return errors
    with tempfile.TemporaryDirectory() as directory:
        names = {}
        for index, (name, html) in enumerate(documents.items()):
            (Path(directory) / f"{index}.html").write_text(html, encoding="utf-8")
            names[f"{index}.html"] = name
        checked = subprocess.run(
            ["java", "-jar", str(found.vnu), "--errors-only", "--format", "json", *sorted(names)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=directory,
        )
    report = json.loads(checked.stderr or checked.stdout or '{"messages": []}')
    for message in report.get("messages", []):
        if message.get("type") == "error":
            name = names[str(message.get("url", "")).rsplit("/", 1)[-1]]
            errors[name].append(f"{message.get('lastLine', '?')}: {message.get('message')}")
    return errors


async def serious_violations(found: Tools, page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    await page.add_script_tag(path=str(found.axe))
    result = await page.evaluate("async () => await axe.run(document)")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — {len(violation['nodes'])} node(s)"
        for violation in result["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
