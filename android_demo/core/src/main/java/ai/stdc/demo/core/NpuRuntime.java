package ai.stdc.demo.core;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Whether a vendor NPU runtime is packaged in the app. LiteRT's {@code BuiltinNpuAcceleratorProvider}
 * reports its library as always ready, so the app looks for the files itself: a JIT-compiled
 * model needs both the vendor's dispatch library ({@code libLiteRtDispatch_<Vendor>.so}) and its
 * compiler plugin ({@code libLiteRtCompilerPlugin_<Vendor>.so}) in the native library folder.
 * A packaged runtime only helps on its vendor's chips: {@link #socProblem} matches it to the
 * phone's SoC as LiteRT's per-vendor {@code NpuCompatibilityChecker}s do.
 */
public final class NpuRuntime {
  static final String DISPATCH = "libLiteRtDispatch_";
  static final String PLUGIN = "libLiteRtCompilerPlugin_";

  /** The vendor as the dispatch file names it (e.g. "Qualcomm"), or null when none is usable. */
  public final String vendor;
  /** Why the NPU is not offered (null when {@link #vendor} is set). */
  public final String problem;

  private NpuRuntime(String vendor, String problem) {
    this.vendor = vendor;
    this.problem = problem;
  }

  /** Looks through the file names of the app's native library folder (null: folder unreadable). */
  public static NpuRuntime find(String[] fileNames) {
    if (fileNames == null) {
      return new NpuRuntime(null, "the native library folder cannot be read");
    }
    String dispatchOnly = null;
    for (String name : fileNames) {
      String vendor = vendorOf(name, DISPATCH);
      if (vendor == null) {
        continue;
      }
      for (String other : fileNames) {
        String plugin = vendorOf(other, PLUGIN);
        if (plugin != null && key(plugin).equals(key(vendor))) {
          return new NpuRuntime(vendor, null);
        }
      }
      dispatchOnly = vendor;
    }
    if (dispatchOnly != null) {
      return new NpuRuntime(null, dispatchOnly + " dispatch library without its compiler plugin ("
          + PLUGIN + dispatchOnly + ".so)");
    }
    return new NpuRuntime(null, "no vendor NPU runtime packaged (" + DISPATCH + "*.so)");
  }

  /** The SoCs each vendor's LiteRT NPU runtime supports (LiteRT's NpuCompatibilityChecker). */
  private enum SocList {
    QUALCOMM("qualcomm", 31, Arrays.asList("QTI", "Qualcomm"),
        Arrays.asList("SM8550", "SM8650", "SM8750", "SM8850")),
    MEDIATEK("mediatek", 31, Arrays.asList("Mediatek"), Arrays.asList("MT6877", "MT6878",
        "MT6879", "MT6893", "MT6897", "MT6983", "MT6985", "MT6989", "MT6991", "MT6993")),
    GOOGLE_TENSOR("googletensor", 36, Arrays.asList("Google"),
        Arrays.asList("Tensor G3", "Tensor G4", "Tensor G5", "Tensor G6"));

    final String vendorKey;
    final int minSdk;
    final List<String> manufacturers;
    final List<String> models;

    SocList(String vendorKey, int minSdk, List<String> manufacturers, List<String> models) {
      this.vendorKey = vendorKey;
      this.minSdk = minSdk;
      this.manufacturers = manufacturers;
      this.models = models;
    }
  }

  /**
   * Why the packaged runtime cannot run on this phone, or null when it can: the phone's SoC
   * ({@code Build.SOC_MANUFACTURER}/{@code SOC_MODEL}, API 31; pass nulls below it) must be one
   * its vendor's LiteRT runtime supports. LiteRT would otherwise list the NPU, fail to compile
   * for it, and run every op on the CPU under an "NPU" label.
   */
  public String socProblem(int sdk, String socManufacturer, String socModel, String buildId) {
    if (vendor == null) {
      return problem;
    }
    for (SocList list : SocList.values()) {
      if (!list.vendorKey.equals(key(vendor))) {
        continue;
      }
      if (sdk < list.minSdk) {
        return "the " + vendor + " NPU runtime needs Android API " + list.minSdk + " (this is "
            + sdk + ")";
      }
      String model = list == SocList.MEDIATEK && socModel != null && socModel.endsWith("(ENG)")
          ? socModel.substring(0, socModel.length() - "(ENG)".length()) : socModel;
      boolean known = list.manufacturers.contains(socManufacturer) && list.models.contains(model);
      if (!known || (list == SocList.GOOGLE_TENSOR && buildId != null
          && buildId.startsWith("BP2A"))) { // the one Android 16 build without Tensor NPU support
        return "the " + vendor + " NPU runtime does not support this SoC (" + socManufacturer
            + " " + socModel + (known ? ", build " + buildId : "") + ")";
      }
      return null;
    }
    return "LiteRT supports no NPU of vendor " + vendor;
  }

  private static String vendorOf(String fileName, String prefix) {
    if (!fileName.startsWith(prefix) || !fileName.endsWith(".so")) {
      return null;
    }
    String vendor = fileName.substring(prefix.length(), fileName.length() - 3);
    return vendor.isEmpty() ? null : vendor;
  }

  /** Vendors are spelled differently across files ("GoogleTensor" / "google_tensor"). */
  private static String key(String vendor) {
    return vendor.replace("_", "").toLowerCase(Locale.ROOT);
  }
}
