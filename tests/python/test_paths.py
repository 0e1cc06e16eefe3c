"""Relative file names: in a file, relative to that file's folder (also when `--set` or a
sweep axis gives them); in YAML text and dicts, relative to the current folder."""

from pathlib import Path

import pytest

import unchained

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "sweeps" / "tiny-base.yaml"

LORAWAN = """duration_s: 60
devices:
  - count: 20
    workload: { model: periodic, interval_s: 60 }
    tx_bytes: 20
    radio: { model: lorawan, sf: adr }
gateways: { count: 2 }
area: { shape: disc, size_m: 5000, gateways: PLACEMENT }
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 30, confirmations: 1 }
"""
LISTED = LORAWAN.replace("PLACEMENT", "listed, gateways_csv: gw.csv")
GRID = LORAWAN.replace("PLACEMENT", "grid")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder with a gateway CSV and the two scenarios; the current folder is elsewhere."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "gw.csv").write_text("x_m,y_m\n-1000,0\n1000,0\n")
    (folder / "listed.yaml").write_text(LISTED)
    (folder / "grid.yaml").write_text(GRID)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return folder


def test_set_names_a_csv_relative_to_the_scenario_file(site):
    unchained.validate(site / "grid.yaml", **{"area.gateways": "listed",
                                              "area.gateways_csv": "gw.csv"})
    unchained.validate(site / "listed.yaml", **{"validators.count": 5})


def test_text_and_dicts_name_files_relative_to_the_current_folder(site, monkeypatch):
    with pytest.raises(unchained.ScenarioError, match=r'area.gateways_csv = "gw.csv": cannot be read'):
        unchained.validate(LISTED)
    monkeypatch.chdir(site)
    assert unchained.validate(LISTED).startswith("stdin: valid")
    r = unchained.run(LISTED, progress=False)
    assert r.metric("gateways") == 2


def test_a_yaml_sweep_names_its_scenario_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(BASE.parent)
    text = f"scenario: {BASE.name}\nseeds: 1\naxes:\n  duration_s: [60, 120]\n"
    s = unchained.sweep(text, out=tmp_path / "sweep", jobs=2, progress=False)
    assert s.points.height == 2
    # A dict's relative path resolves the same way.
    s = unchained.sweep({"scenario": BASE.name, "seeds": 1, "axes": {"duration_s": [60]}},
                        out=tmp_path / "dict", progress=False)
    assert s.points.height == 1


def test_a_sweep_file_names_its_scenario_relative_to_itself(site):
    (site / "sweep.yaml").write_text("scenario: listed.yaml\nseeds: 1\naxes:\n"
                                     "  validators.count: [4]\n")
    s = unchained.sweep(site / "sweep.yaml", progress=False)
    assert s.run(0, 0).metric("gateways") == 2
