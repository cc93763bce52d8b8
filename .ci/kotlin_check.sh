#!/usr/bin/env bash
# Type-checks the Android demo's Kotlin app (android_demo/app) without Gradle or the Android SDK.
#
# 1. The Kotlin compiler: npm's `kotlin-compiler` at the app's Kotlin version (the `kotlin` entry
#    of android_demo/gradle/libs.versions.toml), installed once into .ci/.cache (git-ignored;
#    KOTLINC_CACHE=DIR to move it). Needs node/npm and a JDK (17): installed with apt-get when
#    missing, as .ci/java_tests.sh does for the JDK.
# 2. Stub jars from android_demo/typecheck/stubs: java/ (android.* and Guava's ListenableFuture,
#    compiled with javac) and kotlin/ (LiteRT, CameraX, Compose, lifecycle, activity, core,
#    compiled with kotlinc). Each stub file names the real API version its signatures copy.
#    kotlinx.coroutines is the real jar shipped inside the compiler (lib/), not a stub.
# 3. The plain-Java core (android_demo/core/src/main) with javac --release 8, against Android's
#    org.json (Debian's libandroid-json-java, installed with apt-get when missing; part of the
#    platform on the phone, so it is on the app's classpath too).
# 4. Every .kt file of the app with -Werror against 2 + 3.
#
# Compose: the app is compiled WITHOUT the Compose compiler plugin. The stubs declare
# androidx.compose.runtime.Composable as an ordinary annotation, so composable calls are checked
# as plain calls (names, argument types, nullability, scopes such as ColumnScope.weight); rules
# only the plugin enforces (composable called from a non-composable lambda) are not checked. The
# plugin needs the real Compose runtime, which is exactly what this check does without.
#
# --self-test: after the check, plants three mistakes in a temporary copy of the app (a wrong
# argument type, a renamed LiteRT method, a missing import), compiles it with the same stub jars
# and fails unless it is rejected with each mistake's own error at its file.
set -euo pipefail
cd "$(dirname "$0")/.."
SELF_TEST=0
[ "${1:-}" = "--self-test" ] && SELF_TEST=1

DEMO=android_demo
STUBS=$DEMO/typecheck/stubs
VERSION=$(sed -n 's/^kotlin *= *"\(.*\)"/\1/p' $DEMO/gradle/libs.versions.toml)
[ -n "$VERSION" ] || { echo "error: no kotlin version in $DEMO/gradle/libs.versions.toml" >&2; exit 1; }
CACHE="${KOTLINC_CACHE:-$PWD/.ci/.cache}/kotlin-compiler-$VERSION"
KOTLIN_HOME="$CACHE/node_modules/kotlin-compiler"

install_apt() { # packages...
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: need $* and not root (no sudo) to install them" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ORG_JSON=/usr/share/java/com.android.json.jar
if ! command -v javac >/dev/null 2>&1 || [ ! -f "$ORG_JSON" ]; then
  echo "kotlin check: installing default-jdk-headless and libandroid-json-java with apt-get" >&2
  install_apt default-jdk-headless libandroid-json-java
fi
if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "kotlin check: installing nodejs and npm with apt-get" >&2
    install_apt nodejs npm
  fi
  echo "kotlin check: installing kotlin-compiler@$VERSION from npm into $CACHE" >&2
  mkdir -p "$CACHE"
  npm install --prefix "$CACHE" --no-save --no-audit --no-fund --loglevel=error \
    "kotlin-compiler@$VERSION" >/dev/null
fi
KOTLINC=("$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -nowarn)
KOTLINC_STRICT=("$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -Werror -progressive)
COROUTINES="$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
start=$(date +%s)

# stubs: Java (android.*) first, then the Kotlin libraries that extend it
mapfile -t JAVA_STUBS < <(find "$STUBS/java" -name '*.java' | sort)
javac --release 17 -nowarn -d "$BUILD/android" "${JAVA_STUBS[@]}"
(cd "$BUILD/android" && jar cf ../android-stubs.jar .)
mapfile -t KT_STUBS < <(find "$STUBS/kotlin" -name '*.kt' | sort)
if ! log=$("${KOTLINC[@]}" -cp "$BUILD/android-stubs.jar:$COROUTINES" \
    -d "$BUILD/library-stubs.jar" "${KT_STUBS[@]}" 2>&1); then
  echo "$log" >&2; echo "error: the Kotlin stubs do not compile" >&2; exit 1
fi

# the plain-Java core, as the app sees it
mapfile -t CORE < <(find "$DEMO/core/src/main/java" -name '*.java' | sort)
javac --release 8 -nowarn -cp "$ORG_JSON" -d "$BUILD/core" "${CORE[@]}"
CP="$BUILD/android-stubs.jar:$ORG_JSON:$BUILD/library-stubs.jar:$BUILD/core:$COROUTINES"

APP=$DEMO/app/src/main/java
compile_app() { # source dir, output dir: every .kt file, warnings are errors
  local files
  mapfile -t files < <(find "$1" -name '*.kt' | sort)
  "${KOTLINC_STRICT[@]}" -cp "$CP" -d "$2" "${files[@]}"
}

echo "kotlin check: kotlinc $VERSION, $(find "$APP" -name '*.kt' | wc -l) app files against" \
  "${#JAVA_STUBS[@]} Java + ${#KT_STUBS[@]} Kotlin stub files" >&2
compile_app "$APP" "$BUILD/app"
echo "kotlin check: OK ($(( $(date +%s) - start )) s)"

[ "$SELF_TEST" = 1 ] || exit 0

# Plant the three mistakes in one copy of the app and compile it once (kotlinc is slow to start;
# it reports every error of a compile, so each mistake must show up with its own message).
COPY="$BUILD/planted"
cp -r "$APP" "$COPY"
EXPECT=()
plant() { # name, file, sed expression, expected compiler message
  local name=$1 file=$2 edit=$3 before
  before=$(cat "$COPY/$file")
  sed -i "$edit" "$COPY/$file"
  if [ "$before" = "$(cat "$COPY/$file")" ]; then
    echo "self-test: '$name' changed nothing in $file (the sed no longer matches)" >&2; exit 1
  fi
  EXPECT+=("$name|$4")
}
plant wrong-argument-type ai/stdc/demo/Segmenter.kt \
  's/inputs\[0\]\.writeFloat(input\.floats)/inputs[0].writeFloat(input.bytes)/' \
  "Segmenter.kt:.*argument type mismatch: actual type is 'ByteArray!', but 'FloatArray' was expected"
plant renamed-litert-method ai/stdc/demo/Segmenter.kt \
  's/model\.createOutputBuffers()/model.createOutputTensors()/' \
  "Segmenter.kt:.*unresolved reference 'createOutputTensors'"
plant missing-import ai/stdc/demo/view/AppScreen.kt \
  '/^import androidx\.compose\.foundation\.layout\.safeDrawingPadding$/d' \
  "AppScreen.kt:.*unresolved reference 'safeDrawingPadding'"
if log=$(compile_app "$COPY" "$BUILD/planted-out" 2>&1); then
  echo "self-test FAILED: the app with planted mistakes compiled" >&2; exit 1
fi
for e in "${EXPECT[@]}"; do
  name=${e%%|*}
  pattern=${e#*|}
  if ! hit=$(grep -m1 -i "$pattern" <<<"$log"); then
    echo "self-test FAILED: '$name' was not reported; the compiler said:" >&2; echo "$log" >&2; exit 1
  fi
  echo "self-test: '$name' rejected: ${hit##*/planted/}"
done
echo "kotlin check: self-test OK ($(( $(date +%s) - start )) s in all)"
