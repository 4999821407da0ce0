package io.wcache.core.path;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.wcache.core.error.WcacheException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * An absolute, validated path in the wcache namespace, such as {@code /s3/logs/2024/a.txt}.
 * The first segment names the mount (the S3 bucket); the rest is the key inside it. A path is
 * only ever built from text that is already valid: nothing is normalised, so {@code /a/./b} or
 * {@code /a//b} is an {@link WcacheException.InvalidPath}, never silently {@code /a/b}.
 *
 * <p>A path inside a mount may end with one {@code /}: {@code /s3/logs/} is a <em>folder
 * marker</em>, S3's {@code logs/} key (the object the AWS console, s3fs and others create for a
 * folder). It is an object of its own, distinct from {@code /s3/logs} and from the objects under
 * {@code /s3/logs/}; it has the segments of {@code /s3/logs} ({@link #isFolderMarker()} tells it
 * apart), and sorts just before everything under it, as S3 lists it.
 *
 * <p>Ordering ({@link #compareTo}) is by Unicode code point, which is the order of the UTF-8
 * bytes and therefore the order in which the metadata store lists paths.
 */
public final class NamespacePath implements Comparable<NamespacePath> {

    /** Maximum length of a whole path in UTF-8 bytes (like Linux PATH_MAX). */
    public static final int MAX_PATH_BYTES = 4096;
    /** Maximum length of one segment in UTF-8 bytes (like POSIX NAME_MAX). */
    public static final int MAX_SEGMENT_BYTES = 255;

    private static final NamespacePath ROOT = new NamespacePath("/", List.of());

    private final String text;
    private final List<String> segments;

    private NamespacePath(String text, List<String> segments) {
        this.text = text;
        this.segments = segments;
    }

    /** Whether this is a folder marker: a path inside a mount ending with {@code /}, S3's {@code dir/} key. */
    public boolean isFolderMarker() {
        return text.length() > 1 && text.charAt(text.length() - 1) == '/';
    }

    /** The folder marker of this path ({@code /s3/a} gives {@code /s3/a/}); itself for a marker. */
    public NamespacePath folderMarker() {
        if (isFolderMarker()) {
            return this;
        }
        if (segments.size() < 2) {
            throw new WcacheException.InvalidPath(text, "a folder marker is inside a mount: /<mount>/<key>/");
        }
        return new NamespacePath(text + "/", segments);
    }

    /** The path without a folder marker's trailing {@code /} ({@code /s3/a/} gives {@code /s3/a}); itself otherwise. */
    public NamespacePath withoutFolderMarker() {
        return isFolderMarker() ? new NamespacePath(text.substring(0, text.length() - 1), segments) : this;
    }

    /** The root {@code /}: it has no segments, no name and no mount. */
    public static NamespacePath root() {
        return ROOT;
    }

    /**
     * Parses and validates an absolute path.
     *
     * @throws WcacheException.InvalidPath naming the path and the rule it breaks
     */
    @JsonCreator
    public static NamespacePath of(String path) {
        if (path == null) {
            throw new WcacheException.InvalidPath(null, "path is missing");
        }
        if (path.isEmpty()) {
            throw new WcacheException.InvalidPath(path, "path is empty");
        }
        if (path.charAt(0) != '/') {
            throw new WcacheException.InvalidPath(path, "path must be absolute (start with '/')");
        }
        if (path.equals("/")) {
            return ROOT;
        }
        if (path.length() > 2 && path.charAt(path.length() - 1) == '/' && path.charAt(path.length() - 2) != '/') {
            NamespacePath dir;
            try {
                dir = of(path.substring(0, path.length() - 1));
            } catch (WcacheException.InvalidPath e) {
                throw new WcacheException.InvalidPath(path, e.getMessage());
            }
            if (dir.depth() < 2) {
                throw new WcacheException.InvalidPath(path, "a mount path must not end with '/'");
            }
            return new NamespacePath(path, dir.segments);
        }
        int bytes = utf8Length(path);
        if (bytes > MAX_PATH_BYTES) {
            throw new WcacheException.InvalidPath(abbreviate(path),
                    "path is " + bytes + " bytes in UTF-8, more than the maximum of " + MAX_PATH_BYTES);
        }
        List<String> segments = new ArrayList<>();
        int start = 1;
        while (true) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            String segment = path.substring(start, end);
            validateSegment(path, segment);
            segments.add(segment);
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        return new NamespacePath(path, Collections.unmodifiableList(segments));
    }

    /**
     * Decodes strict UTF-8 bytes (malformed sequences are refused, not replaced) and parses them
     * as a path.
     */
    public static NamespacePath ofUtf8(byte[] utf8) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(utf8));
            return of(chars.toString());
        } catch (CharacterCodingException e) {
            throw new WcacheException.InvalidPath(
                    new String(utf8, StandardCharsets.UTF_8), "path is not valid UTF-8");
        }
    }

    private static void validateSegment(String path, String segment) {
        if (segment.isEmpty()) {
            throw new WcacheException.InvalidPath(path, "path has an empty segment ('//')");
        }
        if (segment.equals(".") || segment.equals("..")) {
            throw new WcacheException.InvalidPath(path, "segment '" + segment + "' is not allowed");
        }
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '\0') {
                throw new WcacheException.InvalidPath(path, "path contains a NUL character");
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= segment.length() || !Character.isLowSurrogate(segment.charAt(i + 1))) {
                    throw new WcacheException.InvalidPath(path, "path is not valid UTF-8 (unpaired surrogate)");
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw new WcacheException.InvalidPath(path, "path is not valid UTF-8 (unpaired surrogate)");
            }
        }
        int bytes = utf8Length(segment);
        if (bytes > MAX_SEGMENT_BYTES) {
            throw new WcacheException.InvalidPath(abbreviate(path), "segment '" + abbreviate(segment) + "' is "
                    + bytes + " bytes in UTF-8, more than the maximum of " + MAX_SEGMENT_BYTES);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** UTF-8 length; an unpaired surrogate (rejected separately) counts as 3 bytes. */
    static int utf8Length(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** Appends one validated segment. */
    public NamespacePath child(String segment) {
        return of(isRoot() ? "/" + segment : withoutFolderMarker().text + "/" + segment);
    }

    /** Appends a relative path ({@code a/b}); it is validated like any other path. */
    public NamespacePath resolve(String relative) {
        if (relative.isEmpty()) {
            return this;
        }
        return of(isRoot() ? "/" + relative : withoutFolderMarker().text + "/" + relative);
    }

    public boolean isRoot() {
        return segments.isEmpty();
    }

    /** The segments from the mount name down; empty for the root. */
    public List<String> segments() {
        return segments;
    }

    public int depth() {
        return segments.size();
    }

    /** The parent path; empty for the root. A folder marker's parent is its folder's parent. */
    public Optional<NamespacePath> parent() {
        if (isRoot()) {
            return Optional.empty();
        }
        if (isFolderMarker()) {
            return withoutFolderMarker().parent();
        }
        if (segments.size() == 1) {
            return Optional.of(ROOT);
        }
        return Optional.of(new NamespacePath(text.substring(0, text.lastIndexOf('/')),
                segments.subList(0, segments.size() - 1)));
    }

    /** The last segment (a folder marker's folder name, without the {@code /}); the empty string for the root. */
    public String name() {
        return isRoot() ? "" : segments.get(segments.size() - 1);
    }

    /**
     * The first segment: the mount (S3 bucket) this path lives in.
     *
     * @throws WcacheException.InvalidPath for the root, which is in no mount
     */
    public String mountName() {
        if (isRoot()) {
            throw new WcacheException.InvalidPath(text, "the root is not inside a mount");
        }
        return segments.get(0);
    }

    /** The mount's own path, {@code /<mountName>}. */
    public NamespacePath mountPath() {
        return segments.size() == 1 && !isFolderMarker() ? this : new NamespacePath("/" + mountName(), segments.subList(0, 1));
    }

    /**
     * The path inside its mount without a leading slash ({@code /s3/a/b} gives {@code a/b}): the
     * S3 key, and the object name in the UFS ({@code a/b/} for a folder marker). The empty string
     * for a mount path itself.
     */
    public String relativeToMount() {
        String mount = mountName();
        return text.length() == mount.length() + 1 ? "" : text.substring(mount.length() + 2);
    }

    /**
     * Whether this path is {@code other} or one of its ancestors, by whole segments:
     * {@code /s3/a} is a prefix of {@code /s3/a/x} but not of {@code /s3/ab}.
     */
    public boolean isPrefixOf(NamespacePath other) {
        if (segments.size() > other.segments.size()) {
            return false;
        }
        return other.segments.subList(0, segments.size()).equals(segments);
    }

    /** The path as text, exactly as it was given (also its JSON form). */
    @JsonValue
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NamespacePath p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public int compareTo(NamespacePath o) {
        return compareCodePoints(text, o.text);
    }

    /** Compares by code point, which equals the order of the UTF-8 encodings. */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
