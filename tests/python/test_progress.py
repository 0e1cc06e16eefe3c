"""Progress from Python: the command line's JSON progress lines reach the caller while it
runs, are drawn as a text line without tqdm, and change no result."""

from pathlib import Path

import pytest

import unchained
from unchained import _progress

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "sweeps" / "tiny-base.yaml"


def test_only_event_lines_are_events():
    assert _progress.parse_event('{"event":"start","end_s":900}\n') == {
        "event": "start",
        "end_s": 900,
    }
    for line in ["error: validators.count = 0: must be >= 1", "{not json", '{"a": 1}', "[1]", ""]:
        assert _progress.parse_event(line) is None, line


def test_without_tqdm_one_text_line_is_drawn(capsys):
    show = _progress.Display("run x", use_tqdm=False)
    show({"event": "start", "end_s": 900})
    show({"event": "progress", "sim_s": 300, "end_s": 900, "events": 1, "tx_settled": 7,
          "tx_pending": 0, "wall_s": 0.1})
    show({"event": "done", "sim_s": 900, "end_s": 900, "events": 2, "wall_s": 0.2})
    err = capsys.readouterr().err
    assert "\rrun x: 300/900 simulated s  7 tx settled" in err
    assert err.endswith("\rrun x: 900/900 simulated s\n")


def files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_run_reports_progress_and_the_same_tables(tmp_path):
    events = []
    with_events = unchained.run(BASE, seed=3, out=tmp_path / "events", progress=events.append)
    silent = unchained.run(BASE, seed=3, out=tmp_path / "silent", progress=False)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done", kinds
    assert set(kinds[1:-1]) <= {"progress"}
    # The run's end in simulated seconds is the scenario's duration.
    assert "duration_s: 900" in silent.scenario_yaml
    assert events[0]["end_s"] == 900 and events[-1]["sim_s"] == 900
    assert events[-1]["events"] == with_events.metric("events")
    assert files(with_events.path) == files(silent.path)


def test_the_default_bar_is_a_text_line_without_tqdm(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_progress, "_tqdm", lambda: None)
    unchained.run(BASE, seed=3, out=tmp_path / "r", duration_s=120)
    err = capsys.readouterr().err
    assert "run tiny-base: 120/120 simulated s" in err, err


def test_a_sweep_reports_each_finished_run(tmp_path):
    events = []
    s = unchained.sweep(
        {"scenario": str(BASE), "seeds": 2, "axes": {"duration_s": [60]}},
        out=tmp_path / "sweep", jobs=2, progress=events.append,
    )
    assert events[0]["event"] == "sweep" and events[0]["todo"] == 2
    runs = events[1:]
    assert [e["event"] for e in runs] == ["run", "run"]
    assert sorted(e["done"] for e in runs) == [1, 2]
    assert sorted((e["point"], e["seed"]) for e in runs) == [(0, 0), (0, 1)]
    assert s.dataset.collect()["seed"].n_unique() == 2


def test_progress_must_be_a_flag_or_a_callable():
    with pytest.raises(TypeError, match="progress must be"):
        unchained.run(BASE, progress="yes")
