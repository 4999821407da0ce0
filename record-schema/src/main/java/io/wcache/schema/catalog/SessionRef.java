package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import java.util.Objects;

/** Identifies a write session: the path it writes and its unique file id. */
public record SessionRef(NamespacePath path, long fileId) {
    public SessionRef {
        Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
        return path + "#" + fileId;
    }
}
