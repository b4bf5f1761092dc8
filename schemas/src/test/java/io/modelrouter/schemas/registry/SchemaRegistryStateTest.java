package io.modelrouter.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class SchemaRegistryStateTest {

  private static final Schema V1 = schema("{\"type\":\"record\",\"name\":\"Widget\",\"fields\":["
      + "{\"name\":\"name\",\"type\":\"string\"}]}");
  private static final Schema V2_WITH_DEFAULT = schema("{\"type\":\"record\",\"name\":\"Widget\",\"fields\":["
      + "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"color\",\"type\":\"string\",\"default\":\"blue\"}]}");
  private static final Schema V2_WITHOUT_DEFAULT = schema("{\"type\":\"record\",\"name\":\"Widget\",\"fields\":["
      + "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"size\",\"type\":\"int\"}]}");

  private final InMemorySchemaRegistryClient client = new InMemorySchemaRegistryClient();

  @Test
  void registeringTheSameSchemaTwiceReturnsTheSameIdAndVersion() {
    int first = client.register("widgets-value", V1);
    int second = client.register("widgets-value", schema(V1.toString(true)));
    assertThat(second).isEqualTo(first);
    assertThat(client.state().versions("widgets-value", false)).containsExactly(1);
  }

  @Test
  void theSameSchemaUnderTwoSubjectsSharesOneId() {
    int a = client.register("a-value", V1);
    int b = client.register("b-value", V1);
    assertThat(b).isEqualTo(a);
    assertThat(client.lookup("b-value", V1).version()).isEqualTo(1);
  }

  @Test
  void aBackwardCompatibleSchemaBecomesTheNextVersionWithANewId() {
    int v1 = client.register("widgets-value", V1);
    int v2 = client.register("widgets-value", V2_WITH_DEFAULT);
    assertThat(v2).isNotEqualTo(v1);
    RegisteredSchema latest = client.latest("widgets-value");
    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.id()).isEqualTo(v2);
  }

  @Test
  void aNewRequiredFieldIsRefusedWith409UnderBackward() {
    client.register("widgets-value", V1);
    assertThatThrownBy(() -> client.register("widgets-value", V2_WITHOUT_DEFAULT))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(409);
          assertThat(e.errorCode()).isEqualTo(409);
          assertThat(e.getMessage()).contains("incompatible").contains("size");
        });
  }

  @Test
  void levelNoneAcceptsAnything() {
    client.register("widgets-value", V1);
    client.state().apply(new RegistryEvent.Config("widgets-value", CompatibilityLevel.NONE));
    assertThat(client.register("widgets-value", V2_WITHOUT_DEFAULT)).isPositive();
  }

  @Test
  void forwardChecksThatTheOldSchemaReadsTheNewOne() {
    client.state().apply(new RegistryEvent.Config(null, CompatibilityLevel.FORWARD));
    client.register("widgets-value", V2_WITH_DEFAULT);
    // Removing a field that has a default is forward compatible (old readers fill the default) ...
    assertThat(client.register("widgets-value", V1)).isPositive();
  }

  @Test
  void transitiveLevelsCheckEveryLiveVersion() {
    Schema onlyColor = schema("{\"type\":\"record\",\"name\":\"Widget\",\"fields\":["
        + "{\"name\":\"color\",\"type\":\"string\",\"default\":\"blue\"}]}");
    client.state().apply(new RegistryEvent.Config("w", CompatibilityLevel.FORWARD_TRANSITIVE));
    client.register("w", V1);
    client.register("w", V2_WITH_DEFAULT);
    // v1 (name, no default) cannot read a record that lacks name: refused only because v1 is checked too
    assertThatThrownBy(() -> client.register("w", onlyColor)).isInstanceOf(SchemaRegistryException.class);
    assertThat(client.state().checkedVersions("w", CompatibilityLevel.FORWARD)).containsExactly(2);
  }

  @Test
  void unknownThingsAre404WithConfluentErrorCodes() {
    assertThatThrownBy(() -> client.schemaById(99))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    assertThatThrownBy(() -> client.latest("nope-value"))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    client.register("widgets-value", V1);
    assertThatThrownBy(() -> client.lookup("widgets-value", V2_WITH_DEFAULT))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
  }

  @Test
  void softDeletedVersionsAreHiddenAndTheirNumbersNotReused() {
    SchemaRegistryState state = client.state();
    client.register("widgets-value", V1);
    state.planSoftDelete("widgets-value").forEach(state::apply);
    assertThat(state.hasSubject("widgets-value", false)).isFalse();
    assertThat(state.versions("widgets-value", true)).containsExactly(1);
    client.register("widgets-value", V1);
    assertThat(state.versions("widgets-value", false)).containsExactly(2);
  }

  @Test
  void invalidSchemaTextIs42201() {
    assertThatThrownBy(() -> SchemaRegistryState.parse("{\"type\":\"nonsense\"}"))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42201));
  }

  private static Schema schema(String json) {
    return new Schema.Parser().parse(json);
  }
}
