package io.modelrouter.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  void aBatchCallIsBilledAtTheBatchPriceRoundedOnce() {
    // Sonnet 4.5 through the Message Batches API at half price: 1,000 input at $1.50/M = 1,500 micros, 333 output at
    // $7.50/M = 2,497.5 micros; together 3,997.5, rounded half up once = 3,998 (rounding each part: 1,500 + 2,498)
    assertThat(Pricing.batchCostMicros(sonnet, 1_000, 333, 0, 0, 0)).isEqualTo(3_998);
    // cache reads at half the cache-read price: 800 x $0.15/M + 200 x $1.50/M = 120 + 300
    assertThat(Pricing.batchCostMicros(sonnet, 1_000, 0, 800, 0, 0)).isEqualTo(420);
    // Bedrock's Claude models are at half price too (batch inference): $1.50/M input, $7.50/M output
    ModelSpec bedrock = DefaultPolicies.catalogById().get("bedrock-claude-sonnet-4-5");
    assertThat(Pricing.batchCostMicros(bedrock, 1_000, 333, 0, 0, 0)).isEqualTo(3_998);
    // a model without a batch price (Moonshot's: no batch API) is never billed as a batch call
    ModelSpec kimi = DefaultPolicies.catalogById().get("kimi-k2");
    assertThatThrownBy(() -> Pricing.batchCostMicros(kimi, 1_000, 0, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no batch price");
  }

  @Test
  void cachedInputIsBilledAtTheCachePrice() {
    // 1,000 input of which 800 cached: 200 x $3/M + 800 x $0.30/M = 600 + 240 micros
    assertThat(Pricing.costMicros(sonnet, 1_000, 0, 800)).isEqualTo(840);
  }

  @Test
  void cacheWritesAreBilledAtTheirTtlsWritePrice() {
    // Anthropic's prices for Sonnet 4.5: 5-minute writes $3.75/M (1.25x), 1-hour writes $6/M (2x)
    // 1,000 input: 100 uncached, 400 written for 5 minutes, 500 for an hour = 300 + 1,500 + 3,000 micros
    assertThat(Pricing.costMicros(sonnet, 1_000, 0, 0, 400, 500)).isEqualTo(4_800);
    // saved against every input token at $3/M: 3,000 - 4,800
    assertThat(Pricing.cacheSavedMicros(sonnet, 1_000, 0, 0, 400, 500)).isEqualTo(-1_800);
    assertThat(Pricing.cacheSavedMicros(sonnet, 1_000, 0, 900, 0, 0)).isEqualTo(3_000 - (300 + 270));
  }

  @Test
  void aModelWithoutWritePricesBillsWritesAtItsInputPrice() {
    ModelSpec openAi = DefaultPolicies.catalogById().get("gpt-4.1-mini");
    // $0.40/M input, no write premium: 1,000 written tokens cost what 1,000 input tokens do
    assertThat(Pricing.costMicros(openAi, 1_000, 0, 0, 1_000, 0)).isEqualTo(Pricing.costMicros(openAi, 1_000, 0, 0))
        .isEqualTo(400);
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
