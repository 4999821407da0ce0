package io.wcache.core.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class FailureCauseTest {

    @Test
    void stripsNestedFutureWrappersButNotOtherCauses() {
        WcacheException.NotFound cause = new WcacheException.NotFound("/m/k", "no such key");
        RuntimeException wrapped = new CompletionException(new ExecutionException(new CompletionException(cause)));
        assertThat(FailureCause.of(wrapped)).isSameAs(cause);

        IllegalStateException other = new IllegalStateException("outer", cause);
        assertThat(FailureCause.of(other)).isSameAs(other);

        CompletionException empty = new CompletionException("no cause", null);
        assertThat(FailureCause.of(empty)).isSameAs(empty);
    }
}
