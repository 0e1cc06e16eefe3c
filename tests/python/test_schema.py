"""The committed JSON Schemas accept every shipped scenario, sweep and plan file, read with a
standard validator (jsonschema, draft 2020-12) and a YAML 1.2 reader as editors use, and
refuse an unknown field with its name."""

import functools
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


@functools.lru_cache(maxsize=None)
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


# The radio rules of the schema against the validator, value by value: for each combination
# the standard validator's verdict on the field must be `unchained validate`'s.

import itertools  # noqa: E402
import json  # noqa: E402

import unchained  # noqa: E402

SCENARIO_SCHEMA = SCENARIOS / "unchained.schema.json"


def schema_errors(doc) -> list:
    return list(validator(SCENARIO_SCHEMA).iter_errors(doc))


def cli_accepts(doc) -> bool:
    try:
        unchained.validate(doc)
    except unchained.ScenarioError:
        return False
    return True


def lorawan_doc(radio: dict) -> dict:
    doc = load_yaml(SCENARIOS / "lorawan-meters.yaml")
    group = doc["devices"][0]
    # The smallest payload of any data rate (US915 DR0: 11 bytes) carries it.
    group["tx_bytes"] = 10
    group.pop("mitigation", None)
    group["radio"] = {"model": "lorawan", **radio}
    return doc


def test_region_names_sf_and_bandwidth_agree_with_validate():
    radio = validator(SCENARIO_SCHEMA).schema["$defs"]["Radio"]["oneOf"]
    lorawan = next(b for b in radio if b["properties"]["model"]["const"] == "lorawan")
    regions = lorawan["properties"]["region"]["enum"]
    assert regions == ["eu868", "us915"]
    bandwidths = lorawan["properties"]["bandwidth_khz"]["enum"]
    combos = itertools.product(
        [*regions, None, "eu433"], [*range(6, 14), "adr", None], [*bandwidths, 250, None]
    )
    differ, accepted = [], 0
    for region, sf, bw in combos:
        radio = {k: v for k, v in [("region", region), ("sf", sf), ("bandwidth_khz", bw)]
                 if v is not None}
        doc = lorawan_doc(radio)
        by_schema = not schema_errors(doc)
        by_cli = cli_accepts(doc)
        accepted += by_cli
        if by_schema != by_cli:
            differ.append(f"{radio}: schema {by_schema}, validate {by_cli}")
    assert not differ, "\n".join(differ)
    # RP002-1.0.4 default channels: EU868 SF7..12 at 125 kHz, US915 SF7..10 at 125 kHz and
    # SF8 at 500 kHz (DR4); adr (or sf left out) at 125 kHz. EU868 with its region given or
    # left out, 125 kHz given or left out.
    assert accepted == (6 + 2) * 2 * 2 + ((4 + 2) * 2 + 1)


def cellular_doc(model: str, radio: dict) -> dict:
    doc = load_yaml(SCENARIOS / "nbiot-trackers.yaml")
    doc["devices"][0]["radio"] = {"model": model, **radio}
    return doc


def test_cellular_cycles_and_timers_agree_with_validate():
    cycles = sorted({0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 1.0, 20.48, 40.96, 10485.76, 20.0})
    probes = []
    for model in ["nbiot", "ltem"]:
        probes += [(model, {"drx_s": c}) for c in cycles]
        probes += [(model, {"edrx": {"cycle_s": c}}) for c in cycles]
        probes += [(model, {"edrx": {"cycle_s": 10485.76 if model == "nbiot" else 2621.44,
                                     "ptw_s": p}}) for p in [1.28, 2.56, 3.84, 40.96, 43.52]]
    # T3324 under a T3412 above any T3324; T3412 with T3324 at 0.
    far = 320 * 3600
    t3324 = [-2, 0, 1, 2, 61, 62, 64, 120, 1860, 1920, 2160, 11160, 11520, 2.5]
    t3412 = [-2, 0, 1, 2, 30, 930, 990, 3240, 3600, 111600, 115200, 36000 * 31, far * 31,
             far * 32]
    probes += [("nbiot", {"psm": {"t3324_s": t, "t3412_s": far}}) for t in t3324]
    probes += [("ltem", {"psm": {"t3324_s": 0, "t3412_s": t}}) for t in t3412]
    differ, accepted = [], 0
    for model, radio in probes:
        doc = cellular_doc(model, radio)
        by_schema = not schema_errors(doc)
        by_cli = cli_accepts(doc)
        accepted += by_cli
        if by_schema != by_cli:
            differ.append(f"{model} {json.dumps(radio)}: schema {by_schema}, validate {by_cli}")
    assert not differ, "\n".join(differ)
    assert 0 < accepted < len(probes)


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda g: g["radio"].update(region="eu433"), "region"),
        (lambda g: g.update(energy={"states": {"tx": -1}}), "tx"),
        (lambda g: g.update(energy={"states": {"transmit": 40}}), "states"),
        (lambda g: g["radio"].update(retransmissions=15), "retransmissions"),
        (lambda g: g.update(receipts={"quota_per_day": 0}), "quota_per_day"),
    ],
    ids=["region", "current below zero", "unknown state", "retransmissions", "receipt quota"],
)
def test_radio_fields_out_of_range_fail(change, field):
    doc = lorawan_doc({"region": "eu868"})
    change(doc["devices"][0])
    errors = schema_errors(doc)
    assert errors, "the schema accepted it"
    # Errors under an optional section's `anyOf` (the section or null) sit in its context.
    paths = [list(map(str, e.absolute_path)) for e in all_errors(errors)]
    assert any(field in p for p in paths), [(p, e.message) for p, e in zip(paths, errors)]
    assert not cli_accepts(doc)


def all_errors(errors):
    for e in errors:
        yield e
        yield from all_errors(e.context)
