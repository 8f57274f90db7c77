#!/usr/bin/env bash
# Every test of the project, as CI runs it. Installs what it needs (idempotent), then:
#   Rust: unit + integration + end-to-end tests on SQLite and on a real PostgreSQL (required),
#   Kotlin bindings on a real JVM, the apps' Swift and Kotlin syntax, the OpenAPI spec
#   validated, cabinet in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "PostgreSQL"
scripts/ensure-postgres.sh

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "build (one feature set for tests, binaries, the core's cdylib and examples)"
cargo build --workspace --all-targets

step "Rust tests (SQLite + PostgreSQL)"
SIMO_REQUIRE_POSTGRES=1 cargo test --workspace

step "Kotlin bindings on the JVM"
scripts/test-kotlin.sh

step "the apps' Swift and Kotlin syntax"
scripts/check-app-syntax.sh

step "OpenAPI spec valid"
scripts/check-openapi.sh

step "the apps' words in Russian and English"
python3 scripts/check_app_strings.py

step "cabinet in headless Chromium"
scripts/test-browser.sh

step "all tests passed"
