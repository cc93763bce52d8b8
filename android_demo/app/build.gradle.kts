import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
  alias(libs.plugins.android.application)
  alias(libs.plugins.jetbrains.kotlin.android)
  alias(libs.plugins.compose.compiler)
}

android {
  namespace = "ai.stdc.demo"
  compileSdk = 36

  defaultConfig {
    applicationId = "ai.stdc.demo"
    minSdk = 24
    targetSdk = 35
    versionCode = 1
    versionName = "0.1.0"
    // LiteRT's native libraries; NPU vendor runtimes are arm64-only
    ndk {
      abiFilters.add("arm64-v8a")
      abiFilters.add("armeabi-v7a")
    }
  }

  buildTypes {
    release {
      isMinifyEnabled = false
      proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
    }
  }
  compileOptions {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
  }
  buildFeatures { compose = true }
  // models stay uncompressed: the app memory-maps them (AssetManager.openFd needs that) to read
  // their metadata, and LiteRT's loader copies them from the mapped asset once per model switch
  androidResources { noCompress += "tflite" }
  packaging {
    resources { excludes += "/META-INF/{AL2.0,LGPL2.1}" }
    // native libraries extracted to nativeLibraryDir: where LiteRT loads an NPU vendor runtime
    // from, and where the app looks for one before offering the NPU (README, "NPU")
    jniLibs { useLegacyPackaging = true }
  }
}

// Fails the build in one line when no model is bundled (-PallowNoModel builds anyway; the app
// then says on screen that it has none).
val checkModelAsset by tasks.registering {
  val modelDir = file("src/main/assets/models") // plain values: the action keeps no script reference
  val allowNoModel = providers.gradleProperty("allowNoModel").isPresent
  doLast {
    val models = modelDir.listFiles { f -> f.name.endsWith(".tflite") }.orEmpty()
    if (models.isEmpty() && !allowNoModel) {
      throw GradleException("no .tflite in app/src/main/assets/models: convert one with " +
        "convert/to_tflite.py (android_demo/README.md, \"Your own model\") or pass -PallowNoModel")
    }
  }
}
tasks.named("preBuild") { dependsOn(checkModelAsset) }

kotlin {
  compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

dependencies {
  implementation(project(":core"))

  implementation(libs.litert)
  implementation(libs.litert.gpu)

  implementation(libs.androidx.core.ktx)
  implementation(libs.androidx.lifecycle.runtime.ktx)
  implementation(libs.androidx.lifecycle.runtime.compose)
  implementation(libs.androidx.lifecycle.viewmodel.compose)
  implementation(libs.androidx.activity.compose)
  implementation(platform(libs.androidx.compose.bom))
  implementation(libs.androidx.ui)
  implementation(libs.androidx.ui.graphics)
  implementation(libs.androidx.ui.tooling.preview)
  implementation(libs.androidx.material3)
  implementation(libs.androidx.camera.core)
  implementation(libs.androidx.camera.camera2)
  implementation(libs.androidx.camera.lifecycle)
  implementation(libs.androidx.camera.view)
  implementation(libs.kotlinx.coroutines.android)

  debugImplementation(libs.androidx.ui.tooling)
}
