#!/usr/bin/env bash
# The project's whole test suite. Run from anywhere: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "generated code is up to date"
cargo xtask codegen --check

step "tests"
cargo test --workspace --all-targets
cargo test --workspace --doc
