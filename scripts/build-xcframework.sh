#!/usr/bin/env bash
# macOS only (needs Xcode): builds libsimo_core.a for iOS devices and simulators and packs it
# with the generated header into mobile-ios/SimoCoreFFI.xcframework for Package.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS and Xcode" >&2; exit 1; }

scripts/bindings.sh
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${targets[@]}"
for target in "${targets[@]}"; do
    cargo build -p simo-core --release --target "$target"
done
mkdir -p target/ios-sim
lipo -create target/aarch64-apple-ios-sim/release/libsimo_core.a target/x86_64-apple-ios/release/libsimo_core.a \
    -output target/ios-sim/libsimo_core.a
rm -rf mobile-ios/SimoCoreFFI.xcframework
xcodebuild -create-xcframework \
    -library target/aarch64-apple-ios/release/libsimo_core.a -headers mobile-ios/build/include \
    -library target/ios-sim/libsimo_core.a -headers mobile-ios/build/include \
    -output mobile-ios/SimoCoreFFI.xcframework
