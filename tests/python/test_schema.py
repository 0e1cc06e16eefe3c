"""The committed JSON Schemas accept every shipped scenario, sweep and plan file, read with a
standard validator (jsonschema, draft 2020-12) and a YAML 1.2 reader as editors use, and
refuse an unknown field with its name."""

from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def load_yaml(path: Path):
    # YAML 1.2, as the simulator and the YAML language server read it (`2.0e6` is a number).
    return YAML(typ="safe", pure=True).load(path.read_text())


def schema_named_by(path: Path) -> Path:
    """The schema the file's `# yaml-language-server: $schema=...` first line points at."""
    first = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path}: first line {first!r}"
    return (path.parent / first[len(prefix):]).resolve()


def validator(schema_path: Path) -> jsonschema.protocols.Validator:
    import json

    schema = json.loads(schema_path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


SHIPPED = sorted(SCENARIOS.rglob("*.yaml"))


def test_there_are_files_of_each_kind():
    kinds = {schema_named_by(p).name for p in SHIPPED}
    assert kinds == {
        "unchained.schema.json",
        "unchained-sweep.schema.json",
        "unchained-plan.schema.json",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_file_matches_its_schema(path: Path):
    errors = list(validator(schema_named_by(path)).iter_errors(load_yaml(path)))
    assert not errors, "; ".join(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


@pytest.mark.parametrize(
    "where",
    [(), ("consensus",), ("devices", 0, "workload")],
    ids=["top level", "consensus (a tagged section)", "devices[0].workload"],
)
def test_an_unknown_field_fails(where):
    path = SCENARIOS / "quickstart.yaml"
    doc = load_yaml(path)
    node = doc
    for step in where:
        node = node[step]
    node["block_intervall_s"] = 600
    errors = list(validator(schema_named_by(path)).iter_errors(doc))
    assert errors, "a misspelt field passed the schema"
    assert any("block_intervall_s" in e.message for e in errors) or any(
        "block_intervall_s" in str(c.message) for e in errors for c in e.context
    ), [e.message for e in errors]


def test_a_value_out_of_range_fails():
    path = SCENARIOS / "quickstart.yaml"
    doc = load_yaml(path)
    doc["validators"]["count"] = 0
    errors = list(validator(schema_named_by(path)).iter_errors(doc))
    assert [list(e.absolute_path) for e in errors] == [["validators", "count"]]
