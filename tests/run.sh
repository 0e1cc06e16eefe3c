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

echo "== format"
cargo fmt --all -- --check
echo "== lint"
cargo clippy --all-targets -- -D warnings
echo "== tests"
cargo test --all-targets
echo "== shipped scenarios validate"
for f in scenarios/*.yaml; do cargo run --quiet -- validate "$f"; done
echo "== all tests passed"
