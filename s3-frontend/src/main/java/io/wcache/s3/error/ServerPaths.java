package io.wcache.s3.error;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the server's file-system layout out of error messages sent to S3 clients: a core
 * failure's message may name a UFS root, a {@code file:} URI or a cache directory, which tells an
 * attacker where the data lives. Absolute paths that are not inside the request's bucket and
 * every {@code file:} URI are replaced by {@code <server path>}; the request's own
 * {@code /bucket/key} paths stay, since they are what the client sent.
 */
public final class ServerPaths {
    /** What a hidden path is replaced with. */
    public static final String HIDDEN = "<server path>";
    private static final Pattern FILE_URI = Pattern.compile("file:[^\\s'\"<>]*");
    private static final Pattern ABSOLUTE = Pattern.compile("(?<![\\w.~-])/[^\\s'\"<>():,;]+");

    private ServerPaths() {
    }

    /**
     * @param message  a message about to be sent to a client; null stays null
     * @param resource the request's {@code /bucket/key} resource, whose bucket's paths are kept
     */
    public static String redact(String message, String resource) {
        if (message == null || message.indexOf('/') < 0) {
            return message;
        }
        String bucketPrefix = bucketPrefix(resource);
        String out = FILE_URI.matcher(message).replaceAll(Matcher.quoteReplacement(HIDDEN));
        Matcher m = ABSOLUTE.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String path = m.group();
            boolean client = bucketPrefix != null && (path.equals(bucketPrefix) || path.startsWith(bucketPrefix + "/"));
            m.appendReplacement(sb, Matcher.quoteReplacement(client ? path : HIDDEN));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String bucketPrefix(String resource) {
        if (resource == null || resource.length() < 2 || resource.charAt(0) != '/') {
            return null;
        }
        int slash = resource.indexOf('/', 1);
        return slash < 0 ? resource : resource.substring(0, slash);
    }
}
