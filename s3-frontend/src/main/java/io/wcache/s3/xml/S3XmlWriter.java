package io.wcache.s3.xml;

import io.wcache.core.cache.ObjectChecksum;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.request.ListParams;
import io.wcache.s3.request.PercentCodec;
import io.wcache.s3.xml.S3XmlModel.BucketEntry;
import io.wcache.s3.xml.S3XmlModel.DeleteError;
import io.wcache.s3.xml.S3XmlModel.DeleteResult;
import io.wcache.s3.xml.S3XmlModel.ListPage;
import io.wcache.s3.xml.S3XmlModel.ObjectEntry;
import io.wcache.s3.xml.S3XmlModel.Owner;
import io.wcache.s3.xml.S3XmlModel.PartEntry;
import io.wcache.s3.xml.S3XmlModel.UploadEntry;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Writes the S3 response documents, element for element as S3 does (names, order, timestamp
 * formats), so that SDK unmarshallers and awscli/boto3 read them unchanged. With
 * {@code encoding-type=url}, keys, prefixes, delimiters and markers are URL-encoded and the
 * document says so in {@code <EncodingType>}.
 */
public final class S3XmlWriter {
    private S3XmlWriter() {
    }

    /** ListAllMyBucketsResult. */
    public static byte[] listBuckets(Owner owner, List<BucketEntry> buckets) {
        XmlWriter w = new XmlWriter().root("ListAllMyBucketsResult");
        owner(w, owner);
        w.start("Buckets");
        for (BucketEntry b : buckets) {
            w.start("Bucket").element("Name", b.name())
                    .element("CreationDate", S3Timestamps.iso8601(b.creationDate())).end();
        }
        return w.end().end().toBytes();
    }

    /** ListBucketResult of ListObjects (v1), without owners. */
    public static byte[] listObjectsV1(String bucket, ListParams p, ListPage page) {
        return listObjectsV1(bucket, p, page, Optional.empty());
    }

    /** ListBucketResult of ListObjects (v1); S3 names each object's owner in a v1 listing. */
    public static byte[] listObjectsV1(String bucket, ListParams p, ListPage page, Optional<Owner> owner) {
        UnaryOperator<String> enc = encoder(p.urlEncoded());
        // As S3: a v1 listing's own Prefix is not URL-encoded (botocore decodes only the others).
        XmlWriter w = new XmlWriter().root("ListBucketResult").element("Name", bucket)
                .element("Prefix", p.prefix())
                .element("Marker", enc.apply(p.marker().orElse("")));
        if (page.truncated() && page.next().isPresent() && p.delimiter().isPresent()) {
            w.element("NextMarker", enc.apply(page.next().get()));
        }
        w.element("MaxKeys", p.maxKeys());
        p.delimiter().ifPresent(d -> w.element("Delimiter", enc.apply(d)));
        if (p.urlEncoded()) {
            w.element("EncodingType", "url");
        }
        w.element("IsTruncated", page.truncated());
        contents(w, page, enc, owner);
        return w.end().toBytes();
    }

    /** ListBucketResult of ListObjectsV2. */
    public static byte[] listObjectsV2(String bucket, ListParams p, ListPage page, Optional<Owner> owner) {
        UnaryOperator<String> enc = encoder(p.urlEncoded());
        XmlWriter w = new XmlWriter().root("ListBucketResult").element("Name", bucket)
                .element("Prefix", enc.apply(p.prefix()))
                .element("KeyCount", page.contents().size() + page.commonPrefixes().size())
                .element("MaxKeys", p.maxKeys());
        p.delimiter().ifPresent(d -> w.element("Delimiter", enc.apply(d)));
        if (p.urlEncoded()) {
            w.element("EncodingType", "url");
        }
        w.element("IsTruncated", page.truncated());
        p.continuationToken().ifPresent(t -> w.element("ContinuationToken", t));
        if (page.truncated()) {
            page.next().ifPresent(t -> w.element("NextContinuationToken", t));
        }
        p.startAfter().ifPresent(s -> w.element("StartAfter", enc.apply(s)));
        contents(w, page, enc, p.fetchOwner() ? owner : Optional.empty());
        return w.end().toBytes();
    }

    /** CopyObjectResult. */
    public static byte[] copyObjectResult(String etag, Instant lastModified) {
        return copyObjectResult(etag, lastModified, Optional.empty());
    }

    /** CopyObjectResult with the copy's checksum ({@code ChecksumType} and {@code Checksum<ALGORITHM>}), if any. */
    public static byte[] copyObjectResult(String etag, Instant lastModified, Optional<ObjectChecksum> checksum) {
        XmlWriter w = new XmlWriter().root("CopyObjectResult")
                .element("LastModified", S3Timestamps.iso8601(lastModified))
                .element("ETag", etag);
        checksum.ifPresent(c -> w.element("ChecksumType", c.type()).element("Checksum" + c.algorithm(), c.value()));
        return w.end().toBytes();
    }

    /** CopyPartResult of UploadPartCopy. */
    public static byte[] copyPartResult(String etag, Instant lastModified) {
        return copyPartResult(etag, lastModified, Optional.empty());
    }

    /** CopyPartResult with the part's checksum ({@code Checksum<ALGORITHM>}), if any. */
    public static byte[] copyPartResult(String etag, Instant lastModified, Optional<ObjectChecksum> checksum) {
        XmlWriter w = new XmlWriter().root("CopyPartResult")
                .element("LastModified", S3Timestamps.iso8601(lastModified))
                .element("ETag", etag);
        checksum.ifPresent(c -> checksumElement(w, c));
        return w.end().toBytes();
    }

    /** {@code Checksum<ALGORITHM>} of a stored checksum (in parts, results and attributes). */
    public static void checksumElement(XmlWriter w, ObjectChecksum c) {
        w.element("Checksum" + c.algorithm(), c.value());
    }

    /** InitiateMultipartUploadResult. */
    public static byte[] initiateMultipartUpload(String bucket, String key, String uploadId) {
        return new XmlWriter().root("InitiateMultipartUploadResult").element("Bucket", bucket)
                .element("Key", key).element("UploadId", uploadId).end().toBytes();
    }

    /** CompleteMultipartUploadResult. */
    public static byte[] completeMultipartUpload(String location, String bucket, String key, String etag) {
        return completeMultipartUpload(location, bucket, key, etag, Optional.empty());
    }

    /** CompleteMultipartUploadResult with the object's checksum and its {@code ChecksumType}, if any. */
    public static byte[] completeMultipartUpload(String location, String bucket, String key, String etag,
                                                 Optional<ObjectChecksum> checksum) {
        XmlWriter w = new XmlWriter().root("CompleteMultipartUploadResult").element("Location", location)
                .element("Bucket", bucket).element("Key", key).element("ETag", etag);
        checksum.ifPresent(c -> w.element("Checksum" + c.algorithm(), c.value()).element("ChecksumType", c.type()));
        return w.end().toBytes();
    }

    /**
     * ListPartsResult.
     *
     * @param p    {@code marker} is the part-number-marker, {@code maxKeys} the max-parts
     * @param next the next part-number-marker when truncated
     */
    public static byte[] listParts(String bucket, String key, String uploadId, ListParams p, List<PartEntry> parts,
                                   boolean truncated, Optional<Integer> next, Owner owner) {
        return listParts(bucket, key, uploadId, p, parts, truncated, next, owner, Optional.empty());
    }

    /** ListPartsResult of an upload created with a checksum algorithm ({@code ChecksumAlgorithm}, {@code ChecksumType}). */
    public static byte[] listParts(String bucket, String key, String uploadId, ListParams p, List<PartEntry> parts,
                                   boolean truncated, Optional<Integer> next, Owner owner,
                                   Optional<ObjectChecksum> uploadChecksum) {
        XmlWriter w = new XmlWriter().root("ListPartsResult").element("Bucket", bucket)
                .element("Key", p.urlEncoded() ? encodeKey(key) : key).element("UploadId", uploadId);
        w.start("Initiator").element("ID", owner.id()).element("DisplayName", owner.displayName()).end();
        owner(w, owner);
        w.element("StorageClass", "STANDARD")
                .element("PartNumberMarker", p.marker().orElse("0"))
                .element("NextPartNumberMarker", next.map(String::valueOf)
                        .orElse(parts.isEmpty() ? "0" : String.valueOf(parts.get(parts.size() - 1).partNumber())))
                .element("MaxParts", p.maxKeys())
                .element("IsTruncated", truncated);
        for (PartEntry part : parts) {
            w.start("Part").element("PartNumber", part.partNumber())
                    .element("LastModified", S3Timestamps.iso8601(part.lastModified()))
                    .element("ETag", part.etag()).element("Size", part.size());
            part.checksum().ifPresent(c -> checksumElement(w, c));
            w.end();
        }
        uploadChecksum.ifPresent(c -> w.element("ChecksumAlgorithm", c.algorithm()).element("ChecksumType", c.type()));
        return w.end().toBytes();
    }

    /**
     * ListMultipartUploadsResult.
     *
     * @param p               {@code marker} is the key-marker, {@code continuationToken} the upload-id-marker
     * @param nextKeyMarker   the next key-marker when truncated
     * @param nextUploadIdMarker the next upload-id-marker when truncated
     */
    public static byte[] listMultipartUploads(String bucket, ListParams p, List<UploadEntry> uploads,
                                              List<String> commonPrefixes, boolean truncated,
                                              Optional<String> nextKeyMarker, Optional<String> nextUploadIdMarker,
                                              Owner owner) {
        UnaryOperator<String> enc = encoder(p.urlEncoded());
        XmlWriter w = new XmlWriter().root("ListMultipartUploadsResult").element("Bucket", bucket)
                .element("KeyMarker", enc.apply(p.marker().orElse("")))
                .element("UploadIdMarker", p.continuationToken().orElse(""))
                .element("NextKeyMarker", enc.apply(nextKeyMarker.orElse("")))
                .element("NextUploadIdMarker", nextUploadIdMarker.orElse(""))
                .element("Prefix", enc.apply(p.prefix()));
        p.delimiter().ifPresent(d -> w.element("Delimiter", enc.apply(d)));
        if (p.urlEncoded()) {
            w.element("EncodingType", "url");
        }
        w.element("MaxUploads", p.maxKeys()).element("IsTruncated", truncated);
        for (UploadEntry u : uploads) {
            w.start("Upload").element("Key", enc.apply(u.key())).element("UploadId", u.uploadId());
            w.start("Initiator").element("ID", owner.id()).element("DisplayName", owner.displayName()).end();
            owner(w, owner);
            w.element("StorageClass", "STANDARD").element("Initiated", S3Timestamps.iso8601(u.initiated())).end();
        }
        for (String cp : commonPrefixes) {
            w.start("CommonPrefixes").element("Prefix", enc.apply(cp)).end();
        }
        return w.end().toBytes();
    }

    /** DeleteResult; in quiet mode only errors are listed. */
    public static byte[] deleteResult(DeleteResult result, boolean quiet) {
        XmlWriter w = new XmlWriter().root("DeleteResult");
        if (!quiet && !result.versions().isEmpty()) {
            for (S3XmlModel.Deleted d : result.versions()) {
                w.start("Deleted").element("Key", d.key());
                if (!d.versionId().isEmpty()) {
                    w.element("VersionId", d.versionId());
                }
                if (d.deleteMarker()) {
                    w.element("DeleteMarker", true);
                    if (!d.deleteMarkerVersionId().isEmpty()) {
                        w.element("DeleteMarkerVersionId", d.deleteMarkerVersionId());
                    }
                }
                w.end();
            }
        } else if (!quiet) {
            for (String key : result.deleted()) {
                w.start("Deleted").element("Key", key).end();
            }
        }
        for (DeleteError e : result.errors()) {
            w.start("Error").element("Key", e.key()).element("Code", e.code()).element("Message", e.message()).end();
        }
        return w.end().toBytes();
    }

    /** LocationConstraint; S3 answers {@code us-east-1} with an empty element. */
    public static byte[] bucketLocation(String region) {
        return new XmlWriter().root("LocationConstraint").text("us-east-1".equals(region) ? "" : region).end().toBytes();
    }

    /** The error document. */
    public static byte[] error(S3Error error, String requestId) {
        return new XmlWriter().start("Error").element("Code", error.code().code())
                .element("Message", error.message())
                .element("Resource", error.resource())
                .element("RequestId", requestId).end().toBytes();
    }

    /** {@code encoding-type=url} encoding: UTF-8 percent-encoding keeping {@code /}. */
    public static String encodeKey(String key) {
        return PercentCodec.encode(key, true);
    }

    private static UnaryOperator<String> encoder(boolean urlEncoded) {
        return urlEncoded ? S3XmlWriter::encodeKey : UnaryOperator.identity();
    }

    private static void contents(XmlWriter w, ListPage page, UnaryOperator<String> enc, Optional<Owner> owner) {
        for (ObjectEntry o : page.contents()) {
            w.start("Contents").element("Key", enc.apply(o.key()))
                    .element("LastModified", S3Timestamps.iso8601(o.lastModified()))
                    .element("ETag", o.etag()).element("Size", o.size());
            owner.ifPresent(ow -> owner(w, ow));
            w.element("StorageClass", o.storageClass()).end();
        }
        for (String cp : page.commonPrefixes()) {
            w.start("CommonPrefixes").element("Prefix", enc.apply(cp)).end();
        }
    }

    private static void owner(XmlWriter w, Owner owner) {
        w.start("Owner").element("ID", owner.id()).element("DisplayName", owner.displayName()).end();
    }
}
