package io.wcache.core.mount;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A top-level namespace name mapped to a UFS location: {@code /s3 -> s3://bucket/prefix} or
 * {@code /local -> file:///data/ufs}. The mount name is the S3 bucket name. Options carry
 * UFS-specific settings ({@code ufs.s3.endpoint}, {@code ufs.s3.region}, ...), read by the
 * persister. Options that hold secrets ({@link #isSecretOption}) are never printed: {@link #toString}
 * and {@link #maskedOptions} show {@value #MASK} instead, and credentials are refused inside the URI.
 */
public record Mount(NamespacePath path, URI ufsUri, Map<String, String> options) {

    /** What a secret option's value is shown as. */
    public static final String MASK = "***";

    public Mount {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(ufsUri, "ufsUri");
        if (path.depth() != 1) {
            throw new WcacheException.InvalidArgument(path.toString(),
                    "a mount path must be one top-level segment such as /s3, not " + path);
        }
        checkUri(path.toString(), ufsUri);
        options = Map.copyOf(new TreeMap<>(options == null ? Map.of() : options));
    }

    /** Parses the UFS location; only {@code s3://bucket[/prefix]} and {@code file:} URIs are served. */
    public static Mount of(String path, String ufsUri, Map<String, String> options) {
        NamespacePath p = NamespacePath.of(path);
        URI uri;
        try {
            uri = new URI(ufsUri == null ? "" : ufsUri);
        } catch (URISyntaxException e) {
            throw new WcacheException.InvalidArgument(path, "ufs '" + redactUserInfo(ufsUri) + "' is not a URI: "
                    + e.getReason());
        }
        if (hasUserInfo(uri)) {
            // Never echo it: the user part of a URI is where people put access keys.
            throw new WcacheException.InvalidArgument(path, "ufs '" + redactUserInfo(ufsUri) + "' carries credentials"
                    + " in the URI; give them as mount options instead (access.key, secret.key)");
        }
        return new Mount(p, uri, options);
    }

    private static void checkUri(String subject, URI uri) {
        String scheme = uri.getScheme();
        uri = safeUri(uri);
        if ("s3".equals(scheme)) {
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new WcacheException.InvalidArgument(subject, "ufs '" + uri + "' names no bucket (s3://bucket/prefix)");
            }
        } else if ("file".equals(scheme)) {
            String p = uri.isOpaque() ? uri.getSchemeSpecificPart() : uri.getPath();
            if (p == null || p.isEmpty()) {
                throw new WcacheException.InvalidArgument(subject, "ufs '" + uri + "' names no directory");
            }
        } else {
            throw new WcacheException.InvalidArgument(subject,
                    "ufs '" + uri + "' has an unsupported scheme (use s3://bucket/prefix or file:///dir)");
        }
    }

    /** The mount (bucket) name: the path's single segment. */
    public String name() {
        return path.mountName();
    }

    public boolean isS3() {
        return "s3".equals(ufsUri.getScheme());
    }

    /** For {@code s3://} mounts, the bucket. */
    public String s3Bucket() {
        requireScheme("s3");
        return ufsUri.getHost();
    }

    /** For {@code s3://} mounts, the key prefix without leading slash ({@code ""} or ending in {@code /}). */
    public String s3Prefix() {
        requireScheme("s3");
        String p = ufsUri.getPath() == null ? "" : ufsUri.getPath();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    /**
     * For {@code file:} mounts, the directory; {@code file:relative/dir} is relative to the
     * working directory, {@code file:///abs} is absolute.
     */
    public Path localDirectory() {
        requireScheme("file");
        return Path.of(ufsUri.isOpaque() ? ufsUri.getSchemeSpecificPart() : ufsUri.getPath());
    }

    private void requireScheme(String scheme) {
        if (!scheme.equals(ufsUri.getScheme())) {
            throw new IllegalStateException("mount " + path + " is not a " + scheme + " mount: " + ufsUri);
        }
    }

    /**
     * Whether a mount option holds a secret: its name (any case, any prefix such as {@code ufs.s3.})
     * mentions a secret, password, token or credential. Such values never leave the worker.
     */
    public static boolean isSecretOption(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("secret") || k.contains("password") || k.contains("token") || k.contains("credential");
    }

    /** The options with every secret value replaced by {@value #MASK}: what may be printed or returned. */
    public Map<String, String> maskedOptions() {
        Map<String, String> out = new TreeMap<>(options);
        out.replaceAll((k, v) -> isSecretOption(k) ? MASK : v);
        return Map.copyOf(out);
    }

    /** The UFS URI without any user information, for printing. */
    public URI printableUri() {
        return safeUri(ufsUri);
    }

    private static boolean hasUserInfo(URI uri) {
        return uri.getRawUserInfo() != null || uri.getRawAuthority() != null && uri.getRawAuthority().contains("@");
    }

    private static URI safeUri(URI uri) {
        if (!hasUserInfo(uri)) {
            return uri;
        }
        try {
            return new URI(redactUserInfo(uri.toString()));
        } catch (URISyntaxException e) {
            return URI.create(uri.getScheme() + ":" + MASK);
        }
    }

    /** Replaces what lies between {@code ://} and {@code @} in a URI that could not be parsed. */
    private static String redactUserInfo(String uri) {
        if (uri == null) {
            return null;
        }
        int scheme = uri.indexOf("://");
        int at = uri.lastIndexOf('@');
        return scheme >= 0 && at > scheme ? uri.substring(0, scheme + 3) + MASK + uri.substring(at) : uri;
    }

    @Override
    public String toString() {
        return path + " -> " + printableUri() + (options.isEmpty() ? "" : " " + new TreeMap<>(maskedOptions()));
    }
}
