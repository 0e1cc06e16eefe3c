"""Turning what a caller passes (a path, YAML text or a dict) into a file the CLI reads."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Union

#: A scenario, sweep or plan: a file path, YAML text, or the parsed mapping.
Spec = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def as_file(spec: Spec, folder: str, name: str) -> Path:
    """`spec` as a file path; text and mappings are written into `folder` (JSON is YAML)."""
    if isinstance(spec, Mapping):
        path = Path(folder) / name
        path.write_text(json.dumps(spec, indent=1))
        return path
    if isinstance(spec, os.PathLike):
        return Path(spec)
    if "\n" in spec or ":" in spec and not Path(spec).exists():
        path = Path(folder) / name
        path.write_text(spec)
        return path
    return Path(spec)


def overrides(pairs: Mapping[str, Any]) -> list[str]:
    """``--set PATH=VALUE`` arguments; values travel as JSON, which the CLI reads as YAML."""
    args: list[str] = []
    for path, value in pairs.items():
        args += ["--set", f"{path}={json.dumps(value)}"]
    return args


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="unchained-")
