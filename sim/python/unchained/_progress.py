"""Progress of a running command: the command line prints one JSON object per line on stderr
(``--progress jsonl``); this module reads those lines and draws them (tqdm when installed,
a plain text line otherwise). What the events mean is the command line's; nothing here
computes progress of its own.

Events of ``unchained run``: ``{"event": "start", "end_s": …}``, then ``progress``
(``sim_s``, ``end_s``, ``events``, ``tx_settled``, ``tx_pending``, ``wall_s``) at most five
times a second, and ``done``. Events of ``unchained sweep run``: ``{"event": "sweep", "runs",
"skipped", "todo", "jobs"}``, then ``run`` (``done``, ``todo``, ``point``, ``seed``,
``wall_s``) as each run finishes.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, Optional, Union

#: One progress event as the command line wrote it.
Event = Dict[str, Any]
#: What ``progress=`` accepts: show a bar (True), nothing (False), or call this per event.
ProgressArg = Union[bool, Callable[[Event], None]]


def parse_event(line: str) -> Optional[Event]:
    """The event a stderr line holds, or None for any other line (warnings, errors)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("event"), str):
        return value
    return None


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class Display:
    """Draws the events of one command: a tqdm bar when tqdm is installed (``tqdm.auto``
    picks the notebook widget in Jupyter), otherwise one text line rewritten in place on
    stderr."""

    def __init__(self, desc: str, *, use_tqdm: bool = True) -> None:
        self.desc = desc
        self._tqdm = _tqdm() if use_tqdm else None
        self._bar: Any = None
        self._total = 0
        self._unit = ""
        self._n = 0

    def _open(self, total: int, unit: str) -> None:
        self._total, self._unit, self._n = total, unit, 0
        if self._tqdm is not None:
            self._bar = self._tqdm(total=total, desc=self.desc, unit=unit, leave=False)

    def _to(self, n: int, note: str = "") -> None:
        n = max(self._n, min(n, self._total))
        if self._bar is not None:
            self._bar.update(n - self._n)
            if note:
                self._bar.set_postfix_str(note, refresh=False)
        else:
            text = f"\r{self.desc}: {n}/{self._total} {self._unit}"
            sys.stderr.write(f"{text}  {note}" if note else text)
            sys.stderr.flush()
        self._n = n

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        else:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __call__(self, e: Event) -> None:
        kind = e["event"]
        if kind == "start":
            self._open(int(e["end_s"]), "simulated s")
        elif kind == "progress":
            self._to(int(e["sim_s"]), f"{e['tx_settled']} tx settled")
        elif kind == "done":
            self._to(self._total)
            self._close()
        elif kind == "sweep":
            self._open(int(e["todo"]), "runs")
            if e["todo"] == 0:
                self._close()
        elif kind == "run":
            self._to(int(e["done"]), f"point={e['point']} seed={e['seed']}")
            if e["done"] >= self._total:
                self._close()


def handler(progress: ProgressArg, desc: str) -> Optional[Callable[[Event], None]]:
    """The callback for ``progress=``; None means no progress (``--quiet``)."""
    if progress is True:
        return Display(desc)
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    raise TypeError(f"progress must be True, False or a callable, not {progress!r}")
