package io.wcache.schema.catalog;

/** Whether a file version is a write session still being written or the committed version of its path. */
public enum FileState {
    WRITING,
    COMMITTED
}
