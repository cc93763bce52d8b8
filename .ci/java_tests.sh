#!/usr/bin/env bash
# The Android demo's plain-Java core (android_demo/core): compile it and its JUnit 4 tests with
# javac and run them against the shared vectors in tests/data/android. No Gradle or Android SDK:
# Debian's default-jdk-headless and junit4 are installed with apt-get when missing.
# Exits non-zero on any compile error or failed test; JUnit prints "OK (N tests)" on success.
# STDC_VECTORS=DIR tests against another copy of the vectors (default: tests/data/android).
set -euo pipefail
cd "$(dirname "$0")/.."

JUNIT=/usr/share/java/junit4.jar
HAMCREST=/usr/share/java/hamcrest-core.jar
CORE=android_demo/core
VECTORS="${STDC_VECTORS:-$PWD/tests/data/android}"

if ! command -v javac >/dev/null 2>&1 || [ ! -f "$JUNIT" ]; then
  echo "java tests: installing default-jdk-headless and junit4 with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: javac or $JUNIT missing and not root (no sudo) to install them" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends default-jdk-headless junit4 >/dev/null
fi

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
# --release 8: only the Java 8 library, which Android (minSdk 24) provides.
JAVAC=(javac --release 8 -encoding UTF-8 -Xlint:all,-options -Werror)
mapfile -t MAIN < <(find "$CORE/src/main/java" -name '*.java' | sort)
mapfile -t TESTS < <(find "$CORE/src/test/java" -name '*.java' | sort)
"${JAVAC[@]}" -d "$BUILD/main" "${MAIN[@]}"
"${JAVAC[@]}" -cp "$BUILD/main:$JUNIT" -d "$BUILD/test" "${TESTS[@]}"
mapfile -t CLASSES < <(cd "$CORE/src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
java -Dstdc.vectors="$VECTORS" -cp "$BUILD/main:$BUILD/test:$JUNIT:$HAMCREST" \
  org.junit.runner.JUnitCore "${CLASSES[@]}"
