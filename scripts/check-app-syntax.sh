#!/usr/bin/env bash
# There is no Swift toolchain and no Android SDK on Linux CI: this only checks that every Swift
# file of mobile-ios/ (hand-written and generated) and every hand-written Kotlin file of
# mobile-android/ parses, with tree-sitter-swift and tree-sitter-kotlin from PyPI. It does not
# type-check or link anything (the Kotlin bindings are compiled and run by scripts/test-kotlin.sh).
# Run scripts/bindings.sh first, or let this run it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/app-syntax-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tree_sitter, tree_sitter_swift, tree_sitter_kotlin' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet tree-sitter==0.26.1 tree-sitter-swift==0.7.4 tree-sitter-kotlin==1.1.0
fi
[ -f mobile-ios/Sources/SimoCore/generated/SimoCore.swift ] || scripts/bindings.sh >/dev/null

{
    find mobile-ios -name '*.swift' -not -path '*/.build/*'
    # The generated bindings are left out: kotlinc compiles them in scripts/test-kotlin.sh,
    # and the grammar stumbles on some of UniFFI's valid Kotlin.
    find mobile-android \( -name '*.kt' -o -name '*.kts' \) -not -path '*/build/*' -not -name simo_core.kt
} | sort | xargs "$venv/bin/python" scripts/check_syntax.py
