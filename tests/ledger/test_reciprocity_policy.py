"""The reciprocity policy file: documented defaults, a [default] table, per-group tables, and one line naming the
file and the key for anything wrong; the worker keeps the last good policy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fedi.instance import Instance
from ledger.enforcement import Enforcement
from ledger.reciprocity_policy import DEFAULT, FILE, Policy, PolicyError, load


def test_without_a_file_the_documented_defaults_apply(tmp_path: Path) -> None:
    policy = load(tmp_path).of("loyers")
    assert policy == DEFAULT
    assert (policy.grace_days, policy.window_days, policy.consultations_per_contribution) == (30, 90, 50)
    assert (policy.reminder_days, policy.enabled) == (14, True)


def test_groups_override_the_default_table_which_overrides_the_defaults(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text(
        "[default]\ngrace_days = 7\n\n[loyers]\nconsultations_per_contribution = 20\n\n[prix]\nenabled = false\n",
        encoding="utf-8",
    )
    policies = load(tmp_path)
    assert policies.of("loyers") == Policy(grace_days=7, consultations_per_contribution=20)
    assert policies.of("prix") == Policy(grace_days=7, enabled=False)
    assert policies.of("autre") == Policy(grace_days=7)


def test_below_means_fewer_than_one_contribution_per_so_many_consultations() -> None:
    assert not DEFAULT.below(0, 49)  # read a little: not behind yet
    assert DEFAULT.below(0, 50)
    assert not DEFAULT.below(2, 100)
    assert DEFAULT.below(2, 101)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[loyers]\ngrace_days = -1\n", ("[loyers] grace_days", "at least 0")),
        ("[default]\nwindow_days = 0\n", ("[default] window_days", "at least 1")),
        ("[loyers]\nreminder_days = true\n", ("[loyers] reminder_days",)),
        ("[loyers]\nenabled = 1\n", ("[loyers] enabled", "true or false")),
        ("[loyers]\ngrace = 3\n", ("[loyers] grace", "unknown key")),
        ("loyers = 3\n", ("loyers must be a table",)),
        ("[loyers\n", ("not valid TOML",)),
    ],
)
def test_a_wrong_file_is_refused_in_one_line_naming_the_file_and_the_key(
    tmp_path: Path, text: str, words: tuple[str, ...]
) -> None:
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert str(tmp_path / FILE) in message
    for word in words:
        assert word in message


def test_the_job_logs_a_wrong_file_and_keeps_the_last_good_policy(
    instance: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    path = instance.settings.data_dir / FILE
    path.write_text("[loyers]\ngrace_days = 3\n", encoding="utf-8")
    enforcement = Enforcement(instance)
    assert enforcement.policies().of("loyers").grace_days == 3
    path.write_text("[loyers]\ngrace_days = 'three'\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="ledger.enforcement"):
        assert enforcement.policies().of("loyers").grace_days == 3
    [record] = caplog.records
    assert "[loyers] grace_days" in record.getMessage()
