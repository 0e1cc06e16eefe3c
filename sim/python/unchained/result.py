"""Run and sweep folders read as polars DataFrames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl


class Run:
    """The output folder of one run (`unchained run`), its tables as polars DataFrames.

    Every table of the folder is an attribute: ``r.summary``, ``r.latency``, ``r.timeseries``,
    ``r.blocks``, ``r.nodes``, ``r.messages``, ``r.run``, … (read from its Parquet file on
    first use). ``r.tables`` lists them; ``r.metric(name)`` reads one summary value.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not (self.path / "summary.parquet").is_file():
            raise FileNotFoundError(f"{self.path}: not a run folder (no summary.parquet)")
        self._cache: dict[str, pl.DataFrame] = {}

    @property
    def tables(self) -> list[str]:
        """Names of the tables in the folder."""
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    def table(self, name: str) -> pl.DataFrame:
        """The table `name` (``summary``, ``latency``, …)."""
        if name not in self._cache:
            file = self.path / f"{name}.parquet"
            if not file.is_file():
                raise KeyError(f"{self.path}: no table {name!r}; tables: {', '.join(self.tables)}")
            self._cache[name] = pl.read_parquet(file)
        return self._cache[name]

    def __getattr__(self, name: str) -> pl.DataFrame:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.table(name)
        except KeyError as e:
            raise AttributeError(str(e)) from None

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.tables]

    def metric(self, name: str) -> Any:
        """One metric of the summary table (``r.metric("settled_tx_per_s")``).

        Counts come back as ``int`` and flags as ``bool``, typed as in the one-row ``run``
        table; a statistic without samples is ``None``.
        """
        run = self.table("run")
        if name in run.columns:
            return run[name][0]
        values = self.summary.filter(pl.col("metric") == name)["value"]
        if values.len() == 0:
            raise KeyError(f"{self.path}: no metric {name!r} in the summary")
        return values[0]

    @property
    def scenario_yaml(self) -> str:
        """The resolved scenario the run used (every default filled in, seed, version)."""
        return (self.path / "scenario.yaml").read_text()

    def __repr__(self) -> str:
        return f"unchained.Run({str(self.path)!r})"


class Sweep:
    """A merged sweep folder (`unchained sweep run --merge`).

    ``s.combined`` is the per point and metric table (mean, std, 95 % interval, n) and
    ``s.points`` the axis values of each point; ``s.dataset`` scans every run's summary as one
    hive-partitioned LazyFrame (columns ``point`` and ``seed`` from the folder names), and
    ``s.scan(table)`` any other per-run table the same way.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not (self.path / "combined.parquet").is_file():
            raise FileNotFoundError(
                f"{self.path}: not a merged sweep folder (no combined.parquet; run "
                "`unchained sweep merge` on it)"
            )

    @property
    def combined(self) -> pl.DataFrame:
        """Per point and metric: mean, std, 95 % interval and number of seeds."""
        return pl.read_parquet(self.path / "combined.parquet")

    @property
    def points(self) -> pl.DataFrame:
        """Each point's axis values."""
        return pl.read_parquet(self.path / "points.parquet")

    def scan(self, table: str = "summary") -> pl.LazyFrame:
        """Every run's `table` as one LazyFrame, hive-partitioned by ``point`` and ``seed``."""
        return pl.scan_parquet(
            self.path / "runs" / "*" / "*" / f"{table}.parquet", hive_partitioning=True
        )

    @property
    def dataset(self) -> pl.LazyFrame:
        """Every run's summary (``point``, ``seed``, ``metric``, ``value``, …), lazily."""
        return self.scan("summary")

    def run(self, point: int, seed: int) -> Run:
        """One run of the sweep."""
        return Run(self.path / "runs" / f"point={point}" / f"seed={seed}")

    def __repr__(self) -> str:
        return f"unchained.Sweep({str(self.path)!r})"
