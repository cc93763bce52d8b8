// Plain Java, no Android: metadata reading, preprocessing, argmax, colours, timing.
// The same sources are compiled with javac and tested by .ci/java_tests.sh (no Gradle needed).
plugins {
  `java-library`
}

tasks.withType<JavaCompile>().configureEach {
  // Java 8 class files for D8. Not a check of what Android 24 provides: Android added parts of
  // the Java 8 library later (CRC32.update(ByteBuffer) is API 26); .ci/android_api_check.sh
  // checks the core's platform calls against core/api-levels.txt.
  options.release.set(8)
  options.encoding = "UTF-8"
}

dependencies {
  // org.json is part of Android (the platform's copy is used on the phone); the JVM compile and
  // tests use a build of Android's own implementation (.ci/java_tests.sh: Debian's
  // libandroid-json-java, the same AOSP sources)
  compileOnly(libs.android.json)
  testImplementation(libs.android.json)
  testImplementation(libs.junit)
}

tasks.test {
  // the vectors shared with the Python side (tests/android_vectors.py)
  systemProperty("stdc.vectors", rootDir.resolve("../tests/data/android").absolutePath)
}
