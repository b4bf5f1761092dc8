package io.modelrouter.worker.provider;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkNumber;
import software.amazon.awssdk.core.document.Document;

/** JSON values (as Jackson reads them into maps and lists) to the AWS SDK's {@link Document}, and back. */
final class AwsDocuments {
  private AwsDocuments() {}

  static Document of(Object value) {
    if (value == null) {
      return Document.fromNull();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Document> members = new LinkedHashMap<>();
      map.forEach((k, v) -> members.put(String.valueOf(k), of(v)));
      return Document.fromMap(members);
    }
    if (value instanceof List<?> list) {
      List<Document> items = new ArrayList<>();
      list.forEach(v -> items.add(of(v)));
      return Document.fromList(items);
    }
    if (value instanceof Boolean b) {
      return Document.fromBoolean(b);
    }
    if (value instanceof Number n) {
      return Document.fromNumber(SdkNumber.fromString(n.toString()));
    }
    return Document.fromString(value.toString());
  }

  /** A document as plain Java values Jackson writes: maps, lists, strings, booleans, BigDecimals, null. */
  static Object unwrap(Document document) {
    if (document == null || document.isNull()) {
      return null;
    }
    if (document.isMap()) {
      Map<String, Object> map = new LinkedHashMap<>();
      document.asMap().forEach((k, v) -> map.put(k, unwrap(v)));
      return map;
    }
    if (document.isList()) {
      List<Object> list = new ArrayList<>();
      document.asList().forEach(v -> list.add(unwrap(v)));
      return list;
    }
    if (document.isBoolean()) {
      return document.asBoolean();
    }
    if (document.isNumber()) {
      return new BigDecimal(document.asNumber().stringValue());
    }
    return document.asString();
  }
}
