"""Finding and calling the `unchained` binary: every result comes from the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from ._progress import Event, parse_event


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


def call(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    stdin: Optional[str] = None,
    on_event: Optional[Callable[[Event], None]] = None,
) -> str:
    """Runs ``unchained ARGS``; returns its standard output or raises with its error line.

    ``stdin`` is written to its standard input (scenario text read from ``-``). With
    ``on_event``, the progress events it prints on stderr (``--progress jsonl``) are passed
    to ``on_event`` while it runs, in the calling thread.
    """
    cmd = [binary(), *args]
    if on_event is None:
        proc = subprocess.run(
            cmd, cwd=cwd, input=stdin, capture_output=True, text=True, check=False
        )
        return _result(proc.returncode, proc.stdout, proc.stderr.splitlines())
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: List[str] = []
    # Standard output and input move in threads, so neither pipe fills while stderr is read.
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    if stdin is not None:
        writer = threading.Thread(target=_write, args=(proc.stdin, stdin), daemon=True)
        writer.start()
    other: List[str] = []
    try:
        for line in proc.stderr:
            event = parse_event(line)
            if event is None:
                other.append(line.rstrip("\n"))
            else:
                on_event(event)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    code = proc.wait()
    reader.join()
    return _result(code, "".join(out), other)


def _write(pipe, text: str) -> None:
    try:
        pipe.write(text)
        pipe.close()
    except BrokenPipeError:
        pass


def _result(code: int, stdout: str, stderr_lines: List[str]) -> str:
    if code != 0:
        lines = [ln for ln in stderr_lines if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error: ")]
        line = (errors or lines or [f"exit status {code}"])[-1]
        message = line.removeprefix("error: ")
        cls = ScenarioError if code == 2 else UnchainedError
        raise cls(message, code)
    return stdout
