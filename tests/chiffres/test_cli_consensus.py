from __future__ import annotations

import json
from pathlib import Path

import pytest

from chiffres.cli import main

WEATHER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "weather"


def test_estimate_writes_one_line_per_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claims = tmp_path / "claims.tsv"
    claims.write_text("rent\t800\ta\nrent\t810\tb\nrent\t805\tc\nrent\t2000\td\nsky\tw-1\ta\nsky\tw-1\tb\n")
    assert main(["consensus", "estimate", "--claims", str(claims)]) == 0
    lines = dict(line.split("\t", 1) for line in capsys.readouterr().out.splitlines())
    value = float(lines["rent"].split("\t")[0])
    assert 800 <= value <= 810
    assert lines["sky"].startswith("w-1\t")


def test_bad_input_is_one_line_and_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claims = tmp_path / "claims.tsv"
    claims.write_text("only-one-field\n")
    assert main(["consensus", "estimate", "--claims", str(claims)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("chiffres: ")
    assert "line 1" in error
    assert main(["consensus", "estimate", "--claims", str(tmp_path / "missing.tsv")]) == 1
    assert main(["consensus", "estimate", "--claims", str(claims), "--encoding", "no-such-codec"]) == 1


@pytest.mark.skipif(not WEATHER.exists(), reason="the Weather data set is not beside the checkout")
def test_evaluate_on_weather_beats_median_and_mean(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["consensus", "evaluate", "--claims", str(WEATHER / "claims.tsv"), "--truth", str(WEATHER / "truth.tsv")]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mae"] < report["mean"]["mae"] < report["median"]["mae"]


@pytest.mark.skipif(not WEATHER.exists(), reason="the Weather data set is not beside the checkout")
def test_evaluate_numbers_only_and_a_forced_scale(capsys: pytest.CaptureFixture[str]) -> None:
    files = ["--claims", str(WEATHER / "claims.tsv"), "--truth", str(WEATHER / "truth.tsv")]
    assert main(["consensus", "evaluate", *files, "--numbers-only"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["claims"] == 10692
    assert numbers["scale"] == "interval"
    assert numbers["categorical"] == {"objects": 0, "error_rate": None}
    assert numbers["mae"] < numbers["median"]["mae"]
    assert main(["consensus", "evaluate", *files, "--scale", "ratio"]) == 0
    assert json.loads(capsys.readouterr().out)["scale"] == "ratio"
