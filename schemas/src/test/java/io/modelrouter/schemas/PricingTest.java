package io.modelrouter.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.schemas.policy.DefaultPolicies;
import org.junit.jupiter.api.Test;

class PricingTest {
  private final ModelSpec sonnet = DefaultPolicies.catalogById().get("claude-sonnet-4-5");

  @Test
  void costIsMicroDollarsFromPerMillionPrices() {
    // 1,000 input at $3/M = $0.003 = 3,000 micros; 500 output at $15/M = $0.0075 = 7,500 micros
    assertThat(Pricing.costMicros(sonnet, 1_000, 500, 0)).isEqualTo(10_500);
  }

  @Test
  void cachedInputIsBilledAtTheCachePrice() {
    // 1,000 input of which 800 cached: 200 x $3/M + 800 x $0.30/M = 600 + 240 micros
    assertThat(Pricing.costMicros(sonnet, 1_000, 0, 800)).isEqualTo(840);
  }

  @Test
  void roundsHalfUpOncePerCall() {
    ModelSpec cheap = ModelSpec.newBuilder(sonnet).setInputPricePerMTokMicros(1_500_000).build();
    // 1 token at $1.5/M = 1.5 micros -> 2
    assertThat(Pricing.costMicros(cheap, 1, 0, 0)).isEqualTo(2);
  }

  @Test
  void creditsScaleWithTheMultiplier() {
    // 1,000 tokens at 1.3x = 1.3 credits
    assertThat(Pricing.creditsMicros(sonnet, 600, 400)).isEqualTo(1_300_000);
  }

  @Test
  void dollarsForDisplay() {
    assertThat(Pricing.dollars(430_000)).isEqualTo("$0.4300");
  }
}
