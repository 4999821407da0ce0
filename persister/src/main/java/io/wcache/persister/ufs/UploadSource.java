package io.wcache.persister.ufs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;

/**
 * The body of an upload, re-openable at any offset. A UFS may open it more than once: once per
 * retry of a request and once per multipart part, possibly from several threads at the same time,
 * so every {@link #open} must return an independent stream over the same, unchanging bytes.
 */
public interface UploadSource {

    /** The exact number of bytes of the body. */
    long length();

    /**
     * Opens a stream over {@code length} bytes starting at {@code offset}; the caller closes it.
     * The stream must yield exactly {@code length} bytes.
     */
    InputStream open(long offset, long length) throws IOException;

    /**
     * The MD5 of the whole body (32 lower-case hex digits) when it is already known, such as a
     * cached version's ETag; empty when it is not. A UFS that has it sends it for the store to check
     * the bytes it receives ({@code Content-MD5}) instead of hashing the body itself, so a wrong
     * value makes the upload fail and must never be given for bytes it was not computed from.
     */
    default java.util.Optional<String> md5Hex() {
        return java.util.Optional.empty();
    }

    /** The MD5 of a body in the form {@link #md5Hex()} returns, if {@code etag} has that shape (not a multipart ETag). */
    static java.util.Optional<String> md5OfEtag(String etag) {
        if (etag == null || etag.length() != 32) {
            return java.util.Optional.empty();
        }
        for (int i = 0; i < 32; i++) {
            if (Character.digit(etag.charAt(i), 16) < 0) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.of(etag.toLowerCase(java.util.Locale.ROOT));
    }

    /** A body held in memory; the array is copied so later changes by the caller cannot tear an upload. */
    static UploadSource ofBytes(byte[] bytes) {
        byte[] copy = Arrays.copyOf(bytes, bytes.length);
        return new UploadSource() {
            @Override
            public long length() {
                return copy.length;
            }

            @Override
            public InputStream open(long offset, long length) {
                checkRange(offset, length, copy.length);
                return new java.io.ByteArrayInputStream(copy, (int) offset, (int) length);
            }
        };
    }

    /**
     * The {@code size} bytes of object {@code key} already in {@code ufs}: a copy inside the store
     * (a version kept at another key) reads them back as it writes them.
     */
    static UploadSource ofUfs(UnderFileSystem ufs, String key, long size) {
        return new UploadSource() {
            @Override
            public long length() {
                return size;
            }

            @Override
            public InputStream open(long offset, long length) {
                return ufs.get(key, offset, length);
            }
        };
    }

    /** A body read from a file whose length is taken now; the file must not change while it is uploaded. */
    static UploadSource ofFile(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        long size = java.nio.file.Files.size(file);
        return new UploadSource() {
            @Override
            public long length() {
                return size;
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                checkRange(offset, length, size);
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                channel.position(offset);
                return new BoundedInputStream(Channels.newInputStream(channel), length);
            }
        };
    }

    private static void checkRange(long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside body of " + size + " bytes");
        }
    }
}
