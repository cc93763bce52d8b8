// The STDC segmentation demo: a plain-Java core (tested on any JVM, no Android) and the app.
pluginManagement {
  repositories {
    google {
      content {
        includeGroupByRegex("com\\.android.*")
        includeGroupByRegex("com\\.google.*")
        includeGroupByRegex("androidx.*")
      }
    }
    mavenCentral()
    gradlePluginPortal()
  }
}

dependencyResolutionManagement {
  repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
  repositories {
    google() // com.google.ai.edge.litert:* is on Google Maven only
    mavenCentral()
  }
}

rootProject.name = "STDC Segmentation"

include(":core")
include(":app")
