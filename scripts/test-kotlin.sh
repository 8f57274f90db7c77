#!/usr/bin/env bash
# Runs the Kotlin binding tests on the JVM against a real simo-backend on loopback.
# Installs kotlinc, JNA and JUnit first if missing (scripts/install-kotlin.sh, idempotent).
# Exits non-zero if a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-kotlin.sh
KOTLIN_HOME=.tools/kotlinc-2.4.20

cargo build --quiet --workspace --all-targets  # same feature set as cargo test: no rebuild
scripts/bindings.sh >/dev/null

lib="$KOTLIN_HOME/lib"
classpath="/usr/share/java/jna.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
classpath="$classpath:$lib/kotlinx-coroutines-core-jvm.jar:$lib/kotlin-test.jar:$lib/kotlin-test-junit.jar"
out=target/kotlin-tests
rm -rf "$out" && mkdir -p "$out"

echo "Compiling the generated bindings and the tests…"
"$KOTLIN_HOME/bin/kotlinc" -nowarn -jvm-target 17 -cp "$classpath" -d "$out" \
    mobile-android/app/src/main/java/ru/simo/core/simo_core.kt \
    mobile-android/src/test/kotlin/ru/simo/core/*.kt

echo "Running on the JVM…"
java -Djna.library.path=target/debug -Dsimo.backend=target/debug/simo-backend \
    -cp "$out:$classpath:$lib/kotlin-stdlib.jar" \
    org.junit.runner.JUnitCore ru.simo.core.SimoClientTest
