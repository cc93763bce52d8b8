#!/usr/bin/env bash
# The Android demo's plain-Java core (android_demo/core): compile it and its JUnit 4 tests with
# javac, check the core's use of the platform against Android's minSdk (.ci/android_api_check.sh),
# and run the tests against the shared vectors in tests/data/android. No Gradle or Android SDK:
# Debian's default-jdk-headless, junit4 and libandroid-json-java (Android's own org.json, which
# the core reads its metadata with; on the phone it is the platform's) are installed with
# apt-get when missing.
# Exits non-zero on any compile error, API-level problem or failed test; JUnit prints
# "OK (N tests)" on success.
# STDC_VECTORS=DIR tests against another copy of the vectors (default: tests/data/android).
# --self-test: the API-level check must also reject a planted API-26 call (run by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

JUNIT=/usr/share/java/junit4.jar
HAMCREST=/usr/share/java/hamcrest-core.jar
ORG_JSON=/usr/share/java/com.android.json.jar
CORE=android_demo/core
VECTORS="${STDC_VECTORS:-$PWD/tests/data/android}"

if ! command -v javac >/dev/null 2>&1 || [ ! -f "$JUNIT" ] || [ ! -f "$ORG_JSON" ]; then
  echo "java tests: installing default-jdk-headless, junit4 and libandroid-json-java with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: javac, $JUNIT or $ORG_JSON missing and not root (no sudo) to install them" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends default-jdk-headless junit4 \
    libandroid-json-java >/dev/null
fi

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
# --release 8: the Java 8 language and class files that Android's D8 takes. It does not stop a
# call to a Java 8 method that Android added later (CRC32.update(ByteBuffer) is API 26):
# android_api_check.sh below does.
JAVAC=(javac --release 8 -encoding UTF-8 -Xlint:all,-options -Werror)
mapfile -t MAIN < <(find "$CORE/src/main/java" -name '*.java' | sort)
mapfile -t TESTS < <(find "$CORE/src/test/java" -name '*.java' | sort)
"${JAVAC[@]}" -cp "$ORG_JSON" -d "$BUILD/main" "${MAIN[@]}"
"${JAVAC[@]}" -cp "$BUILD/main:$ORG_JSON:$JUNIT" -d "$BUILD/test" "${TESTS[@]}"
bash .ci/android_api_check.sh "$BUILD/main"
if [ "${1:-}" = "--self-test" ]; then
  bash .ci/android_api_check.sh --self-test
fi
mapfile -t CLASSES < <(cd "$CORE/src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
java -Dstdc.vectors="$VECTORS" -cp "$BUILD/main:$BUILD/test:$ORG_JSON:$JUNIT:$HAMCREST" \
  org.junit.runner.JUnitCore "${CLASSES[@]}"
