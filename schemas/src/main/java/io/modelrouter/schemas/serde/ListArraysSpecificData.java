package io.modelrouter.schemas.serde;

import java.util.ArrayList;
import java.util.Collection;
import org.apache.avro.Conversion;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;

/**
 * Reads Avro arrays into {@link ArrayList}s instead of {@code GenericData.Array}, whose {@code equals} compares
 * elements without logical-type conversions and fails on records holding timestamps. With plain lists, a record
 * read back equals the record written, in both directions.
 */
final class ListArraysSpecificData extends SpecificData {

  ListArraysSpecificData(ClassLoader classLoader, Collection<Conversion<?>> conversions) {
    super(classLoader);
    conversions.forEach(this::addLogicalTypeConversion);
  }

  static ListArraysSpecificData forClass(Class<?> type) {
    return new ListArraysSpecificData(type.getClassLoader(), SpecificData.getForClass(type).getConversions());
  }

  @Override
  public Object newArray(Object old, int size, Schema schema) {
    if (old instanceof ArrayList<?> list) {
      list.clear();
      return list;
    }
    return new ArrayList<>(size);
  }
}
