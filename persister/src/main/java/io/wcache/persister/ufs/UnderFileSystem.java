package io.wcache.persister.ufs;

import io.wcache.core.error.WcacheException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An under file system: the object store (or directory) that persisted data ends in. Keys are
 * relative to the mount root and follow {@link UfsKeys}; every failure is a {@link WcacheException}
 * naming the UFS URI and key, and {@link WcacheException.Unavailable} means "retry later".
 * Implementations are thread-safe; calls are blocking and bounded by the implementation's timeouts.
 */
public interface UnderFileSystem extends AutoCloseable {

    /** The mount root, e.g. {@code s3://bucket/prefix} or {@code file:///srv/ufs}. */
    URI uri();

    /**
     * Atomically creates or replaces {@code key}: readers see the old object or the new one, never a
     * part. The body is read from {@code source}, which may be opened several times.
     */
    UfsObject put(String key, UploadSource source, PutOptions options);

    /**
     * Opens {@code length} bytes of {@code key} starting at {@code offset}; a negative length reads to
     * the end, a length past the end is clamped. The caller closes the stream.
     *
     * @throws WcacheException.NotFound        if the object does not exist
     * @throws WcacheException.InvalidArgument if {@code offset} is past the end of the object
     */
    InputStream get(String key, long offset, long length);

    /** Opens the whole object. */
    default InputStream get(String key) {
        return get(key, 0, -1);
    }

    /** Describes {@code key}, or empty if it does not exist. */
    Optional<UfsObject> head(String key);

    /**
     * Describes {@code key} as {@link #head} does and reads its first {@code maxBytes} bytes (the
     * whole object when it is no larger), with the rest of the body to go on reading: one request
     * where the UFS can answer both at once, so a small object is read in one round trip and a
     * larger one is read by the same request, one version throughout. The caller closes the result.
     * Empty if the object does not exist.
     */
    default Optional<UfsFetched> fetch(String key, int maxBytes) {
        Optional<UfsObject> head = head(key);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        InputStream in = null;
        try {
            in = get(key, 0, head.get().size());
            byte[] first = in.readNBytes((int) Math.min(head.get().size(), maxBytes));
            return Optional.of(new UfsFetched(head.get(), first, in));
        } catch (WcacheException.NotFound gone) {
            return Optional.empty();
        } catch (IOException e) {
            closeQuietly(in);
            throw new WcacheException.Unavailable(key, "read of " + key + " from " + uri() + " failed: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(in);
            throw e;
        }
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // the read already failed
            }
        }
    }

    /**
     * Lists keys starting with {@code prefix}; with a non-empty {@code delimiter}, keys with the
     * delimiter after the prefix are rolled up into common prefixes. Pages are continued with the
     * previous page's {@link UfsListing#nextContinuation()}.
     */
    default UfsListing list(String prefix, String delimiter, String continuation, int maxKeys) {
        return list(prefix, delimiter, null, continuation, maxKeys);
    }

    /**
     * As {@link #list(String, String, String, int)}, the first page starting after {@code startAfter}
     * (a key, compared as UTF-8 bytes as S3 compares them; null or empty: from the first key), so a
     * caller resuming a listing at a key does not page through the keys before it. A continuation
     * token, when given, wins over {@code startAfter}.
     */
    UfsListing list(String prefix, String delimiter, String startAfter, String continuation, int maxKeys);

    /** Deletes {@code key}; deleting an absent key succeeds. */
    void delete(String key);

    @Override
    void close();

    /**
     * Opens the UFS at {@code uri}: {@code file:///abs/dir} for {@link LocalUnderFileSystem},
     * {@code s3://bucket[/prefix]} for {@link S3UnderFileSystem} with its {@link S3UfsConfig} options.
     * Unknown options are refused, so a misspelt option never silently falls back to a default.
     */
    static UnderFileSystem open(URI uri, Map<String, String> options) {
        if (uri == null || uri.getScheme() == null) {
            throw new WcacheException.InvalidArgument(String.valueOf(uri), "UFS URI needs a scheme (file:// or s3://)");
        }
        return switch (uri.getScheme().toLowerCase(Locale.ROOT)) {
            case "file" -> LocalUnderFileSystem.open(uri, options);
            case "s3" -> S3UnderFileSystem.open(uri, options);
            default -> throw new WcacheException.InvalidArgument(uri.toString(),
                    "unsupported UFS scheme '" + uri.getScheme() + "'; use file:// or s3://");
        };
    }
}
