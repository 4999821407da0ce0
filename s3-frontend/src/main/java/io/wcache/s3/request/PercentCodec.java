package io.wcache.s3.request;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Percent-decoding and AWS-style percent-encoding of URI components. Encoding follows SigV4's
 * "UriEncode": every byte except the unreserved {@code A-Z a-z 0-9 - . _ ~} is {@code %XX} with
 * upper-case hex, and {@code /} is kept in paths; decoding is strict (a bad escape or invalid
 * UTF-8 is an error, never silently replaced), because a key must never turn into another key.
 */
public final class PercentCodec {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PercentCodec() {
    }

    /**
     * Decodes {@code %XX} escapes to raw bytes; other characters are taken as their UTF-8 bytes.
     *
     * @param plusAsSpace whether {@code +} means a space (query strings) or itself (paths)
     * @throws S3Exception {@code InvalidURI} on a truncated or non-hex escape
     */
    public static byte[] decodeToBytes(String s, boolean plusAsSpace) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw invalidUri("truncated percent escape");
                }
                int hi = hexValue(s.charAt(i + 1));
                int lo = hexValue(s.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw invalidUri("invalid percent escape");
                }
                out.write((hi << 4) | lo);
                i += 3;
            } else if (c == '+' && plusAsSpace) {
                out.write(' ');
                i++;
            } else if (c < 0x80) {
                out.write(c);
                i++;
            } else {
                int cp = s.codePointAt(i);
                byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(utf8, 0, utf8.length);
                i += Character.charCount(cp);
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes a component to a string, refusing bytes that are not valid UTF-8.
     *
     * @throws S3Exception {@code InvalidURI} on a bad escape or invalid UTF-8
     */
    public static String decode(String s, boolean plusAsSpace) {
        if (s.indexOf('%') < 0 && (!plusAsSpace || s.indexOf('+') < 0)) {
            return s;
        }
        return strictUtf8(decodeToBytes(s, plusAsSpace));
    }

    /** Decodes UTF-8 bytes, refusing malformed or unmappable sequences. */
    public static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalidUri("the URI does not decode to valid UTF-8");
        }
    }

    /** SigV4 {@code UriEncode} of raw bytes; {@code /} is kept when {@code keepSlash}. */
    public static String encode(byte[] bytes, boolean keepSlash) {
        StringBuilder sb = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keepSlash)) {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return sb.toString();
    }

    /** SigV4 {@code UriEncode} of a string's UTF-8 bytes. */
    public static String encode(String s, boolean keepSlash) {
        return encode(s.getBytes(StandardCharsets.UTF_8), keepSlash);
    }

    /** The value of an ASCII hex digit, or -1; unlike {@code Character.digit} it refuses non-ASCII digits. */
    static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static S3Exception invalidUri(String detail) {
        return new S3Exception(S3ErrorCode.INVALID_URI, "Couldn't parse the specified URI: " + detail + ".");
    }
}
