package io.wcache.worker.cluster;

import com.google.protobuf.ByteString;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.error.FailureCause;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.catalog.Extent;
import io.wcache.worker.cluster.proto.ClusterMessages;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Conversions between core's values and the internal transport's messages, in one place. */
final class Wire {

    private Wire() {
    }

    static ClusterMessages.Info info(ObjectInfo i) {
        ClusterMessages.Info.Builder b = ClusterMessages.Info.newBuilder().setPath(i.path().toString())
                .setSize(i.size()).setEtag(i.etag()).setLastModifiedMs(i.lastModified().toEpochMilli())
                .setContentType(i.contentType()).putAllUserMetadata(i.userMetadata())
                .setPersistStatus(i.persistStatus().name()).setGeneration(i.generation())
                .addAllPartSizes(i.partSizes()).putAllStandardHeaders(i.standardHeaders()).putAllTags(i.tags())
                .addAllPartChecksums(i.partChecksums());
        i.checksum().ifPresent(c -> b.setChecksum(checksum(c)));
        if (i.policy() != null) {
            b.setPolicy(i.policy().name());
        }
        return b.build();
    }

    static ObjectInfo info(ClusterMessages.Info m) {
        return new ObjectInfo(NamespacePath.of(m.getPath()), m.getSize(), m.getEtag(),
                Instant.ofEpochMilli(m.getLastModifiedMs()), m.getContentType(), m.getUserMetadataMap(),
                PersistStatus.valueOf(m.getPersistStatus()),
                m.getPolicy().isEmpty() ? null : WritePolicy.valueOf(m.getPolicy()), m.getGeneration(),
                m.getPartSizesList(), m.getStandardHeadersMap(), m.getTagsMap(),
                m.hasChecksum() ? Optional.of(checksum(m.getChecksum())) : Optional.empty(), m.getPartChecksumsList());
    }

    static ClusterMessages.Checksum checksum(ObjectChecksum c) {
        return ClusterMessages.Checksum.newBuilder().setAlgorithm(c.algorithm()).setType(c.type())
                .setValue(c.value()).build();
    }

    static ObjectChecksum checksum(ClusterMessages.Checksum m) {
        return new ObjectChecksum(m.getAlgorithm(), m.getType(), m.getValue());
    }

    static ClusterMessages.Options options(WriteOptions o) {
        ClusterMessages.Options.Builder b = ClusterMessages.Options.newBuilder()
                .putAllUserMetadata(o.userMetadata()).setIfNoneMatch(o.ifNoneMatch())
                .putAllStandardHeaders(o.standardHeaders()).addAllIfMatch(o.ifMatch()).putAllTags(o.tags());
        if (o.contentType() != null) {
            b.setHasContentType(true).setContentType(o.contentType());
        }
        o.expectedMd5().ifPresent(md5 -> b.setHasExpectedMd5(true).setExpectedMd5(ByteString.copyFrom(md5)));
        o.checksum().ifPresent(c -> b.setChecksum(checksum(c)));
        return b.build();
    }

    static WriteOptions options(ClusterMessages.Options m) {
        return new WriteOptions(m.getHasContentType() ? m.getContentType() : null, m.getUserMetadataMap(),
                m.getHasExpectedMd5() ? Optional.of(m.getExpectedMd5().toByteArray()) : Optional.empty(),
                m.getIfNoneMatch(), m.getStandardHeadersMap(), m.getIfMatchList(), m.getTagsMap(),
                m.hasChecksum() ? Optional.of(checksum(m.getChecksum())) : Optional.empty());
    }

    static ClusterMessages.ExtentRef extent(Extent e) {
        return ClusterMessages.ExtentRef.newBuilder().setFileId(e.fileId()).setOffset(e.offset())
                .setSegment(e.segment()).setPosition(e.position()).setLength(e.length()).setCrc32C(e.crc32c()).build();
    }

    static Extent extent(ClusterMessages.ExtentRef m, String worker) {
        return new Extent(m.getFileId(), m.getOffset(), worker, m.getSegment(), m.getPosition(), m.getLength(),
                m.getCrc32C());
    }

    static List<Extent> extents(ClusterMessages.Release r, String worker) {
        return r.getExtentsList().stream().map(e -> extent(e, worker)).toList();
    }

    /** A failure as sent back: core's error kinds keep their kind; anything else becomes Unavailable. */
    static ClusterMessages.Failure failure(Throwable t) {
        Throwable e = FailureCause.of(t);
        ClusterMessages.Failure.Builder b = ClusterMessages.Failure.newBuilder();
        if (e instanceof WcacheException w) {
            b.setKind(w.kind().name()).setMessage(String.valueOf(w.getMessage()));
            if (w.subject() != null) {
                b.setSubject(w.subject());
            }
            if (w instanceof WcacheException.OutOfSpace o && o.retryAfter() != null) {
                b.setRetryAfterMs(o.retryAfter().toMillis());
            }
        } else {
            b.setKind("UNAVAILABLE").setMessage("the owner failed: " + e);
        }
        return b.build();
    }

    /** The exception a failure stands for, rebuilt on the forwarding worker. */
    static WcacheException failure(ClusterMessages.Failure f) {
        String s = f.getSubject().isEmpty() ? null : f.getSubject();
        String m = f.getMessage();
        return switch (f.getKind()) {
            case "NOT_FOUND" -> new WcacheException.NotFound(s, m);
            case "ALREADY_EXISTS" -> new WcacheException.AlreadyExists(s, m);
            case "READ_ONLY" -> new WcacheException.ReadOnly(s, m);
            case "OUT_OF_SPACE" -> new WcacheException.OutOfSpace(s, m, Duration.ofMillis(f.getRetryAfterMs()));
            case "INVALID_ARGUMENT" -> new WcacheException.InvalidArgument(s, m);
            case "INVALID_PATH" -> new WcacheException.InvalidPath(s, m);
            case "CONFLICT" -> new WcacheException.Conflict(s, m);
            case "CORRUPTION" -> new WcacheException.Corruption(s, m);
            default -> new WcacheException.Unavailable(s, m, null);
        };
    }
}
