// Plain Java, no Android: metadata reading, preprocessing, argmax, colours, timing.
// The same sources are compiled with javac and tested by .ci/java_tests.sh (no Gradle needed).
plugins {
  `java-library`
}

tasks.withType<JavaCompile>().configureEach {
  options.release.set(8) // the Java 8 library, which Android (minSdk 24) provides
  options.encoding = "UTF-8"
}

dependencies {
  testImplementation(libs.junit)
}

tasks.test {
  // the vectors shared with the Python side (tests/android_vectors.py)
  systemProperty("stdc.vectors", rootDir.resolve("../tests/data/android").absolutePath)
}
