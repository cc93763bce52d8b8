package ai.stdc.demo.core;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.json.JSONObject;
import org.junit.Test;

public class ModelCatalogTest {
  @Test
  public void switcherOrderIsFp32Fp16Int8QatThenOthers() throws Exception {
    Vectors v = Vectors.load();
    ModelSpec fp32 = ModelSpec.read(v.bytes("fp32.tflite"));
    List<ModelCatalog.Entry> entries = new ArrayList<>();
    for (String precision : new String[] {"w4a8", "qat", "int8", "fp16", "fp32"}) {
      JSONObject meta = v.json("fp32.json");
      meta.put("precision", precision);
      ModelSpec spec = ModelSpec.of(ModelMetadata.parse(meta.toString()), fp32.input, fp32.output);
      entries.add(new ModelCatalog.Entry("models/m_" + precision + ".tflite", spec));
    }
    List<String> order = new ArrayList<>();
    for (ModelCatalog.Entry e : ModelCatalog.sorted(entries)) {
      order.add(e.spec.metadata.precision);
    }
    assertEquals(Arrays.asList("fp32", "fp16", "int8", "qat", "w4a8"), order);
    assertEquals("fp32 · model · 16x24", ModelCatalog.sorted(entries).get(0).label());
  }
}
