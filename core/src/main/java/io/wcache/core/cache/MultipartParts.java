package io.wcache.core.cache;

import io.wcache.core.error.WcacheException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules a multipart upload's parts follow, as S3 sets them, in one place: part numbers
 * 1..10000; a completion names uploaded parts, in ascending order, each with the ETag it was
 * given; every part but the last holds at least 5 MiB. The S3 frontend answers a broken rule
 * with S3's error code, the worker refuses it as {@code InvalidArgument}, and the Catalog checks
 * the part numbers and the naming again inside the transaction that stores or assembles them.
 */
public final class MultipartParts {
    /** The highest part number (the lowest is 1). */
    public static final int MAX_PART_NUMBER = 10_000;
    /** The minimum size of every part but the last. */
    public static final long MIN_PART_BYTES = 5L * 1024 * 1024;

    private MultipartParts() {
    }

    /** Which rule a completion breaks. */
    public enum Rule {
        /** Part numbers strictly ascending. */
        ASCENDING,
        /** Every named part was uploaded. */
        UPLOADED,
        /** Every named part carries the ETag it was given. */
        SAME_ETAG,
        /** Every part but the last is at least {@link #MIN_PART_BYTES}. */
        MIN_SIZE
    }

    /** Rule {@code rule} broken by part {@code partNumber}, said as a sentence. */
    public record Violation(Rule rule, int partNumber, String message) {
        /** The worker's refusal of a completion of upload {@code uploadId}. */
        public WcacheException.InvalidArgument toException(String uploadId) {
            return new WcacheException.InvalidArgument(uploadId, message);
        }
    }

    /** Whether {@code partNumber} is within 1..{@value #MAX_PART_NUMBER}. */
    public static boolean validPartNumber(int partNumber) {
        return partNumber >= 1 && partNumber <= MAX_PART_NUMBER;
    }

    /** @throws WcacheException.InvalidArgument when {@code partNumber} is out of 1..{@value #MAX_PART_NUMBER} */
    public static void checkPartNumber(String uploadId, int partNumber) {
        if (!validPartNumber(partNumber)) {
            throw new WcacheException.InvalidArgument(uploadId, "part number " + partNumber
                    + " is out of range 1.." + MAX_PART_NUMBER);
        }
    }

    /**
     * The first naming rule the completion breaks, in the order S3 judges them: ascending
     * numbers, then each named part uploaded with the named ETag (quotes and case ignored).
     * Sizes are not judged here ({@link #sizeViolation}).
     *
     * @param stored the upload's stored parts by number
     */
    public static Optional<Violation> namingViolation(List<PartRef> named, Map<Integer, PartInfo> stored) {
        int previous = 0;
        for (PartRef ref : named) {
            if (ref.partNumber() <= previous) {
                return Optional.of(new Violation(Rule.ASCENDING, ref.partNumber(), "parts must be listed in"
                        + " ascending order; " + ref.partNumber() + " follows " + previous));
            }
            previous = ref.partNumber();
        }
        for (PartRef ref : named) {
            PartInfo p = stored.get(ref.partNumber());
            if (p == null) {
                return Optional.of(new Violation(Rule.UPLOADED, ref.partNumber(), "part " + ref.partNumber()
                        + " was not uploaded"));
            }
            if (!sameEtag(p.etag(), ref.etag())) {
                return Optional.of(new Violation(Rule.SAME_ETAG, ref.partNumber(), "part " + ref.partNumber()
                        + " has ETag " + p.etag() + ", not " + ref.etag()));
            }
        }
        return Optional.empty();
    }

    /**
     * The first part but the last smaller than {@link #MIN_PART_BYTES}; every named part must be
     * stored (check {@link #namingViolation} first).
     */
    public static Optional<Violation> sizeViolation(List<PartRef> named, Map<Integer, PartInfo> stored) {
        for (int i = 0; i < named.size() - 1; i++) {
            int n = named.get(i).partNumber();
            if (stored.get(n).size() < MIN_PART_BYTES) {
                return Optional.of(new Violation(Rule.MIN_SIZE, n, "part " + n + " is smaller than 5 MiB and is not"
                        + " the last part"));
            }
        }
        return Optional.empty();
    }

    /** Whether two ETags name the same part: quotes and hex case do not matter. */
    public static boolean sameEtag(String a, String b) {
        return unquote(a).equalsIgnoreCase(unquote(b));
    }

    private static String unquote(String etag) {
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1) : etag;
    }
}
