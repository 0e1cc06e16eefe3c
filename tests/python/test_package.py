"""The Python package against the command line it wraps: same tables for the same seed, the
CLI's one-line error as the exception, overrides by dotted path, a 2-point sweep."""

import subprocess
from pathlib import Path

import polars as pl
import pytest

import unchained

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "sweeps" / "tiny-base.yaml"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same scenario and seed run by the package and by the binary directly."""
    tmp = tmp_path_factory.mktemp("pair")
    r = unchained.run(BASE, seed=5, out=tmp / "package")
    subprocess.run(
        [unchained.binary(), "run", str(BASE), "--seed", "5", "--out", str(tmp / "cli"), "--quiet"],
        check=True,
    )
    return r, tmp / "cli"


def test_tables_are_byte_equal_to_the_cli(pair):
    r, cli = pair
    files = sorted(p.name for p in cli.iterdir() if p.suffix in (".csv", ".parquet"))
    assert len(files) >= 10, files
    for name in files:
        assert (r.path / name).read_bytes() == (cli / name).read_bytes(), name


def test_tables_are_dataframes_with_the_cli_values(pair):
    r, cli = pair
    assert isinstance(r.summary, pl.DataFrame) and isinstance(r.latency, pl.DataFrame)
    assert r.summary.equals(pl.read_parquet(cli / "summary.parquet"))
    assert "timeseries" in r.tables and r.timeseries.height > 0
    created = r.metric("tx_created")
    assert isinstance(created, int) and created > 0
    settled = r.metric("settled_tx_per_s")
    row = r.summary.filter(pl.col("metric") == "settled_tx_per_s")["value"][0]
    assert isinstance(settled, float) and settled == row
    with pytest.raises(KeyError):
        r.metric("no_such_metric")


def test_invalid_scenario_raises_naming_the_field():
    text = BASE.read_text().replace("count: 20", "count: 0", 1)
    assert text != BASE.read_text()
    with pytest.raises(unchained.ScenarioError) as e:
        unchained.validate(text)
    assert "validators.count = 0: must be >= 1" in str(e.value)
    assert e.value.returncode == 2
    with pytest.raises(unchained.ScenarioError, match="validators.count = 0"):
        unchained.run(BASE, **{"validators.count": 0})
    with pytest.raises(unchained.ScenarioError, match="block_intervall_s"):
        unchained.validate(BASE, **{"consensus.block_intervall_s": 60})


def test_dotted_overrides_reach_the_run():
    r = unchained.run(BASE, seed=2, **{"validators.count": 6, "duration_s": 120})
    assert r.metric("validators") == 6
    assert "duration_s: 120" in r.scenario_yaml


def test_a_dict_scenario_runs_like_its_file():
    assert unchained.schema("scenario")["title"] == "Unchained scenario"
    r = unchained.run({"duration_s": 60, "validators": {"count": 4},
                       "consensus": {"protocol": "pbft"},
                       "devices": [{"count": 50, "workload": {"model": "poisson", "rate_per_s": 0.1}}],
                       "gateways": {"count": 2}}, seed=1)
    assert r.metric("tx_created") > 0


def test_two_point_sweep(tmp_path):
    s = unchained.sweep(
        {"name": "two", "scenario": str(BASE), "seeds": 2,
         "axes": {"validators.count": [4, 8]}},
        out=tmp_path / "sweep", jobs=2,
    )
    assert s.points.height == 2
    runs = s.dataset.collect()
    assert sorted(runs["point"].unique().to_list()) == [0, 1]
    assert runs.select(pl.struct("point", "seed").n_unique()).item() == 4
    c = s.combined
    assert set(c["point"].to_list()) == {0, 1}
    created = c.filter(pl.col("metric") == "tx_created").sort("point")
    assert (created["n"] == 2).all()
    # The combined mean is the mean over the dataset's seeds.
    mean = (runs.filter(pl.col("metric") == "tx_created").group_by("point")
            .agg(pl.col("value").mean()).sort("point"))
    assert created["mean"].to_list() == pytest.approx(mean["value"].to_list(), rel=1e-12)
    assert s.run(1, 0).metric("validators") == 8
