package io.wcache.core.error;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failure a future reports, without the wrappers futures put around it
 * ({@link CompletionException}, {@link ExecutionException}): what error tables map and logs name.
 */
public final class FailureCause {

    private FailureCause() {
    }

    /** {@code failure} with every completion or execution wrapper that has a cause removed. */
    public static Throwable of(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
