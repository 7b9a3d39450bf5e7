"""How long a running process waits for its database before exiting: a setting like the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedi.config import ConfigError, load


def test_the_database_deadline_defaults_to_a_minute_and_can_be_set() -> None:
    assert load({}).database_deadline == 60.0
    assert load({"CHIFFRES_DATABASE_DEADLINE": "12.5"}).database_deadline == 12.5


def test_the_database_deadline_is_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "chiffres.toml"
    path.write_text("database_deadline = 30\n")
    assert load({}, path).database_deadline == 30.0


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf", "nan"])
def test_a_bad_database_deadline_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="CHIFFRES_DATABASE_DEADLINE"):
        load({"CHIFFRES_DATABASE_DEADLINE": value})
