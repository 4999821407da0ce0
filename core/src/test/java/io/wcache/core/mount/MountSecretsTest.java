package io.wcache.core.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Secret mount options and credentials never appear in what a mount prints or returns. */
class MountSecretsTest {

    @Test
    void toStringAndMaskedOptionsHideSecretValues() {
        Mount m = Mount.of("/s3", "s3://bucket/p", Map.of("access.key", "AKIA1", "secret.key", "s3cr3t-value",
                "ufs.s3.session.token", "tok-value", "region", "eu-west-1"));
        assertThat(m.toString()).contains("access.key=AKIA1", "secret.key=***", "region=eu-west-1")
                .doesNotContain("s3cr3t-value", "tok-value");
        assertThat(m.maskedOptions()).containsEntry("secret.key", "***").containsEntry("ufs.s3.session.token", "***")
                .containsEntry("access.key", "AKIA1");
        // The real value stays for the UFS that needs it.
        assertThat(m.options()).containsEntry("secret.key", "s3cr3t-value");
        assertThat(MountTable.of(List.of(m)).toString()).doesNotContain("s3cr3t-value");
    }

    @Test
    void credentialsInTheUriAreRefusedWithoutEchoingThem() {
        assertThatThrownBy(() -> Mount.of("/s3", "s3://AKIA1:hunter2@bucket/p", Map.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("credentials in the URI")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> Mount.of("/s3", "s3://AKIA1:hun ter2@bucket/p", Map.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageNotContaining("hun ter2");
        assertThatThrownBy(() -> WcacheConfig.fromYaml("mounts:\n  - path: /s3\n    ufs: s3://AKIA1:hunter2@bucket\n",
                "f.yaml", List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void theConfigsPrintedFormsHideSecrets() {
        WcacheConfig c = WcacheConfig.fromYaml("admin.token: admintok-123\n"
                + "s3.credentials: [{accessKey: k, secretKey: frontsecret-9}]\n"
                + "mounts:\n  - path: /s3\n    ufs: s3://bucket\n    options: {secret.key: mountsecret-7}\n", "f.yaml", List.of());
        assertThat(c.effectiveValues().get("admin.token")).isEqualTo("***");
        assertThat(c.toString()).doesNotContain("admintok-123", "frontsecret-9", "mountsecret-7");
        assertThat(WcacheConfig.defaults().effectiveValues().get("admin.token")).isEmpty();
        // withMounts keeps the real values (WorkerMain adds the default mount this way).
        WcacheConfig other = c.withMounts(MountTable.empty());
        assertThat(other.get(io.wcache.core.config.ConfigKeys.ADMIN_TOKEN)).isEqualTo("admintok-123");
        assertThat(other.mounts().mounts()).isEmpty();
    }
}
