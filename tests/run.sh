#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine and runs all of it.
# Usage: tests/run.sh      (from anywhere; exits non-zero on the first failure)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# A fresh clone gains nothing from incremental caches, and they are about 4 GB of the debug
# target: the last CI run died in the linker with a bus error (the disk full) while writing
# a test binary. Set CARGO_INCREMENTAL=1 to keep them for repeated local runs.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

echo "== format"
cargo fmt --all -- --check
echo "== lint"
cargo clippy --all-targets -- -D warnings
echo "== tests"
cargo test --all-targets
echo "== shipped scenarios validate"
for f in scenarios/*.yaml; do cargo run --quiet -- validate "$f"; done

# Debian packages for the browser and Slurm tests; skipped when already present, and only
# where apt-get exists and we are root (CI: a fresh Debian machine, as root).
apt_pkgs() { # package...: installs quietly, refreshing the package lists once
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null 2>&1
}
apt_install() { # command-to-check package...
  local probe=$1
  shift
  command -v "$probe" >/dev/null 2>&1 && return 0
  apt_pkgs "$@" || true
  command -v "$probe" >/dev/null 2>&1
}
apt_install python3 python3 python3-venv ||
  { echo "python3 is needed for the report and notebook checks" >&2; exit 1; }

echo "== fresh outputs for the report, notebook and Slurm tests (target/ci-data)"
cargo build --quiet
rm -rf target/ci-data
mkdir -p target/ci-data
target/debug/unchained run scenarios/sweeps/tiny-base.yaml --quiet --out target/ci-data/run
target/debug/unchained sweep run scenarios/sweeps/tiny.yaml --quiet --merge \
  --out target/ci-data/sweep

echo "== report in a headless browser"
if apt_install chromium chromium; then
  tests/browser/report.sh target/ci-data/run target/ci-data/sweep
else
  echo "SKIPPED browser test: chromium could not be installed (needs root and apt-get)"
fi

echo "== sharded sweep as a Slurm job array on a one-node cluster"
tests/slurm/run.sh target/ci-data/sweep

echo "== Python venv (polars, Jupyter, pytest, maturin)"
venv=${UNCHAINED_VENV:-$HOME/.cache/unchained/venv}
if ! "$venv/bin/python" -c "import polars, matplotlib, yaml, nbconvert, ipykernel, pytest, jsonschema, ruamel.yaml, maturin" 2>/dev/null; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt_pkgs python3-venv || true
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check \
    polars matplotlib pyyaml nbconvert ipykernel pytest jsonschema ruamel.yaml maturin
fi

echo "== Python package: the wheel built from this checkout, installed into the venv"
# The dev profile reuses the debug build above (a release wheel, `pip install .`, compiles
# everything again in release). --no-build-isolation uses the venv's maturin.
PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install -q --disable-pip-version-check \
  --no-build-isolation --no-deps --force-reinstall .

echo "== Python tests (the package against the CLI; JSON Schema of the shipped files)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/python

echo "== notebooks against the fresh outputs"
nb_out=$(mktemp -d)
(cd notebooks &&
  UNCHAINED_RUN_DIR="$PWD/../target/ci-data/run" \
  UNCHAINED_SWEEP_DIR="$PWD/../target/ci-data/sweep" MPLBACKEND=Agg \
  "$venv/bin/jupyter" nbconvert --log-level=WARN --to notebook --execute \
    --output-dir "$nb_out" ./*.ipynb)
rm -rf "$nb_out"

echo "== all tests passed"
