package io.wcache.persister.ufs;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.nio.charset.StandardCharsets;

/**
 * The key rules shared by every UFS. A key is relative to the mount root and is never normalised:
 * {@code a//b}, {@code ./a}, {@code a/../b} and {@code /a} are refused rather than rewritten,
 * because two spellings of one object would break per-path ordering above this layer. One
 * trailing {@code /} is allowed: {@code a/} is a folder marker, an object of its own.
 */
public final class UfsKeys {

    /** S3's limit on the UTF-8 length of a key, applied everywhere so both UFS kinds agree. */
    public static final int MAX_KEY_BYTES = 1024;

    private UfsKeys() {
    }

    /**
     * Checks an object key: non-empty, at most 1024 UTF-8 bytes, no leading {@code /}, no empty,
     * {@code .} or {@code ..} segment, no NUL and no unpaired surrogate. A folder marker
     * ({@code a/b/}: valid segments and one trailing {@code /}) is a valid key.
     *
     * @throws WcacheException.InvalidPath naming {@code subjectPrefix + key}
     */
    public static void requireValidKey(String subjectPrefix, String key) {
        if (key == null || key.isEmpty()) {
            throw invalid(subjectPrefix, key, "key is empty");
        }
        requireCharacters(subjectPrefix, key);
        if (key.startsWith("/")) {
            throw invalid(subjectPrefix, key, "key must be relative to the mount root (no leading '/')");
        }
        String body = isFolderMarker(key) ? key.substring(0, key.length() - 1) : key;
        for (String segment : body.split("/", -1)) {
            requireSegment(subjectPrefix, key, segment);
        }
    }

    /** Whether {@code key} names a folder marker: it ends with one {@code /} after a non-empty segment. */
    public static boolean isFolderMarker(String key) {
        return key.length() >= 2 && key.endsWith("/") && key.charAt(key.length() - 2) != '/';
    }

    /**
     * Whether some valid key can start with {@code prefix}: false for a prefix with a leading
     * {@code /}, an empty, {@code .} or {@code ..} segment before its last {@code /}, a NUL or an
     * unpaired surrogate. A listing of such a prefix is empty, not an error.
     */
    public static boolean canPrefixValidKeys(String prefix) {
        try {
            requireValidPrefix("", prefix);
            return true;
        } catch (WcacheException.InvalidPath e) {
            return false;
        }
    }

    /**
     * Checks a listing prefix: empty, or made of valid segments where the last one may be partial
     * ({@code a/b} lists {@code a/b...}) or empty ({@code a/b/} lists inside {@code a/b}).
     */
    public static void requireValidPrefix(String subjectPrefix, String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return;
        }
        requireCharacters(subjectPrefix, prefix);
        if (prefix.startsWith("/")) {
            throw invalid(subjectPrefix, prefix, "prefix must be relative to the mount root (no leading '/')");
        }
        String[] segments = prefix.split("/", -1);
        for (int i = 0; i < segments.length - 1; i++) {
            requireSegment(subjectPrefix, prefix, segments[i]);
        }
    }

    private static void requireCharacters(String subjectPrefix, String key) {
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw invalid(subjectPrefix, key, "key is longer than " + MAX_KEY_BYTES + " UTF-8 bytes");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == 0) {
                throw invalid(subjectPrefix, key, "key contains a NUL character");
            }
            if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw invalid(subjectPrefix, key, "key contains an unpaired surrogate and has no UTF-8 form");
            }
        }
    }

    private static void requireSegment(String subjectPrefix, String key, String segment) {
        if (segment.isEmpty()) {
            throw invalid(subjectPrefix, key, "key has an empty segment (a leading or doubled '/')");
        }
        if (segment.equals(".") || segment.equals("..")) {
            throw invalid(subjectPrefix, key, "key has a '" + segment + "' segment");
        }
    }

    private static WcacheException.InvalidPath invalid(String subjectPrefix, String key, String why) {
        return new WcacheException.InvalidPath(subjectPrefix + key, "invalid UFS key '" + key + "': " + why);
    }

    /** Compares two keys in S3 order: by their UTF-8 bytes, unsigned. */
    static int compareUtf8(String a, String b) {
        // Code-point order equals UTF-8 byte order; UTF-16 char order differs above U+FFFF.
        return NamespacePath.compareCodePoints(a, b);
    }
}
