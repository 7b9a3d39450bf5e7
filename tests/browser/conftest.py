"""The page tests need a browser and two checkers; they skip, saying why, only where those cannot be had."""

from __future__ import annotations

import pytest

from tests.support.browser import Tools, tools


@pytest.fixture(scope="session")
def page_tools() -> Tools:
    found = tools()
    if isinstance(found, str):
        pytest.skip(found)
    return found
