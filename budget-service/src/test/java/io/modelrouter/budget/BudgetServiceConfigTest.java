package io.modelrouter.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BudgetServiceConfigTest {

  @Test
  void readsSettingsFromMrEnvironmentVariables() {
    // Given
    Settings settings = Settings.from(Map.of(
        "MR_BUDGET_ADMIN_TOKEN", "adm1n",
        "MR_BUDGET_TEAM_TOKENS", "alpha=a1,beta=b2",
        "MR_BUDGET_HTTP_PORT", "0",
        "MR_BUDGET_ALERTS_HISTORY", "25",
        "MR_BUDGET_BOOTSTRAP_DEFAULTS", "false"), Map.of());

    // When
    BudgetServiceConfig config = new BudgetServiceConfig(settings);

    // Then
    assertThat(config.adminToken()).isEqualTo("adm1n");
    assertThat(config.teamTokens()).containsExactly(Map.entry("alpha", "a1"), Map.entry("beta", "b2"));
    assertThat(config.port()).isZero();
    assertThat(config.host()).isEqualTo("localhost");
    assertThat(config.alertsHistory()).isEqualTo(25);
    assertThat(config.bootstrapDefaults()).isFalse();
  }

  @Test
  void defaultsApplyWithOnlyTheAdminToken() {
    BudgetServiceConfig config = new BudgetServiceConfig(Settings.of(Map.of("budget.admin.token", "adm1n")));

    assertThat(config.port()).isEqualTo(8080);
    assertThat(config.teamTokens()).isEmpty();
    assertThat(config.alertsHistory()).isEqualTo(1000);
    assertThat(config.bootstrapDefaults()).isTrue();
  }

  @Test
  void missingAdminTokenNamesItsEnvironmentVariable() {
    assertThatThrownBy(() -> new BudgetServiceConfig(Settings.of(Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MR_BUDGET_ADMIN_TOKEN");
  }

  @Test
  void badTeamTokenEntryNamesTheSettingAndTheTeamButNotTheToken() {
    Settings settings = Settings.of(Map.of("budget.admin.token", "adm1n", "budget.team.tokens", "alpha=a1,beta="));

    assertThatThrownBy(() -> new BudgetServiceConfig(settings))
        .hasMessageContaining("budget.team.tokens (MR_BUDGET_TEAM_TOKENS) is invalid")
        .hasMessageContaining("team 'beta'")
        .message().doesNotContain("a1", "adm1n");
  }

  @Test
  void portOutOfRangeSaysWhatWasGiven() {
    Settings settings = Settings.of(Map.of("budget.admin.token", "adm1n", "budget.http.port", "70000"));

    assertThatThrownBy(() -> new BudgetServiceConfig(settings))
        .hasMessage("budget.http.port (MR_BUDGET_HTTP_PORT) must be between 0 and 65535, got 70000");
  }

  @Test
  void alertHistoryBelowOneIsRefused() {
    Settings settings = Settings.of(Map.of("budget.admin.token", "adm1n", "budget.alerts.history", "0"));

    assertThatThrownBy(() -> new BudgetServiceConfig(settings))
        .hasMessage("budget.alerts.history (MR_BUDGET_ALERTS_HISTORY) must be at least 1, got 0");
  }

  @Test
  void resultsHistoryBelowOneAndNegativeLookbackAreRefused() {
    Settings history = Settings.of(Map.of("budget.admin.token", "adm1n", "budget.results.history", "0"));
    Settings lookback = Settings.of(Map.of("budget.admin.token", "adm1n", "budget.results.lookback", "-1"));

    assertThatThrownBy(() -> new BudgetServiceConfig(history))
        .hasMessage("budget.results.history (MR_BUDGET_RESULTS_HISTORY) must be at least 1, got 0");
    assertThatThrownBy(() -> new BudgetServiceConfig(lookback))
        .hasMessage("budget.results.lookback (MR_BUDGET_RESULTS_LOOKBACK) must be at least 0, got -1");
  }

  @Test
  void describedSettingsMaskTheTokens() {
    // Given
    Settings settings = Settings.of(Map.of("budget.admin.token", "adm1n", "budget.team.tokens", "alpha=a1"));

    // When
    String described = String.join("\n", settings.describe(BudgetServiceConfig.allSettings()));

    // Then
    assertThat(described).contains("budget.admin.token = ***", "budget.team.tokens = ***")
        .doesNotContain("adm1n", "a1");
    assertThat(new BudgetServiceConfig(settings).toString()).doesNotContain("adm1n", "=a1");
  }

  @Test
  void allSettingsAreTheCommonOnesAndBudgetServicesOwnAndTheWebhookTemplates() {
    assertThat(BudgetServiceConfig.allSettings())
        .containsAll(CommonSettings.ALL)
        .containsAll(BudgetServiceConfig.SETTINGS)
        .containsAll(BudgetServiceConfig.WEBHOOK_TEMPLATES)
        .hasSize(CommonSettings.ALL.size() + BudgetServiceConfig.SETTINGS.size()
            + BudgetServiceConfig.WEBHOOK_TEMPLATES.size());
  }

  @Test
  void aListedWebhookNeedsAnHttpUrlAndItsSecretIsNeverPrinted() {
    Map<String, String> base = Map.of("budget.admin.token", "adm1n", "alerts.webhooks", "pager");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BudgetServiceConfig(Settings.of(base)))
        .hasMessageContaining("webhook pager is listed in alerts.webhooks but has no URL")
        .hasMessageContaining("MR_ALERTS_WEBHOOK_PAGER_URL");
    Map<String, String> ftp = new java.util.HashMap<>(base);
    ftp.put("alerts.webhook.pager.url", "ftp://example.com/x");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BudgetServiceConfig(Settings.of(ftp)))
        .hasMessageContaining("must be an http(s) URL");
    Map<String, String> ok = new java.util.HashMap<>(base);
    ok.put("alerts.webhook.pager.url", "https://alerts.example.com/hook?token=s3cr3t");
    ok.put("alerts.webhook.pager.secret", "k3y");
    BudgetServiceConfig config = new BudgetServiceConfig(Settings.of(ok));
    assertThat(config.delivery().webhooks().get("pager").toString()).isEqualTo("webhook pager (generic, signed)");
    assertThat(config.toString()).doesNotContain("s3cr3t", "k3y");
  }
}
