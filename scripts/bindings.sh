#!/usr/bin/env bash
# Builds simo-core and generates its Kotlin and Swift bindings in library mode.
# The generated files are not committed: run this after every change to the core's API.
#   Kotlin → mobile-android/app/src/main/java/ru/simo/core/simo_core.kt
#   Swift  → mobile-ios/Sources/SimoCore/generated/SimoCore.swift
#            mobile-ios/build/include/SimoCoreFFI.h + module.modulemap (packed into the
#            xcframework by scripts/build-xcframework.sh on a Mac)
set -euo pipefail
cd "$(dirname "$0")/.."

# One invocation for the whole workspace: a narrower -p selection resolves other features and
# rebuilds shared dependencies (seen in CI: rustls, toml, … twice).
cargo build --quiet --workspace --all-targets
case "$(uname -s)" in
    Darwin) lib=target/debug/libsimo_core.dylib ;;
    *) lib=target/debug/libsimo_core.so ;;
esac
bindgen=target/debug/uniffi-bindgen

kotlin_out=mobile-android/app/src/main/java
"$bindgen" generate --library "$lib" --language kotlin --out-dir "$kotlin_out" --no-format

swift_tmp=$(mktemp -d)
trap 'rm -rf "$swift_tmp"' EXIT
"$bindgen" generate --library "$lib" --language swift --out-dir "$swift_tmp" --no-format
mkdir -p mobile-ios/Sources/SimoCore/generated mobile-ios/build/include
mv "$swift_tmp"/SimoCore.swift mobile-ios/Sources/SimoCore/generated/
mv "$swift_tmp"/SimoCoreFFI.h mobile-ios/build/include/
# An xcframework's headers directory must hold a file named module.modulemap.
mv "$swift_tmp"/SimoCoreFFI.modulemap mobile-ios/build/include/module.modulemap

echo "Kotlin: $kotlin_out/ru/simo/core/simo_core.kt"
echo "Swift:  mobile-ios/Sources/SimoCore/generated/SimoCore.swift, mobile-ios/build/include/"
