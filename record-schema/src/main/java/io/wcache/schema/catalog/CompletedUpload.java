package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import java.time.Instant;
import java.util.List;

/**
 * A multipart upload that was completed, kept for a while (the orphan timeout) so that a retried
 * completion naming the same parts is answered as the first one was: the path, the file id of
 * the version it created, its ETag and size, and the part list it was completed with.
 */
public record CompletedUpload(String uploadId, NamespacePath path, long fileId, String etag, long size,
                              List<CompletedPart> parts, Instant completedTime) {
    public CompletedUpload {
        parts = List.copyOf(parts);
    }

    /** Whether {@code named} is the part list this upload was completed with (ETags compared without quotes). */
    public boolean completedWith(List<CompletedPart> named) {
        if (named.size() != parts.size()) {
            return false;
        }
        for (int i = 0; i < parts.size(); i++) {
            CompletedPart a = parts.get(i);
            CompletedPart b = named.get(i);
            if (a.partNumber() != b.partNumber() || !strip(a.etag()).equalsIgnoreCase(strip(b.etag()))) {
                return false;
            }
        }
        return true;
    }

    private static String strip(String etag) {
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1)
                : etag;
    }
}
