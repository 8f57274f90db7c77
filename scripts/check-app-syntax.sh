#!/usr/bin/env bash
# There is no Swift toolchain on Linux CI: this only checks that every Swift file of
# mobile-ios/ (hand-written and generated) parses, with tree-sitter-swift from PyPI.
# It does not type-check or link anything. Run scripts/bindings.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/swift-check-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet tree-sitter tree-sitter-swift
fi
[ -f mobile-ios/Sources/SimoCore/generated/SimoCore.swift ] || scripts/bindings.sh >/dev/null

find mobile-ios -name '*.swift' -not -path '*/.build/*' | sort | xargs "$venv/bin/python" scripts/check_swift.py
