package io.wcache.persister.ufs;

import io.wcache.core.digest.Md5;
import io.wcache.core.error.WcacheException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UFS over a local directory ({@code file:///abs/dir}), laid out as plain files so the tree can
 * be read without wcache. Writes are atomic: the body goes to a temporary file under
 * {@code .wcache-tmp/}, which is fsynced and renamed over the key, then the parent directory is
 * fsynced. Content type, user metadata and the MD5 ETag travel in one {@code user.wcache} extended
 * attribute set on the temporary file before the rename, so data and metadata appear together.
 *
 * <p>A folder marker key {@code a/b/} is the directory {@code a/b} holding a file
 * {@value #FOLDER_MARKER_FILE} with the marker's body and metadata; listings show that file as the
 * key {@code a/b/}. The name is reserved: no key segment may be {@value #FOLDER_MARKER_FILE}.
 */
public final class LocalUnderFileSystem implements UnderFileSystem {

    /** The reserved first key segment holding temporary files; it is never listed nor writable as a key. */
    public static final String TEMP_DIR = ".wcache-tmp";
    /** The file inside directory {@code a/b} that holds the folder marker {@code a/b/}; a reserved key segment. */
    public static final String FOLDER_MARKER_FILE = ".wcache-folder";

    private static final Logger LOG = LoggerFactory.getLogger(LocalUnderFileSystem.class);
    private static final String XATTR = "wcache";
    private static final int MAX_SEGMENT_BYTES = 255;
    private static final int MAX_KEYS_PER_PAGE = 1000;
    private static final int COPY_BUFFER = 256 * 1024;
    private static final Duration STALE_TEMP_AGE = Duration.ofHours(1);
    private static final int PLACE_ATTEMPTS = 5;

    private final URI uri;
    private final Path root;
    /** Large directories' entries in key order, kept between the pages of a listing. */
    private final SortedDirs sortedDirs = new SortedDirs();
    private final Path tempDir;
    private final String subjectPrefix;
    private final boolean xattrs;

    /** Opens (creating it if needed) the directory {@code dir} as a UFS. */
    public LocalUnderFileSystem(Path dir) {
        Objects.requireNonNull(dir, "dir");
        try {
            Files.createDirectories(dir);
            this.root = dir.toRealPath();
            this.tempDir = root.resolve(TEMP_DIR);
            Files.createDirectories(tempDir);
        } catch (IOException e) {
            throw new WcacheException.Unavailable(dir.toString(), "cannot open local UFS directory " + dir + ": " + e, e);
        }
        String u = root.toUri().toString();
        this.uri = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
        this.subjectPrefix = uri + "/";
        removeStaleTempFiles();
        this.xattrs = probeExtendedAttributes();
        LOG.info("event=local_ufs_opened uri={} xattrs={}", uri, xattrs);
    }

    /** Opens {@code file:///abs/dir}; local UFS takes no options. */
    public static LocalUnderFileSystem open(URI uri, Map<String, String> options) {
        if (options != null && !options.isEmpty()) {
            throw new WcacheException.InvalidArgument(String.valueOf(uri),
                    "local UFS takes no options; got " + options.keySet());
        }
        if (uri.getAuthority() != null && !uri.getAuthority().isEmpty() && !uri.getAuthority().equals("localhost")) {
            throw new WcacheException.InvalidArgument(uri.toString(), "a file:// UFS URI must have no host: file:///abs/dir");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new WcacheException.InvalidArgument(uri.toString(), "a file:// UFS URI takes no query or fragment");
        }
        if (uri.isOpaque() || uri.getRawPath() == null || !uri.getRawPath().startsWith("/")) {
            throw new WcacheException.InvalidArgument(uri.toString(), "a file:// UFS URI needs an absolute path: file:///abs/dir");
        }
        Path dir;
        try {
            dir = Paths.get(URI.create("file://" + uri.getRawPath()));
        } catch (IllegalArgumentException e) {
            throw new WcacheException.InvalidArgument(uri.toString(), "not a usable file:// URI: " + e.getMessage(), e);
        }
        return new LocalUnderFileSystem(dir);
    }

    @Override
    public URI uri() {
        return uri;
    }

    /** The real path of the root directory. */
    public Path root() {
        return root;
    }

    @Override
    public UfsObject put(String key, UploadSource source, PutOptions options) {
        Path target = pathOf(key);
        Objects.requireNonNull(source, "source");
        PutOptions opts = options == null ? PutOptions.DEFAULT : options;
        // Standard headers (opts.standardHeaders()) are not kept: a local directory is not served
        // over HTTP, and the metadata attribute holds only what a read-through needs. The cached
        // version keeps them; an object read from a local UFS alone has none.
        String subject = subjectPrefix + key;
        Path temp = tempDir.resolve(UUID.randomUUID() + ".part");
        try {
            String md5 = writeTemp(subject, temp, source, opts);
            placeTemp(fileKey(key), subject, temp, target);
            BasicFileAttributes attrs = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String etag = xattrs ? md5 : syntheticEtag(attrs);
            LOG.debug("event=local_put key={} size={} etag={}", key, attrs.size(), etag);
            return new UfsObject(key, attrs.size(), etag, attrs.lastModifiedTime().toInstant(),
                    opts.contentType(), xattrs ? opts.userMetadata() : Map.of());
        } catch (IOException e) {
            throw failure("put", subject, e);
        } finally {
            deleteQuietly(temp);
        }
    }

    private String writeTemp(String subject, Path temp, UploadSource source, PutOptions opts) throws IOException {
        long expected = source.length();
        MessageDigest md5 = md5();
        long written = 0;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             InputStream in = source.open(0, expected)) {
            byte[] buf = new byte[COPY_BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                written += n;
                if (written > expected) {
                    break;
                }
                md5.update(buf, 0, n);
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
            }
            if (written != expected) {
                throw new WcacheException.InvalidArgument(subject, "upload source declared " + expected
                        + " bytes but yielded " + (written > expected ? "more" : String.valueOf(written)));
            }
            String etag = HexFormat.of().formatHex(md5.digest());
            java.util.Optional<String> known = source.md5Hex();
            if (known.isPresent() && !known.get().equals(etag)) {
                // As an S3 store refuses a body whose Content-MD5 differs: the temporary file is dropped.
                throw new WcacheException.Corruption(subject, "the bytes read for " + subject + " have MD5 " + etag
                        + " but their version's is " + known.get() + "; nothing was stored");
            }
            if (xattrs) {
                Instant mtime = Files.getLastModifiedTime(temp).toInstant();
                writeMetadata(temp, new StoredMetadata(etag, expected, mtime, opts.contentType(), opts.userMetadata()));
            }
            // Data and the metadata attribute must be durable before the rename publishes them.
            out.force(true);
            return etag;
        }
    }

    private void placeTemp(String key, String subject, Path temp, Path target) throws IOException {
        for (int attempt = 1; ; attempt++) {
            prepareParent(key, subject, target);
            BasicFileAttributes existing = attributesOrNull(target, LinkOption.NOFOLLOW_LINKS);
            if (existing != null && existing.isDirectory()) {
                throw new WcacheException.Conflict(subject, "cannot write '" + key + "': other objects exist under '"
                        + key + "/' and a directory tree cannot hold both");
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                break;
            } catch (FileSystemException e) {
                // A concurrent delete pruned the freshly created parent, or a concurrent put of
                // 'a/b/c' made 'a/b' a directory: check again, which creates the parent or reports
                // the conflict instead of an I/O error.
                if (attempt >= PLACE_ATTEMPTS) {
                    throw e;
                }
            }
        }
        fsyncDirectory(target.getParent());
    }

    /** Creates the parent directories of {@code target}, refusing symlinks out of the root and file ancestors. */
    private void prepareParent(String key, String subject, Path target) throws IOException {
        Path dir = root;
        String[] segments = key.split("/");
        for (int i = 0; i < segments.length - 1; i++) {
            dir = dir.resolve(segments[i]);
            BasicFileAttributes attrs = attributesOrNull(dir, LinkOption.NOFOLLOW_LINKS);
            if (attrs == null) {
                try {
                    Files.createDirectories(target.getParent());
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // A concurrent put made an ancestor a file: report it as the conflict it is.
                    prepareParent(key, subject, target);
                }
                return;
            }
            if (attrs.isSymbolicLink()) {
                Path real = realPathInsideRoot(subject, dir);
                if (real == null) {
                    prepareParent(key, subject, target); // pruned under us: make it again
                    return;
                }
                if (!Files.isDirectory(real)) {
                    throw prefixConflict(key, subject, segments, i);
                }
            } else if (!attrs.isDirectory()) {
                throw prefixConflict(key, subject, segments, i);
            }
        }
    }

    private static WcacheException.Conflict prefixConflict(String key, String subject, String[] segments, int upTo) {
        String ancestor = String.join("/", java.util.Arrays.copyOf(segments, upTo + 1));
        return new WcacheException.Conflict(subject, "cannot write '" + key + "': '" + ancestor
                + "' is an object, and a directory tree cannot hold an object and keys under it");
    }

    @Override
    public InputStream get(String key, long offset, long length) {
        Path target = pathOf(key);
        String subject = subjectPrefix + key;
        if (offset < 0) {
            throw new WcacheException.InvalidArgument(subject, "offset must not be negative: " + offset);
        }
        try {
            BasicFileAttributes attrs = objectAttributes(subject, target);
            if (attrs == null) {
                throw new WcacheException.NotFound(subject, "no object '" + key + "' in " + uri);
            }
            long size = attrs.size();
            if (offset > size) {
                throw new WcacheException.InvalidArgument(subject, "offset " + offset + " is past the end of '" + key
                        + "' (" + size + " bytes)");
            }
            long n = length < 0 ? size - offset : Math.min(length, size - offset);
            FileChannel channel = FileChannel.open(target, StandardOpenOption.READ);
            try {
                channel.position(offset);
            } catch (IOException e) {
                channel.close();
                throw e;
            }
            return new BoundedInputStream(Channels.newInputStream(channel), n);
        } catch (IOException e) {
            throw failure("get", subject, e);
        }
    }

    @Override
    public Optional<UfsObject> head(String key) {
        Path target = pathOf(key);
        String subject = subjectPrefix + key;
        try {
            BasicFileAttributes attrs = objectAttributes(subject, target);
            return attrs == null ? Optional.empty() : Optional.of(describe(key, target, attrs, true));
        } catch (IOException e) {
            throw failure("head", subject, e);
        }
    }

    @Override
    public void delete(String key) {
        Path target = pathOf(key);
        String subject = subjectPrefix + key;
        try {
            Path parent = target.getParent();
            BasicFileAttributes parentAttrs = attributesOrNull(parent, LinkOption.NOFOLLOW_LINKS);
            if (parentAttrs == null) {
                return;
            }
            if (realPathInsideRoot(subject, parent) == null) {
                return; // pruned by a concurrent delete: nothing is left under it
            }
            BasicFileAttributes attrs = attributesOrNull(target, LinkOption.NOFOLLOW_LINKS);
            if (attrs == null || attrs.isDirectory()) {
                // A directory is not an object: deleting the key 'a' leaves 'a/...' alone, as on S3.
                return;
            }
            Files.deleteIfExists(target);
            try {
                fsyncDirectory(parent);
            } catch (NoSuchFileException e) {
                // A concurrent delete already pruned the emptied parent: the entry is gone either way.
            }
            pruneEmptyDirectories(parent);
            LOG.debug("event=local_delete key={}", key);
        } catch (IOException e) {
            throw failure("delete", subject, e);
        }
    }

    /** Empty directories are not objects; removing them keeps the tree a faithful picture of the keys. */
    private void pruneEmptyDirectories(Path dir) {
        Path d = dir;
        while (d != null && !d.equals(root) && d.startsWith(root)) {
            try {
                Files.delete(d);
            } catch (IOException e) {
                return; // not empty, or already gone, or recreated by a concurrent put
            }
            d = d.getParent();
        }
    }

    @Override
    public UfsListing list(String prefix, String delimiter, String startAfter, String continuation, int maxKeys) {
        String p = prefix == null ? "" : prefix;
        String delim = delimiter == null ? "" : delimiter;
        UfsKeys.requireValidPrefix(subjectPrefix, p);
        UfsListing.requireValidMaxKeys(maxKeys);
        int limit = Math.min(maxKeys, MAX_KEYS_PER_PAGE);
        ListCursor after = ListCursor.decode(subjectPrefix + p, continuation);
        if (after == null && startAfter != null && !startAfter.isEmpty()) {
            after = new ListCursor(startAfter, false);
        }
        int slash = p.lastIndexOf('/');
        String baseKey = slash < 0 ? "" : p.substring(0, slash + 1);
        String subject = subjectPrefix + p;
        try {
            Path baseDir = baseKey.isEmpty() ? root : root.resolve(baseKey.substring(0, baseKey.length() - 1));
            BasicFileAttributes baseAttrs = attributesOrNull(baseDir, LinkOption.NOFOLLOW_LINKS);
            if (baseAttrs == null || !baseAttrs.isDirectory()) {
                return UfsListing.empty();
            }
            if (realPathInsideRoot(subject, baseDir) == null) {
                return UfsListing.empty();
            }
            SortedWalk walk = new SortedWalk(baseDir, baseKey, p, after);
            List<UfsObject> objects = new ArrayList<>();
            List<String> prefixes = new ArrayList<>();
            String lastPrefix = null;
            ListCursor last = null;
            int count = 0;
            for (WalkEntry e = walk.next(); e != null; e = walk.next()) {
                String key = e.key();
                if (!key.startsWith(p) || (after != null && after.covers(key))) {
                    continue;
                }
                int d = delim.isEmpty() ? -1 : key.indexOf(delim, p.length());
                if (d >= 0) {
                    String common = key.substring(0, d + delim.length());
                    if (common.equals(lastPrefix)) {
                        continue;
                    }
                    if (count == limit) {
                        return new UfsListing(objects, prefixes, last.encode());
                    }
                    prefixes.add(common);
                    lastPrefix = common;
                    last = new ListCursor(common, true);
                    walk.skipUnder(common);
                } else {
                    if (count == limit) {
                        return new UfsListing(objects, prefixes, last.encode());
                    }
                    objects.add(describe(key, e.path(), e.attrs(), false));
                    last = new ListCursor(key, false);
                }
                count++;
            }
            return new UfsListing(objects, prefixes, null);
        } catch (IOException e) {
            throw failure("list", subject, e);
        }
    }

    @Override
    public void close() {
        // Nothing is held open between calls.
    }

    @Override
    public String toString() {
        return "LocalUnderFileSystem[" + uri + "]";
    }

    // ---- keys and paths ----

    /** The file's path relative to the root: the key, or for a folder marker {@code a/b/} the file {@code a/b/.wcache-folder}. */
    private static String fileKey(String key) {
        return UfsKeys.isFolderMarker(key) ? key + FOLDER_MARKER_FILE : key;
    }

    private Path pathOf(String key) {
        UfsKeys.requireValidKey(subjectPrefix, key);
        if (key.equals(TEMP_DIR) || key.startsWith(TEMP_DIR + "/")) {
            throw new WcacheException.InvalidPath(subjectPrefix + key, "keys under '" + TEMP_DIR + "/' are reserved by the local UFS");
        }
        for (String segment : key.split("/")) {
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw new WcacheException.InvalidPath(subjectPrefix + key,
                        "a local UFS key segment is at most " + MAX_SEGMENT_BYTES + " UTF-8 bytes (a file name)");
            }
            if (segment.equals(FOLDER_MARKER_FILE)) {
                throw new WcacheException.InvalidPath(subjectPrefix + key, "the key segment '" + FOLDER_MARKER_FILE
                        + "' is reserved by the local UFS (it holds folder markers)");
            }
        }
        try {
            return root.resolve(fileKey(key));
        } catch (InvalidPathException e) {
            throw new WcacheException.InvalidPath(subjectPrefix + key,
                    "key cannot be a file name here (check that sun.jnu.encoding is UTF-8): " + e.getMessage());
        }
    }

    /**
     * The attributes of the regular file at {@code target}, or null if there is no object there.
     * Refuses a target that resolves outside the root through any symlink.
     */
    private BasicFileAttributes objectAttributes(String subject, Path target) throws IOException {
        Path existing = target;
        while (existing != null && attributesOrNull(existing, LinkOption.NOFOLLOW_LINKS) == null) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return null;
        }
        if (realPathInsideRoot(subject, existing) == null || !existing.equals(target)) {
            return null;
        }
        BasicFileAttributes attrs = attributesOrNull(target);
        return attrs != null && attrs.isRegularFile() ? attrs : null;
    }

    /**
     * The real path of {@code path}, refused if it resolves outside the root; null if {@code path}
     * no longer exists (a concurrent delete pruned it after the caller saw it).
     */
    private Path realPathInsideRoot(String subject, Path path) throws IOException {
        Path real = null;
        for (int attempt = 0; real == null; attempt++) {
            try {
                real = path.toRealPath();
            } catch (NoSuchFileException e) {
                BasicFileAttributes link = attributesOrNull(path, LinkOption.NOFOLLOW_LINKS);
                if (link == null) {
                    return null;
                }
                if (link.isSymbolicLink() || attempt == 2) {
                    throw new WcacheException.InvalidPath(subject, "'" + root.relativize(path) + "' is a dangling symbolic link");
                }
                // Pruned and made again between the two looks: look once more.
            }
        }
        if (!real.startsWith(root)) {
            throw new WcacheException.InvalidPath(subject, "'" + root.relativize(path)
                    + "' resolves outside the UFS root " + root + " (through a symbolic link)");
        }
        return real;
    }

    static BasicFileAttributes attributesOrNull(Path path, LinkOption... options) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, options);
        } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
        } catch (FileSystemException e) {
            if (e.getMessage() != null && e.getMessage().contains("Not a directory")) {
                return null;
            }
            throw e;
        }
    }

    // ---- metadata ----

    private UfsObject describe(String key, Path path, BasicFileAttributes attrs, boolean full) {
        StoredMetadata meta = xattrs ? readMetadata(path) : null;
        Instant mtime = attrs.lastModifiedTime().toInstant();
        // The stored ETag is trusted only while size and mtime still match: a file rewritten in
        // place by something other than this UFS keeps its attribute but not its MD5.
        boolean current = meta != null && meta.size() == attrs.size() && meta.mtime().equals(mtime);
        String etag = current ? meta.etag() : syntheticEtag(attrs);
        if (!full) {
            return new UfsObject(key, attrs.size(), etag, mtime, null, Map.of());
        }
        String contentType = meta != null ? meta.contentType() : PutOptions.DEFAULT_CONTENT_TYPE;
        return new UfsObject(key, attrs.size(), etag, mtime, contentType, meta != null ? meta.userMetadata() : Map.of());
    }

    /** For files written without wcache: changes whenever size or modification time does. */
    private static String syntheticEtag(BasicFileAttributes attrs) {
        long micros = TimeUnit.NANOSECONDS.toMicros(attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        return Long.toHexString(micros) + "-" + Long.toHexString(attrs.size());
    }

    private record StoredMetadata(String etag, long size, Instant mtime, String contentType, Map<String, String> userMetadata) {
        String encode() {
            StringBuilder sb = new StringBuilder("v=1\n");
            sb.append("etag=").append(etag).append('\n');
            sb.append("size=").append(size).append('\n');
            sb.append("mtime=").append(mtime).append('\n');
            sb.append("content-type=").append(contentType).append('\n');
            userMetadata.forEach((k, v) -> sb.append("m.").append(k).append('=').append(v).append('\n'));
            return sb.toString();
        }

        static StoredMetadata decode(String text) {
            Map<String, String> fields = new LinkedHashMap<>();
            Map<String, String> user = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                String k = line.substring(0, eq);
                String v = line.substring(eq + 1);
                if (k.startsWith("m.")) {
                    user.put(k.substring(2), v);
                } else {
                    fields.put(k, v);
                }
            }
            if (!"1".equals(fields.get("v"))) {
                return null;
            }
            return new StoredMetadata(fields.get("etag"), Long.parseLong(fields.get("size")),
                    Instant.parse(fields.get("mtime")), fields.get("content-type"), Map.copyOf(user));
        }
    }

    private static void writeMetadata(Path file, StoredMetadata meta) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        view.write(XATTR, StandardCharsets.US_ASCII.encode(meta.encode()));
    }

    private StoredMetadata readMetadata(Path file) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
            ByteBuffer buf = ByteBuffer.allocate(view.size(XATTR));
            view.read(XATTR, buf);
            buf.flip();
            return StoredMetadata.decode(StandardCharsets.US_ASCII.decode(buf).toString());
        } catch (IOException | RuntimeException e) {
            // No attribute (a file written without wcache) or an unreadable one: describe the file without it.
            return null;
        }
    }

    private boolean probeExtendedAttributes() {
        Path probe = tempDir.resolve("probe-" + UUID.randomUUID());
        try {
            Files.createFile(probe);
            writeMetadata(probe, new StoredMetadata("0", 0, Instant.EPOCH, PutOptions.DEFAULT_CONTENT_TYPE, Map.of()));
            return readMetadata(probe) != null;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("event=local_ufs_no_xattrs uri={} effect=content_type_user_metadata_and_md5_etags_not_kept error={}", uri, e.toString());
            return false;
        } finally {
            deleteQuietly(probe);
        }
    }

    // ---- files ----

    private void removeStaleTempFiles() {
        Instant cutoff = Instant.now().minus(STALE_TEMP_AGE);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tempDir)) {
            for (Path p : entries) {
                try {
                    if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(p);
                        LOG.info("event=local_ufs_stale_temp_removed uri={} file={}", uri, p.getFileName());
                    }
                } catch (IOException e) {
                    LOG.warn("event=local_ufs_stale_temp_not_removed uri={} file={} error={}", uri, p.getFileName(), e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("event=local_ufs_temp_scan_failed uri={} error={}", uri, e.toString());
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("event=local_ufs_temp_not_removed file={} error={}", p, e.toString());
        }
    }

    private static MessageDigest md5() {
        return Md5.newDigest();
    }

    private WcacheException failure(String op, String subject, IOException e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        if (WcacheException.OutOfSpace.isFileSystemFull(e)) {
            return new WcacheException.OutOfSpace(subject, op + " on local UFS failed: " + msg, Duration.ofSeconds(30));
        }
        String what = e instanceof AccessDeniedException ? "permission denied" : e.getClass().getSimpleName() + ": " + msg;
        return new WcacheException.Unavailable(subject, op + " on local UFS " + uri + " failed: " + what, e);
    }

    // ---- listing ----

    private record WalkEntry(String key, Path path, BasicFileAttributes attrs) {
    }

    /** The position after which a listing continues: the last key or common prefix returned. */
    private record ListCursor(String marker, boolean isPrefix) {
        boolean covers(String key) {
            return UfsKeys.compareUtf8(key, marker) <= 0 || (isPrefix && key.startsWith(marker));
        }

        String encode() {
            String raw = (isPrefix ? "P" : "K") + marker;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        static ListCursor decode(String subject, String token) {
            if (token == null || token.isEmpty()) {
                return null;
            }
            try {
                String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
                if (raw.length() >= 2 && (raw.charAt(0) == 'K' || raw.charAt(0) == 'P')) {
                    return new ListCursor(raw.substring(1), raw.charAt(0) == 'P');
                }
            } catch (IllegalArgumentException e) {
                // fall through to the typed error
            }
            throw new WcacheException.InvalidArgument(subject, "invalid continuation token: " + token);
        }
    }

    /**
     * Walks regular files depth-first in S3 key order. Sorting each directory's entries by
     * name, with directories compared as {@code name + "/"}, yields keys globally sorted by UTF-8
     * bytes; subtrees wholly outside the prefix, wholly before the cursor or already rolled up into
     * a common prefix are never read.
     */
    private final class SortedWalk {
        private record Frame(String dirKey, SortedDirs.SortedDir dir, int[] next) {
        }

        private final Deque<Frame> stack = new ArrayDeque<>();
        private final String prefix;
        private final ListCursor after;
        private String skipPrefix;

        SortedWalk(Path baseDir, String baseKey, String prefix, ListCursor after) throws IOException {
            this.prefix = prefix;
            this.after = after;
            push(baseKey, baseDir);
        }

        void skipUnder(String commonPrefix) {
            skipPrefix = commonPrefix;
        }

        WalkEntry next() throws IOException {
            while (!stack.isEmpty()) {
                Frame frame = stack.peek();
                if (frame.next()[0] == frame.dir().size()) {
                    stack.pop();
                    continue;
                }
                SortedDirs.Entry child = frame.dir().get(frame.next()[0]++);
                String key = frame.dirKey() + child.name();
                if (!child.name().isEmpty() && outside(key)) {
                    continue; // neither the file nor anything under the directory of this name is listed
                }
                BasicFileAttributes attrs = describe(child);
                if (attrs == null) {
                    continue;
                }
                if (attrs.isDirectory()) {
                    String dirKey = key + "/";
                    if (!pruned(dirKey)) {
                        push(dirKey, child.path());
                    }
                } else {
                    return new WalkEntry(key, child.path(), attrs);
                }
            }
            return null;
        }

        /** Enters a directory at its first entry that can lie after the cursor. */
        private void push(String dirKey, Path dir) throws IOException {
            SortedDirs.SortedDir sorted = sortedDirs.read(dir, dirKey.isEmpty());
            int start = 0;
            if (after != null && after.marker().startsWith(dirKey) && after.marker().length() > dirKey.length()) {
                String rest = after.marker().substring(dirKey.length());
                int slash = rest.indexOf('/');
                start = sorted.lowerBound(slash < 0 ? rest : rest.substring(0, slash));
            }
            stack.push(new Frame(dirKey, sorted, new int[] {start}));
        }

        /**
         * Whether no key this name can stand for (the file {@code key}, or keys under {@code key/})
         * is listed: outside the prefix, or not after the cursor. Decided from the name alone.
         */
        private boolean outside(String key) {
            if (!key.startsWith(prefix) && !prefix.startsWith(key)) {
                return true;
            }
            if (after == null) {
                return false;
            }
            String dirKey = key + "/";
            return UfsKeys.compareUtf8(dirKey, after.marker()) < 0 && !after.marker().startsWith(dirKey);
        }

        /**
         * Whether a directory whose name {@link #outside} let through holds nothing to list: outside
         * the prefix once its {@code /} is counted, already rolled up, or wholly covered by a cursor
         * that is a common prefix.
         */
        private boolean pruned(String dirKey) {
            return (!dirKey.startsWith(prefix) && !prefix.startsWith(dirKey))
                    || (skipPrefix != null && dirKey.startsWith(skipPrefix))
                    || (after != null && after.isPrefix() && dirKey.startsWith(after.marker()));
        }

        /**
         * The entry's attributes, read now, or null when it is gone or is neither a regular file nor a
         * directory (a symbolic link counts as its target's file when that lies inside the root;
         * linked directories are not followed, so there are no cycles; a folder marker is a file).
         */
        private BasicFileAttributes describe(SortedDirs.Entry child) throws IOException {
            BasicFileAttributes attrs = attributesOrNull(child.path(), LinkOption.NOFOLLOW_LINKS);
            if (attrs != null && attrs.isSymbolicLink()) {
                attrs = linkedFileOrNull(child.path());
            } else if (attrs != null && !attrs.isDirectory() && !attrs.isRegularFile()) {
                attrs = null;
            }
            return attrs != null && child.name().isEmpty() && !attrs.isRegularFile() ? null : attrs;
        }

        private BasicFileAttributes linkedFileOrNull(Path p) throws IOException {
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException e) {
                return null;
            }
            BasicFileAttributes target = attributesOrNull(real);
            return real.startsWith(root) && target != null && target.isRegularFile() ? target : null;
        }
    }
}
