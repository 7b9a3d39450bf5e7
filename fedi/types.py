"""Aliases shared across the packages; this module imports nothing of ours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

JSON = dict[str, Any]
Clock = Callable[[], datetime]
