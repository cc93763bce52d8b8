package ai.stdc.demo.core;

import java.util.Locale;

/**
 * Whether a vendor NPU runtime is packaged in the app. LiteRT's {@code BuiltinNpuAcceleratorProvider}
 * reports its library as always ready, so the app looks for the files itself: a JIT-compiled
 * model needs both the vendor's dispatch library ({@code libLiteRtDispatch_<Vendor>.so}) and its
 * compiler plugin ({@code libLiteRtCompilerPlugin_<Vendor>.so}) in the native library folder.
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
