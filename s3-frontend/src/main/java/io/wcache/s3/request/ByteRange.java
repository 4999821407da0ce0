package io.wcache.s3.request;

import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Optional;

/**
 * A single HTTP byte range as S3 accepts it ({@code bytes=a-b}, {@code bytes=a-},
 * {@code bytes=-n}). It is parsed without knowing the object length and {@link #resolve resolved}
 * against it later, which is where an unsatisfiable range becomes {@code 416 InvalidRange}.
 */
public sealed interface ByteRange {

    /** {@code bytes=first-last}, both inclusive; {@code last} beyond the end is clamped. */
    record Closed(long first, long last) implements ByteRange {
        public Closed {
            if (first < 0 || last < first) {
                throw new IllegalArgumentException("bad range " + first + "-" + last);
            }
        }
    }

    /** {@code bytes=first-}: from {@code first} to the end. */
    record From(long first) implements ByteRange {
        public From {
            if (first < 0) {
                throw new IllegalArgumentException("bad range " + first + "-");
            }
        }
    }

    /** {@code bytes=-length}: the last {@code length} bytes. */
    record Suffix(long length) implements ByteRange {
        public Suffix {
            if (length < 0) {
                throw new IllegalArgumentException("bad suffix " + length);
            }
        }
    }

    /** The satisfiable byte span of an object: {@code [start, start + length)}. */
    record Span(long start, long length) {
        /** The inclusive last byte, for {@code Content-Range}. */
        public long last() {
            return start + length - 1;
        }

        /** The {@code Content-Range} header value for an object of {@code total} bytes. */
        public String contentRange(long total) {
            return "bytes " + start + "-" + last() + "/" + total;
        }
    }

    /**
     * The span this range selects in an object of {@code objectLength} bytes.
     *
     * @throws S3Exception {@code InvalidRange} (416) when the range selects nothing
     */
    default Span resolve(long objectLength) {
        Span span = null;
        if (this instanceof Closed c) {
            if (c.first() < objectLength) {
                span = new Span(c.first(), Math.min(c.last(), objectLength - 1) - c.first() + 1);
            }
        } else if (this instanceof From f) {
            if (f.first() < objectLength) {
                span = new Span(f.first(), objectLength - f.first());
            }
        } else if (this instanceof Suffix s) {
            if (s.length() > 0 && objectLength > 0) {
                long n = Math.min(s.length(), objectLength);
                span = new Span(objectLength - n, n);
            }
        }
        if (span == null) {
            throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_RANGE,
                    "The requested range is not satisfiable", null));
        }
        return span;
    }

    /**
     * Parses a {@code Range} header. Like S3 (and RFC 9110), a syntactically invalid or
     * multi-range header is ignored and the whole object is served, so this returns empty.
     */
    static Optional<ByteRange> parseHeader(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim();
        if (!v.regionMatches(true, 0, "bytes=", 0, 6)) {
            return Optional.empty();
        }
        String spec = v.substring(6).trim();
        if (spec.indexOf(',') >= 0) {
            return Optional.empty();
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        Long first = a.isEmpty() ? null : parseDigits(a);
        Long last = b.isEmpty() ? null : parseDigits(b);
        if ((!a.isEmpty() && first == null) || (!b.isEmpty() && last == null)) {
            return Optional.empty();
        }
        if (first == null && last == null) {
            return Optional.empty();
        }
        if (first == null) {
            return Optional.of(new Suffix(last));
        }
        if (last == null) {
            return Optional.of(new From(first));
        }
        return last >= first ? Optional.of(new Closed(first, last)) : Optional.empty();
    }

    /**
     * Parses {@code x-amz-copy-source-range}, which S3 requires in the strict form
     * {@code bytes=first-last}.
     *
     * @throws S3Exception {@code InvalidArgument} otherwise
     */
    static ByteRange.Closed parseCopySourceRange(String value) {
        Optional<ByteRange> r = parseHeader(value);
        if (r.isPresent() && r.get() instanceof Closed c) {
            return c;
        }
        throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last"
                        + " are the zero-based offsets of the first and last bytes to copy");
    }

    private static Long parseDigits(String s) {
        if (s.length() > 18) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        return Long.parseLong(s);
    }
}
