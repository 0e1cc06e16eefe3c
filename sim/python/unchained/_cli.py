"""Finding and calling the `unchained` binary: every result comes from the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Sequence


class UnchainedError(Exception):
    """The command line refused its input or failed; the message is its one-line error."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


class ScenarioError(UnchainedError, ValueError):
    """A scenario, sweep or plan file is invalid (the command line exited with status 2).

    The message is the command line's own line: the field's path, the value, what is allowed
    and the YAML line, e.g. ``validators.count = 0: must be >= 1 and <= 1000000 (line 9)``.
    """


def binary() -> str:
    """The path of the `unchained` executable this package runs.

    ``UNCHAINED_BIN`` overrides it; otherwise the one installed with the package (the
    wheel's scripts folder), then the first on ``PATH``.
    """
    env = os.environ.get("UNCHAINED_BIN")
    if env:
        return env
    exe = "unchained.exe" if sys.platform == "win32" else "unchained"
    for scheme in (None, "posix_user" if os.name == "posix" else "nt_user"):
        try:
            scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        candidate = Path(scripts) / exe
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("unchained")
    if found:
        return found
    raise FileNotFoundError(
        "the unchained executable was not found: install the package (`pip install .` in the "
        "repository) or set UNCHAINED_BIN to a built binary (target/release/unchained)"
    )


def call(args: Sequence[str], *, cwd: str | os.PathLike[str] | None = None) -> str:
    """Runs ``unchained ARGS``; returns its standard output or raises with its error line."""
    proc = subprocess.run(
        [binary(), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error: ")]
        line = (errors or lines or [f"exit status {proc.returncode}"])[-1]
        message = line.removeprefix("error: ")
        cls = ScenarioError if proc.returncode == 2 else UnchainedError
        raise cls(message, proc.returncode)
    return proc.stdout
