package io.wcache.schema.catalog;

import io.wcache.core.error.WcacheException;

/**
 * The outcome of one operation of a batch: its result, or the typed error that refused it. A
 * refused operation wrote nothing; the others of the batch are unaffected.
 */
public sealed interface OpOutcome {

    record Success(Object result) implements OpOutcome {
    }

    record Failure(WcacheException error) implements OpOutcome {
    }

    /** The result cast to its type, or the error rethrown. */
    default <T> T get(Class<T> type) {
        if (this instanceof Failure f) {
            throw f.error();
        }
        return type.cast(((Success) this).result());
    }
}
