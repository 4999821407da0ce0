package io.wcache.s3.request;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * User metadata ({@code x-amz-meta-*} headers): names are lower-cased without the prefix,
 * values decoded. Non-ASCII values arrive either as RFC 2047 encoded-words (what S3 returns and
 * what careful clients send) or as raw UTF-8 bytes, which Netty presents as ISO-8859-1 chars; both
 * are decoded to the same string, stored as RFC 2047 when not ASCII ({@link #encodeValue}), and
 * answered by {@link #responseValue}.
 */
public final class UserMetadata {
    /** The header prefix. */
    public static final String PREFIX = "x-amz-meta-";
    /** S3's limit on the total size of user metadata (names and values, UTF-8). */
    public static final int MAX_BYTES = 2048;

    private static final Pattern ENCODED_WORD =
            Pattern.compile("=\\?([^?]+)\\?([bBqQ])\\?([^?]*)\\?=");

    private UserMetadata() {
    }

    /**
     * Collects and decodes the metadata of a request.
     *
     * @throws S3Exception {@code MetadataTooLarge} past 2 KiB
     */
    public static Map<String, String> fromHeaders(Iterable<Map.Entry<String, String>> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        int size = 0;
        for (Map.Entry<String, String> h : headers) {
            String name = h.getKey();
            if (name.length() > PREFIX.length() && name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                String key = name.substring(PREFIX.length()).toLowerCase(java.util.Locale.ROOT);
                String value = decodeValue(h.getValue());
                // Repeated headers are joined with ',' as HTTP folds them.
                out.merge(key, value, (a, b) -> a + "," + b);
                size += key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        if (size > MAX_BYTES) {
            throw new S3Exception(S3ErrorCode.METADATA_TOO_LARGE,
                    "Your metadata headers exceed the maximum allowed metadata size (" + size + " > " + MAX_BYTES + ")");
        }
        return Collections.unmodifiableMap(out);
    }

    /** Decodes one header value: RFC 2047 encoded-words, else raw UTF-8 seen as ISO-8859-1, else as is. */
    public static String decodeValue(String raw) {
        String v = raw.trim();
        if (v.contains("=?")) {
            String decoded = decodeEncodedWords(v);
            if (decoded != null) {
                return decoded;
            }
        }
        boolean highLatin1 = false;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c > 0xff) {
                return v;
            }
            highLatin1 |= c >= 0x80;
        }
        if (!highLatin1) {
            return v;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(v.getBytes(StandardCharsets.ISO_8859_1))).toString();
        } catch (CharacterCodingException e) {
            return v;
        }
    }

    /**
     * The response header value of a stored value (docs/DECISIONS.md, non-ASCII user metadata):
     * the decoded text as ISO-8859-1 octets when every character is printable ISO-8859-1 (what
     * HTTP/1.1 header text is, and how Python's http.client, Java's HTTP clients and Netty read
     * header bytes, so a value sent as raw UTF-8 reads back as the string sent); otherwise one RFC
     * 2047 encoded-word, as S3 returns every non-ASCII value.
     */
    public static String responseValue(String stored) {
        String decoded = decodeValue(stored);
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            boolean printable = c == '\t' || (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff);
            if (!printable) {
                return encodeValue(decoded);
            }
        }
        return decoded;
    }

    /** Encodes a value for storing: ASCII as is, otherwise one RFC 2047 B encoded-word. */
    public static String encodeValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 0x7f || (c < 0x20 && c != '\t')) {
                return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=";
            }
        }
        return value;
    }

    private static String decodeEncodedWords(String v) {
        Matcher m = ENCODED_WORD.matcher(v);
        StringBuilder out = new StringBuilder();
        int pos = 0;
        boolean any = false;
        while (m.find()) {
            String between = v.substring(pos, m.start());
            // Whitespace between adjacent encoded-words is not part of the text (RFC 2047 section 6.2).
            if (!(any && between.isBlank())) {
                out.append(between);
            }
            Charset cs;
            try {
                cs = Charset.forName(m.group(1));
            } catch (RuntimeException e) {
                return null;
            }
            byte[] bytes;
            try {
                bytes = m.group(2).equalsIgnoreCase("B")
                        ? Base64.getDecoder().decode(m.group(3))
                        : decodeQ(m.group(3));
            } catch (IllegalArgumentException e) {
                return null;
            }
            out.append(new String(bytes, cs));
            pos = m.end();
            any = true;
        }
        if (!any) {
            return null;
        }
        out.append(v.substring(pos));
        return out.toString();
    }

    private static byte[] decodeQ(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '_') {
                out.write(' ');
            } else if (c == '=' && i + 2 < s.length()) {
                int hi = PercentCodec.hexValue(s.charAt(i + 1));
                int lo = PercentCodec.hexValue(s.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("bad Q escape");
                }
                out.write((hi << 4) | lo);
                i += 2;
            } else {
                out.write(c & 0xff);
            }
        }
        return out.toByteArray();
    }
}
