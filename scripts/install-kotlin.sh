#!/usr/bin/env bash
# Installs what the Kotlin binding tests need, once: kotlinc (npm package kotlin-compiler,
# which also ships kotlin-test and kotlinx-coroutines), JNA and JUnit 4 from Debian.
# Idempotent: a second run does nothing. Java 17 must already be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

KOTLIN_VERSION=2.4.20
TOOLS=.tools
KOTLIN_HOME="$TOOLS/kotlinc-$KOTLIN_VERSION"

if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ]; then
    mkdir -p "$TOOLS/npm"
    echo "Downloading kotlin-compiler@$KOTLIN_VERSION from npm…"
    (cd "$TOOLS/npm" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
    rm -rf "$KOTLIN_HOME.tmp" && mkdir -p "$KOTLIN_HOME.tmp"
    tar -xzf "$TOOLS/npm/kotlin-compiler-$KOTLIN_VERSION.tgz" -C "$KOTLIN_HOME.tmp"
    # npm tarballs put everything under package/; find where bin/kotlinc landed.
    kotlinc=$(find "$KOTLIN_HOME.tmp" -path '*/bin/kotlinc' -type f | head -n 1)
    [ -n "$kotlinc" ] || { echo "kotlinc not found in the npm package" >&2; exit 1; }
    mv "$(dirname "$(dirname "$kotlinc")")" "$KOTLIN_HOME"
    rm -rf "$KOTLIN_HOME.tmp"
    chmod +x "$KOTLIN_HOME"/bin/*
    "$KOTLIN_HOME/bin/kotlinc" -version 2>&1 | head -n 1
fi

missing=()
[ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
[ -f /usr/share/java/junit4.jar ] || missing+=(junit4)
if [ ${#missing[@]} -gt 0 ]; then
    sudo_if_needed=""
    [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
        $sudo_if_needed apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq "${missing[@]}"
fi
