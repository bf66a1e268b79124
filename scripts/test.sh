#!/usr/bin/env bash
# The project's whole test suite. Run from anywhere: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "generated code is up to date"
cargo xtask codegen --check

step "the generated crate builds with each family feature alone and with all of them"
cargo xtask check-features

step "tests"
cargo test --workspace --all-targets
cargo test --workspace --doc

step "interop: the official Node SDK against the emulator"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: the interop suite needs Node.js (>= 18) and npm on PATH" >&2
    exit 1
fi
cargo build -p alipay-emulator
(cd interop && npm ci --no-audit --no-fund && npm test)
