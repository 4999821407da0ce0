package io.wcache.s3.request;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The HTTP preconditions of a request ({@code If-Match}, {@code If-None-Match},
 * {@code If-Modified-Since}, {@code If-Unmodified-Since}, or their {@code x-amz-copy-source-if-*}
 * twins on a copy), evaluated with S3's precedence: a passing {@code If-Match} overrides a failing
 * {@code If-Unmodified-Since}, and a failing {@code If-None-Match} overrides {@code If-Modified-Since}.
 */
public record Conditions(List<String> ifMatch, List<String> ifNoneMatch,
                         Optional<Instant> ifModifiedSince, Optional<Instant> ifUnmodifiedSince) {

    /** No preconditions. */
    public static final Conditions NONE = new Conditions(List.of(), List.of(), Optional.empty(), Optional.empty());

    public Conditions {
        ifMatch = List.copyOf(ifMatch);
        ifNoneMatch = List.copyOf(ifNoneMatch);
    }

    /** The outcome of evaluating preconditions. */
    public enum Outcome {
        /** Serve the request. */
        PROCEED,
        /** {@code 304 Not Modified} (reads only). */
        NOT_MODIFIED,
        /** {@code 412 PreconditionFailed}. */
        PRECONDITION_FAILED
    }

    /** Whether any precondition is present. */
    public boolean isEmpty() {
        return ifMatch.isEmpty() && ifNoneMatch.isEmpty() && ifModifiedSince.isEmpty() && ifUnmodifiedSince.isEmpty();
    }

    /**
     * Evaluates the conditions of a GET or HEAD (or of a copy source) against an existing object.
     *
     * @param etag         the object's ETag, quoted or not
     * @param lastModified the object's last-modified time
     * @param notModifiedAllowed whether a failing {@code If-None-Match}/{@code If-Modified-Since}
     *                     is {@code 304} (GET/HEAD) or {@code 412} (copy source)
     */
    public Outcome evaluateRead(String etag, Instant lastModified, boolean notModifiedAllowed) {
        // HTTP dates have second precision; compare at that precision or every object looks modified.
        Instant lm = lastModified.truncatedTo(ChronoUnit.SECONDS);
        if (!ifMatch.isEmpty()) {
            if (!matchesAny(ifMatch, etag)) {
                return Outcome.PRECONDITION_FAILED;
            }
        } else if (ifUnmodifiedSince.isPresent() && lm.isAfter(ifUnmodifiedSince.get())) {
            return Outcome.PRECONDITION_FAILED;
        }
        Outcome notModified = notModifiedAllowed ? Outcome.NOT_MODIFIED : Outcome.PRECONDITION_FAILED;
        if (!ifNoneMatch.isEmpty()) {
            if (matchesAny(ifNoneMatch, etag)) {
                return notModified;
            }
        } else if (ifModifiedSince.isPresent() && !lm.isAfter(ifModifiedSince.get())) {
            return notModified;
        }
        return Outcome.PROCEED;
    }

    /**
     * Evaluates the conditions of a write (conditional PUT or complete-multipart-upload):
     * {@code If-None-Match: *} requires absence, {@code If-Match} requires a current ETag match.
     *
     * @param currentEtag the ETag of the object now at the key, empty when there is none
     */
    public Outcome evaluateWrite(Optional<String> currentEtag) {
        if (!ifNoneMatch.isEmpty() && currentEtag.isPresent() && matchesAny(ifNoneMatch, currentEtag.get())) {
            return Outcome.PRECONDITION_FAILED;
        }
        if (!ifMatch.isEmpty() && (currentEtag.isEmpty() || !matchesAny(ifMatch, currentEtag.get()))) {
            return Outcome.PRECONDITION_FAILED;
        }
        return Outcome.PROCEED;
    }

    /** Splits a comma-separated entity-tag list header; empty for {@code null}. */
    public static List<String> parseEtagList(String header) {
        if (header == null || header.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(header.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private static boolean matchesAny(List<String> tags, String etag) {
        String bare = unquote(etag);
        for (String t : tags) {
            if (t.equals("*") || unquote(t).equals(bare)) {
                return true;
            }
        }
        return false;
    }

    /** Strips a weak prefix and surrounding quotes from an entity tag. */
    public static String unquote(String tag) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
            t = t.substring(2);
        }
        if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
            t = t.substring(1, t.length() - 1);
        }
        return t;
    }
}
