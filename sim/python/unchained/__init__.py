"""Unchained from Python: run scenarios and sweeps of the simulator and read their tables as
polars DataFrames.

The simulator is the ``unchained`` command line, shipped in this package's wheel; every
function here calls it, so results are byte for byte those of the command line::

    import unchained
    r = unchained.run("scenarios/quickstart.yaml", seed=7, **{"validators.count": 16})
    r.summary                      # polars DataFrame
    r.metric("settled_tx_per_s")
    s = unchained.sweep("scenarios/sweeps/tiny.yaml", jobs=2)
    s.combined, s.dataset          # DataFrame, LazyFrame over every run
    unchained.validate({"duration_s": 60, ...})   # raises ScenarioError naming the field
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional

from ._cli import ScenarioError, UnchainedError, binary, call
from ._progress import Event, ProgressArg, handler
from ._scenario import Spec, as_input
from ._scenario import overrides as _set_args
from .result import Run, Sweep

__all__ = [
    "Event",
    "Run",
    "ScenarioError",
    "Spec",
    "Sweep",
    "UnchainedError",
    "binary",
    "open_run",
    "open_sweep",
    "run",
    "schema",
    "sweep",
    "validate",
    "version",
]


def _out(out: Optional[str | Path], prefix: str) -> Path:
    # A fresh folder per call, so a notebook cell runs again without --force.
    return Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=prefix)) / "out"


def run(
    scenario: Spec,
    seed: Optional[int] = None,
    out: Optional[str | Path] = None,
    *,
    force: bool = False,
    progress: ProgressArg = True,
    overrides: Optional[Mapping[str, Any]] = None,
    **overrides_kw: Any,
) -> Run:
    """Run a scenario and return its output folder's tables.

    Args:
        scenario: a scenario file's path, YAML text, or a dict of the same fields. File
            names in it (``area.gateways_csv``) are relative to the scenario file's folder;
            in text and dicts, to the current folder.
        seed: overrides the scenario's seed (``--seed``).
        out: the output folder; by default a new temporary folder (``r.path``). An existing
            folder is replaced only with ``force=True``.
        force: replace an existing ``out``.
        progress: ``True`` shows the simulated time as it advances (a tqdm bar when tqdm
            is installed, in notebooks too; a text line on stderr otherwise), ``False``
            nothing; a callable receives each progress event the command line reports
            (``{"event": "progress", "sim_s": …, "end_s": …, …}``; see
            ``unchained._progress``). Results do not depend on it.
        overrides: fields to set before validation, by dotted path as in sweep axes, e.g.
            ``{"validators.count": 16, "devices[0].workload.interval_s": 60}``; the same can
            be passed as keyword arguments (``**{"validators.count": 16}``).

    Returns:
        A :class:`Run`: ``r.summary``, ``r.latency``, ``r.timeseries``, … as polars
        DataFrames, ``r.metric(name)``, ``r.path``.

    Raises:
        ScenarioError: the scenario is invalid; the message names the field, the value, what
            is allowed and the line, as the command line prints it.
    """
    sets = {**(overrides or {}), **overrides_kw}
    dest = _out(out, "unchained-run-")
    file, text = as_input(scenario)
    args = ["run", file, "--out", str(dest)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if force:
        args.append("--force")
    on_event = handler(progress, f"run {Path(file).stem if text is None else 'scenario'}")
    args += ["--progress", "jsonl"] if on_event else ["--quiet"]
    call([*args, *_set_args(sets)], stdin=text, on_event=on_event)
    return Run(dest)


def validate(scenario: Spec, **overrides_kw: Any) -> str:
    """Check a scenario without running it; returns the command line's report (devices,
    offered load, memory estimate).

    Raises:
        ScenarioError: with the command line's one-line message naming the field, e.g.
            ``validators.count = 0: must be >= 1 and <= 1000000 (line 9)``.
    """
    file, text = as_input(scenario)
    return call(["validate", file, *_set_args(overrides_kw)], stdin=text)


def sweep(
    spec: Spec,
    out: Optional[str | Path] = None,
    *,
    jobs: Optional[int] = None,
    progress: ProgressArg = True,
) -> Sweep:
    """Run a sweep (every point × seed, in parallel) and merge it.

    Args:
        spec: a sweep file's path, YAML text, or a dict. Its ``scenario`` is a path relative
            to the sweep file's folder; in YAML text and dicts, relative to the current
            folder. In a dict it may also be the base scenario itself as a dict (whose own
            file names, if any, must then be absolute).
        out: the sweep folder; by default a new temporary folder. Runs already complete in
            it are kept, as with ``unchained sweep run``.
        jobs: most runs at once (default: the thread count, lowered by the memory estimate).
        progress: ``True`` shows the runs as they finish (tqdm when installed, a text line
            otherwise), ``False`` nothing, a callable receives each event (``{"event":
            "run", "done": …, "todo": …, "point": …, "seed": …}``).

    Returns:
        A :class:`Sweep`: ``s.combined`` (DataFrame of mean, std, 95 % interval per point and
        metric), ``s.dataset`` (LazyFrame over every run's summary, hive-partitioned by
        ``point`` and ``seed``), ``s.points``, ``s.path``.
    """
    dest = _out(out, "unchained-sweep-")
    with tempfile.TemporaryDirectory(prefix="unchained-") as tmp:
        if isinstance(spec, Mapping):
            spec = dict(spec)
            base = spec.get("scenario")
            if isinstance(base, Mapping):
                path = Path(tmp) / "base.yaml"
                path.write_text(json.dumps(base, indent=1))
                spec["scenario"] = str(path)
            elif isinstance(base, Path):
                spec["scenario"] = str(base)
        file, text = as_input(spec)
        args = ["sweep", "run", file, "--out", str(dest), "--merge"]
        if jobs is not None:
            args += ["--jobs", str(jobs)]
        on_event = handler(progress, "sweep")
        args += ["--progress", "jsonl"] if on_event else ["--quiet"]
        call(args, stdin=text, on_event=on_event)
    return Sweep(dest)


def schema(kind: str = "scenario") -> dict[str, Any]:
    """The JSON Schema of scenario, sweep or plan files (``unchained schema KIND``)."""
    return json.loads(call(["schema", kind]))


def open_run(path: str | Path) -> Run:
    """An existing run folder (from ``unchained run``) as a :class:`Run`."""
    return Run(path)


def open_sweep(path: str | Path) -> Sweep:
    """An existing merged sweep folder as a :class:`Sweep`."""
    return Sweep(path)


def version() -> str:
    """The simulator's version (``unchained --version``)."""
    return call(["--version"]).split()[-1]
