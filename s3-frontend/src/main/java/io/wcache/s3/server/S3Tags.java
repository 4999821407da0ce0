package io.wcache.s3.server;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.xml.XmlWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * S3 object tags: the {@code x-amz-tagging} header's URL-encoded query form, the limits S3 sets
 * (at most 10 tags, keys of 1..128 characters, values of at most 256, no repeated key, no
 * {@code aws:} prefix) and the {@code Tagging} document of GetObjectTagging. A tag set beyond
 * the limits is {@code 400 InvalidTag}, and nothing is stored.
 */
final class S3Tags {

    static final int MAX_TAGS = 10;
    static final int MAX_KEY_CHARS = 128;
    static final int MAX_VALUE_CHARS = 256;

    private S3Tags() {
    }

    /** The tags of an {@code x-amz-tagging} header ({@code k1=v1&k2=v2}, URL-encoded), validated. */
    static Map<String, String> fromHeader(String header) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (header == null || header.isEmpty()) {
            return tags;
        }
        for (String pair : header.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key;
            String value;
            try {
                key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "The x-amz-tagging header is not URL-encoded");
            }
            if (tags.put(key, value) != null) {
                throw new S3Exception(S3ErrorCode.INVALID_TAG, "Cannot provide multiple Tags with the same key");
            }
        }
        return validate(tags);
    }

    /** {@code tags} when they are within S3's limits; {@code InvalidTag} otherwise. */
    static Map<String, String> validate(Map<String, String> tags) {
        if (tags.size() > MAX_TAGS) {
            throw new S3Exception(S3ErrorCode.INVALID_TAG, "Object tags cannot be greater than " + MAX_TAGS);
        }
        for (Map.Entry<String, String> t : tags.entrySet()) {
            String key = t.getKey();
            if (key.isEmpty() || key.codePointCount(0, key.length()) > MAX_KEY_CHARS) {
                throw new S3Exception(S3ErrorCode.INVALID_TAG, "The TagKey you have provided is invalid");
            }
            if (t.getValue().codePointCount(0, t.getValue().length()) > MAX_VALUE_CHARS) {
                throw new S3Exception(S3ErrorCode.INVALID_TAG, "The TagValue you have provided is invalid");
            }
            if (key.regionMatches(true, 0, "aws:", 0, 4)) {
                throw new S3Exception(S3ErrorCode.INVALID_TAG, "Your TagKey cannot be prefixed with aws:");
            }
        }
        return tags;
    }

    /** The GetObjectTagging document. */
    static byte[] xml(Map<String, String> tags) {
        XmlWriter w = new XmlWriter().root("Tagging").start("TagSet");
        tags.forEach((k, v) -> w.start("Tag").element("Key", k).element("Value", v).end());
        return w.end().end().toBytes();
    }
}
