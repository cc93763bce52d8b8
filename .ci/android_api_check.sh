#!/usr/bin/env bash
# Checks that the Android demo's core uses only what the app's minSdk provides.
#
# `javac --release 8` (.ci/java_tests.sh) accepts any Java 8 method, but Android added parts of
# the Java 8 library later: CRC32.update(ByteBuffer) is API 26 and throws NoSuchMethodError on
# Android 7 (API 24). This script reads the compiled classes with `javap -v -p` (their constant
# pools: every class, method and field they reference, and the classes in the referenced
# members' descriptors) and looks up each platform reference (java.*, javax.*, android.*,
# dalvik.*, org.json.*, org.w3c.*, org.xml.*) in android_demo/core/api-levels.txt, a list of the
# members the core uses with the API level each appeared in. It fails on a reference the list
# lacks, on one whose level is above minSdk (read from android_demo/app/build.gradle.kts), and on
# a listed reference at or below minSdk that the core no longer uses (the list stays the core's).
#
# usage: android_api_check.sh CLASS_DIR      check the .class files under CLASS_DIR
#        android_api_check.sh --self-test    compile the core plus a planted class that calls
#                                            CRC32.update(ByteBuffer) (listed, API 26) and
#                                            String.join (API 26, not listed); fails unless the
#                                            check rejects both with their own messages
set -euo pipefail
cd "$(dirname "$0")/.."
LIST=android_demo/core/api-levels.txt
MIN_SDK=$(sed -n 's/^ *minSdk *= *\([0-9]*\).*/\1/p' android_demo/app/build.gradle.kts)
[ -n "$MIN_SDK" ] || { echo "error: no minSdk in android_demo/app/build.gradle.kts" >&2; exit 1; }

# "USER REFERENCE" lines: each platform class or member that a class under $1 references
references() {
  find "$1" -name '*.class' -print0 | sort -z | xargs -0 javap -v -p | awk -v root="${1%/}/" '
    /^Classfile / { user = substr($2, index($2, root) + length(root)); next }
    $2 == "=" && ($3 == "Class" || $3 == "Methodref" || $3 == "InterfaceMethodref" || $3 == "Fieldref") {
      ref = $0; sub(/.*\/\/ */, "", ref); gsub(/"/, "", ref)
      if ($3 == "Class") { sub(/^\[+L?/, "", ref); sub(/;$/, "", ref); if (ref ~ /^[A-Z]$/) next; emit(ref); next }
      owner = ref; sub(/\..*/, "", owner)
      if (owner !~ /^\[/) emit(ref)
      desc = ref; sub(/^[^:]*:/, "", desc)
      while (match(desc, /L[^;]*;/)) { emit(substr(desc, RSTART + 1, RLENGTH - 2)); desc = substr(desc, RSTART + RLENGTH) }
    }
    function emit(r) { if (r ~ /^(java|javax|android|dalvik)\/|^org\/(json|w3c|xml)\//) print user, r }
  ' | sort -u
}

check() { # class dir
  local refs
  refs=$(references "$1")
  awk -v min="$MIN_SDK" -v list="$LIST" '
    BEGIN {
      while ((getline line < list) > 0) {
        if (line ~ /^[ \t]*(#|$)/) continue
        split(line, f, /[ \t]+/); level[f[1]] = f[2]
        if (f[2] !~ /^[0-9]+$/) { print list ": no API level for " f[1]; bad = 1 }
      }
    }
    { used[$2] = 1
      if (!($2 in level)) { print "android api: " $2 " (in " $1 ") is not in " list ": look up the API level it appeared in (developer.android.com reference, \"Added in API level\") and add it"; bad = 1 }
      else if (level[$2] + 0 > min + 0) { print "android api: " $2 " (in " $1 ") is API " level[$2] ", above minSdk " min; bad = 1 }
    }
    END {
      for (r in level) if (!(r in used) && level[r] + 0 <= min + 0) { print "android api: " r " is listed in " list " but no longer used: remove it"; bad = 1 }
      exit bad
    }' <<<"$refs" || return 1
  echo "android api: $(cut -d' ' -f2 <<<"$refs" | sort -u | wc -l) platform classes and members used, all in $LIST at API <= $MIN_SDK"
}

if [ "${1:-}" != "--self-test" ]; then
  [ -d "${1:-}" ] || { echo "usage: $0 CLASS_DIR | --self-test" >&2; exit 2; }
  check "$1"
  exit 0
fi

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$BUILD/src/planted"
cat > "$BUILD/src/planted/Planted.java" <<'JAVA'
package planted;

/** Two API-26 calls that javac --release 8 accepts. */
public final class Planted {
  private Planted() {}

  public static long crc(java.nio.ByteBuffer bytes) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes);
    return crc.getValue();
  }

  public static String joined() {
    return String.join(",", "a", "b");
  }
}
JAVA
mapfile -t MAIN < <(find android_demo/core/src/main/java -name '*.java' | sort)
javac --release 8 -nowarn -cp /usr/share/java/com.android.json.jar -d "$BUILD/classes" \
  "${MAIN[@]}" "$BUILD/src/planted/Planted.java"
if log=$(check "$BUILD/classes" 2>&1); then
  echo "$log" >&2; echo "self-test FAILED: the planted API-26 calls passed the check" >&2; exit 1
fi
for expected in \
  "android api: java/util/zip/CRC32.update:(Ljava/nio/ByteBuffer;)V (in planted/Planted.class) is API 26, above minSdk $MIN_SDK" \
  "android api: java/lang/String.join:(Ljava/lang/CharSequence;[Ljava/lang/CharSequence;)Ljava/lang/String; (in planted/Planted.class) is not in $LIST"; do
  if ! grep -qF "$expected" <<<"$log"; then
    echo "self-test FAILED: expected \"$expected\"; the check said:" >&2; echo "$log" >&2; exit 1
  fi
  echo "self-test: rejected: ${expected#android api: }"
done
if [ "$(grep -c '^android api: ' <<<"$log")" != 2 ]; then
  echo "self-test FAILED: the core's own classes were reported too:" >&2; echo "$log" >&2; exit 1
fi
echo "android api: self-test OK"
