"""Turning what a caller passes (a path, YAML text or a dict) into what the CLI reads: a file
path, or text on its standard input (`-`), where relative file names in it (a sweep's
`scenario:`, a scenario's `area.gateways_csv`) are resolved against the current folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple, Union

#: A scenario, sweep or plan: a file path, YAML text, or the parsed mapping.
Spec = Union[str, "os.PathLike[str]", Mapping[str, Any]]

#: The file name under which the CLI reads standard input.
STDIN = "-"


def as_input(spec: Spec) -> Tuple[str, Optional[str]]:
    """``(file argument, standard input)``: a path as itself; text and mappings (as JSON,
    which is YAML) on standard input."""
    if isinstance(spec, Mapping):
        return STDIN, json.dumps(spec, indent=1)
    if isinstance(spec, os.PathLike):
        return os.fspath(spec), None
    if "\n" in spec or ":" in spec and not Path(spec).exists():
        return STDIN, spec
    return spec, None


def overrides(pairs: Mapping[str, Any]) -> list[str]:
    """``--set PATH=VALUE`` arguments; values travel as JSON, which the CLI reads as YAML."""
    args: list[str] = []
    for path, value in pairs.items():
        args += ["--set", f"{path}={json.dumps(value)}"]
    return args
