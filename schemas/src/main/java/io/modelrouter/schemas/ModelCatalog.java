package io.modelrouter.schemas;

import io.modelrouter.avro.ModelSpec;
import java.util.Map;

/** Looks models up by catalog id. */
@FunctionalInterface
public interface ModelCatalog {
  /** The model, or null when the catalog has no such id. */
  ModelSpec get(String id);

  static ModelCatalog of(Map<String, ModelSpec> models) {
    return models::get;
  }
}
