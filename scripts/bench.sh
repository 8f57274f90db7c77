#!/usr/bin/env bash
# Benchmarks the API (see scripts/bench.py for what it measures). Release build; installs oha
# (load generator, from crates.io) into .tools/ once. Pass-through options: --db sqlite|postgres|both,
# --seconds N, --connections N, --staff N, --messages N.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .tools/oha/bin/oha ] || cargo install oha --locked --root .tools/oha
scripts/ensure-postgres.sh
cargo build --release -p simo-backend --bin simo-backend --example ceiling
exec python3 scripts/bench.py "$@"
