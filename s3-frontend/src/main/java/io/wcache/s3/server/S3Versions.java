package io.wcache.s3.server;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.s3.auth.S3User;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.ListParams;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.xml.S3Timestamps;
import io.wcache.s3.xml.S3XmlWriter;
import io.wcache.s3.xml.XmlWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * S3 bucket versioning in the frontend (docs/S3-COMPATIBILITY.md, Versioning): the version a
 * request names ({@code ?versionId=}, a copy source's {@code versionId}) resolved to the path that
 * holds it (the object's own path for its current version, else its archive path), and
 * ListObjectVersions of a bucket with archived versions.
 */
final class S3Versions {

    static final String VERSION_ID_HEADER = "x-amz-version-id";
    static final String DELETE_MARKER_HEADER = "x-amz-delete-marker";

    /** Archived versions read per listing: a versions listing holds every version under its prefix. */
    private static final int MAX_ARCHIVED = 10_000;

    private final CacheService cache;

    S3Versions(CacheService cache) {
        this.cache = cache;
    }

    /** The {@code versionId} query parameter of a request. */
    static Optional<String> requested(S3Request r) {
        return r.query().first("versionId");
    }

    /**
     * The path holding version {@code versionId} of the object at {@code path}: the path itself
     * without a version id or for its current version, else the version's archive path. An unknown
     * id is {@code 404 NoSuchVersion} ({@code 400 InvalidArgument} when it is not a version id at
     * all); a delete marker is {@code 405 MethodNotAllowed}, as on S3.
     */
    CompletableFuture<NamespacePath> resolve(NamespacePath path, Optional<String> versionId, String resource) {
        if (versionId.isEmpty()) {
            return CompletableFuture.completedFuture(path);
        }
        String vid = versionId.get();
        if (!ObjectVersions.isVersionId(vid)) {
            return CompletableFuture.failedFuture(new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT,
                    "Invalid version id specified", resource)));
        }
        return cache.stat(path).thenCompose(current -> {
            if (current.isPresent() && sameVersion(current.get().versionId(), vid)) {
                return CompletableFuture.completedFuture(path);
            }
            NamespacePath archive;
            try {
                archive = ObjectVersions.archivePath(path, vid);
            } catch (io.wcache.core.error.WcacheException e) {
                throw new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_VERSION, null, resource));
            }
            return cache.stat(archive).thenApply(found -> {
                if (found.isEmpty()) {
                    throw new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_VERSION, null, resource));
                }
                if (found.get().deleteMarker()) {
                    throw new S3Exception(S3Error.of(S3ErrorCode.METHOD_NOT_ALLOWED,
                            "The specified method is not allowed against a delete marker", resource)
                            .withHeader(DELETE_MARKER_HEADER, "true").withHeader(VERSION_ID_HEADER, vid));
                }
                return archive;
            });
        });
    }

    /**
     * A {@code 404 NoSuchKey} for a GET or HEAD of {@code path} without a version id: when the
     * object's latest version is a delete marker, it says so ({@code x-amz-delete-marker},
     * {@code x-amz-version-id}), as S3 does.
     */
    CompletableFuture<S3Exception> noSuchKey(NamespacePath path, String resource) {
        S3Error plain = S3Error.of(S3ErrorCode.NO_SUCH_KEY, null, resource);
        String key = path.relativeToMount();
        return cache.archivedVersions(path.mountName(), key, "", 1000).handle((list, e) -> {
            if (e != null || list == null) {
                return new S3Exception(plain);
            }
            Optional<ObjectInfo> newest = list.stream()
                    .filter(o -> ObjectVersions.parse(o.path()).map(a -> a.objectPath().equals(path)).orElse(false))
                    .max(Comparator.comparing(ObjectInfo::lastModified).thenComparing(ObjectInfo::generation));
            return newest.filter(ObjectInfo::deleteMarker)
                    .map(m -> new S3Exception(plain.withHeader(DELETE_MARKER_HEADER, "true")
                            .withHeader(VERSION_ID_HEADER, idOf(m.versionId()))))
                    .orElse(new S3Exception(plain));
        });
    }

    /** Whether a stored version id (empty: null) is the id a client names ({@code "null"}: null). */
    static boolean sameVersion(String stored, String named) {
        return stored.isEmpty() ? ObjectVersions.NULL_VERSION.equals(named) : stored.equals(named);
    }

    /** One version as ListObjectVersions lists it. */
    private record Entry(String key, ObjectInfo info, String versionId, boolean latest) {
    }

    /**
     * ListObjectVersions of a bucket that has archived versions: every current object and archived
     * version (delete markers included) under the prefix, by key, newest first within a key, after
     * {@code key-marker} / {@code version-id-marker}, grouped under the delimiter.
     */
    CompletableFuture<byte[]> list(String bucket, ListParams p, S3User owner) {
        NamespacePath mount = NamespacePath.of("/" + bucket);
        return currents(mount, p.prefix(), "", new ArrayList<>())
                .thenCombine(cache.archivedVersions(bucket, p.prefix(), "", MAX_ARCHIVED),
                        (current, archived) -> xml(bucket, p, owner, entries(current, archived)));
    }

    /** Whether the bucket has archived versions under {@code prefix}. */
    CompletableFuture<Boolean> anyArchived(String bucket, String prefix) {
        return cache.archivedVersions(bucket, prefix, "", 1).thenApply(l -> !l.isEmpty());
    }

    private CompletableFuture<List<ObjectInfo>> currents(NamespacePath mount, String prefix, String after,
                                                         List<ObjectInfo> into) {
        return cache.list(new ListQuery(mount, prefix, "", after, ListParams.MAX_KEYS, Optional.empty()))
                .thenCompose(l -> {
                    into.addAll(l.objects());
                    if (!l.truncated() || l.objects().isEmpty() || into.size() >= MAX_ARCHIVED) {
                        return CompletableFuture.completedFuture(into);
                    }
                    return currents(mount, prefix, l.objects().get(l.objects().size() - 1).path().relativeToMount(),
                            into);
                });
    }

    private static List<Entry> entries(List<ObjectInfo> current, List<ObjectInfo> archived) {
        TreeMap<String, List<Entry>> byKey = new TreeMap<>(NamespacePath::compareCodePoints);
        for (ObjectInfo o : current) {
            String key = o.path().relativeToMount();
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new Entry(key, o, idOf(o.versionId()), true));
        }
        TreeMap<String, List<ObjectInfo>> older = new TreeMap<>(NamespacePath::compareCodePoints);
        for (ObjectInfo o : archived) {
            ObjectVersions.parse(o.path()).ifPresent(a -> older.computeIfAbsent(a.objectPath().relativeToMount(),
                    k -> new ArrayList<>()).add(o));
        }
        older.forEach((key, versions) -> {
            versions.sort(Comparator.comparing(ObjectInfo::lastModified).reversed()
                    .thenComparing(Comparator.comparing(ObjectInfo::generation).reversed()));
            List<Entry> list = byKey.computeIfAbsent(key, k -> new ArrayList<>());
            boolean latest = list.isEmpty();
            for (ObjectInfo o : versions) {
                list.add(new Entry(key, o, ObjectVersions.parse(o.path()).orElseThrow().versionId(), latest));
                latest = false;
            }
        });
        List<Entry> out = new ArrayList<>();
        byKey.values().forEach(out::addAll);
        return out;
    }

    private static String idOf(String versionId) {
        return versionId.isEmpty() ? ObjectVersions.NULL_VERSION : versionId;
    }

    private static byte[] xml(String bucket, ListParams p, S3User owner, List<Entry> all) {
        UnaryOperator<String> enc = p.urlEncoded() ? S3XmlWriter::encodeKey : UnaryOperator.identity();
        String keyMarker = p.marker().orElse("");
        String vidMarker = p.continuationToken().orElse("");
        List<Object> page = new ArrayList<>(); // Entry or common prefix (String)
        boolean truncated = false;
        String lastPrefix = null;
        boolean skipping = !vidMarker.isEmpty();
        Entry lastEntry = null;
        for (Entry e : all) {
            int cmp = keyMarker.isEmpty() ? 1 : NamespacePath.compareCodePoints(e.key(), keyMarker);
            if (cmp < 0) {
                continue;
            }
            if (cmp == 0) {
                if (!skipping) {
                    continue; // the whole key was listed
                }
                if (e.versionId().equals(vidMarker)) {
                    skipping = false;
                }
                continue;
            }
            String cp = commonPrefix(e.key(), p);
            if (cp != null) {
                if (cp.equals(lastPrefix) || (!keyMarker.isEmpty() && NamespacePath.compareCodePoints(cp, keyMarker) <= 0)) {
                    continue;
                }
                if (page.size() >= p.maxKeys()) {
                    truncated = true;
                    break;
                }
                page.add(cp);
                lastPrefix = cp;
                continue;
            }
            if (page.size() >= p.maxKeys()) {
                truncated = true;
                break;
            }
            page.add(e);
            lastEntry = e;
        }
        XmlWriter w = new XmlWriter().root("ListVersionsResult").element("Name", bucket)
                .element("Prefix", enc.apply(p.prefix()))
                .element("KeyMarker", enc.apply(keyMarker))
                .element("VersionIdMarker", vidMarker);
        if (truncated && !page.isEmpty()) {
            Object last = page.get(page.size() - 1);
            if (last instanceof String cp) {
                w.element("NextKeyMarker", enc.apply(cp));
            } else {
                w.element("NextKeyMarker", enc.apply(lastEntry.key())).element("NextVersionIdMarker",
                        lastEntry.versionId());
            }
        }
        w.element("MaxKeys", p.maxKeys());
        p.delimiter().ifPresent(d -> w.element("Delimiter", enc.apply(d)));
        if (p.urlEncoded()) {
            w.element("EncodingType", "url");
        }
        w.element("IsTruncated", truncated);
        for (Object o : page) {
            if (o instanceof Entry e) {
                ObjectInfo i = e.info();
                w.start(i.deleteMarker() ? "DeleteMarker" : "Version").element("Key", enc.apply(e.key()))
                        .element("VersionId", e.versionId()).element("IsLatest", e.latest())
                        .element("LastModified", S3Timestamps.iso8601(i.lastModified()));
                if (!i.deleteMarker()) {
                    w.element("ETag", S3Handler.quote(i.etag())).element("Size", i.size())
                            .element("StorageClass", "STANDARD");
                }
                w.start("Owner").element("ID", owner.id()).element("DisplayName", owner.displayName()).end();
                w.end();
            }
        }
        for (Object o : page) {
            if (o instanceof String cp) {
                w.start("CommonPrefixes").element("Prefix", enc.apply(cp)).end();
            }
        }
        return w.end().toBytes();
    }

    private static String commonPrefix(String key, ListParams p) {
        if (p.delimiter().isEmpty()) {
            return null;
        }
        String d = p.delimiter().get();
        int i = key.indexOf(d, p.prefix().length());
        return i < 0 ? null : key.substring(0, i + d.length());
    }
}
