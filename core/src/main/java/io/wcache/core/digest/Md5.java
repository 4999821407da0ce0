package io.wcache.core.digest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * MD5, which S3 ETags and {@code Content-MD5} are made of. Every Java platform must provide it, so
 * its absence is a broken JVM, not an input error.
 */
public final class Md5 {

    private Md5() {
    }

    /** A new MD5 digest (digests are not thread-safe: one per stream). */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every Java platform", e);
        }
    }
}
