package io.modelrouter.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AvroSerdeConfigTest {

  @Test
  void requiresARegistryUrl() {
    assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema.registry.url is required");
  }

  @Test
  void namesTheBadUrlWithoutItsPassword() {
    assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of("schema.registry.url", "ftp://user:secret@host")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ftp://***@host")
        .hasMessageNotContaining("secret");
  }

  @Test
  void rejectsBooleansThatAreNotBooleans() {
    assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of("schema.registry.url", "http://h:8081",
        "auto.register.schemas", "yes")))
        .hasMessageContaining("auto.register.schemas must be true or false, got 'yes'");
  }

  @Test
  void defaultsAreConfluents() {
    AvroSerdeConfig config = AvroSerdeConfig.forUrl("http://a:8081,http://b:8081");
    assertThat(config.urls()).hasSize(2);
    assertThat(config.autoRegister()).isTrue();
    assertThat(config.useLatestVersion()).isFalse();
    assertThat(config.specificReader()).isFalse();
    assertThat(config.hasAuthorization()).isFalse();
  }

  @Test
  void basicAuthFromUserInfoIsUsedButNeverPrinted() {
    AvroSerdeConfig config = AvroSerdeConfig.from(Map.of("schema.registry.url", "http://h:8081",
        "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "svc:s3cret"));
    assertThat(config.hasAuthorization()).isTrue();
    assertThat(config.toString()).doesNotContain("s3cret").contains("auth=***");
  }

  @Test
  void basicAuthFromTheUrlIsUsedButNeverPrinted() {
    AvroSerdeConfig config = AvroSerdeConfig.forUrl("http://svc:s3cret@h:8081");
    assertThat(config.hasAuthorization()).isTrue();
    assertThat(config.toString()).doesNotContain("s3cret");
  }

  @Test
  void userInfoSourceNeedsUserInfo() {
    assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of("schema.registry.url", "http://h:8081",
        "basic.auth.credentials.source", "USER_INFO")))
        .hasMessageContaining("basic.auth.user.info must be 'user:password'");
  }

  @Test
  void bearerTokenIsUsedButNeverPrinted() {
    AvroSerdeConfig config = AvroSerdeConfig.from(Map.of("schema.registry.url", "http://h:8081",
        "bearer.auth.credentials.source", "STATIC_TOKEN", "bearer.auth.token", "tok-123"));
    assertThat(config.hasAuthorization()).isTrue();
    assertThat(config.toString()).doesNotContain("tok-123");
  }

  @Test
  void unsupportedBearerSourceIsNamed() {
    assertThatThrownBy(() -> AvroSerdeConfig.from(Map.of("schema.registry.url", "http://h:8081",
        "bearer.auth.credentials.source", "OAUTHBEARER")))
        .hasMessageContaining("STATIC_TOKEN only, got 'OAUTHBEARER'");
  }
}
