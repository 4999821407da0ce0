package io.wcache.properties.cache;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The same commands as {@link WorkerChild}, sent through the worker's S3 endpoint with the AWS
 * SDK v2 (SigV4, its default flexible checksums, no retries), and answered in the same reply
 * format, so every action can run through either route. S3 error codes map back to the error
 * kinds of the core model (SlowDown = OUT_OF_SPACE, AccessDenied = READ_ONLY, ...).
 */
final class S3Route implements AutoCloseable {

    private static final String BUCKET = WorkerChild.MOUNT.substring(1);

    private final S3Client client;

    S3Route(int port) {
        client = S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + port))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(WorkerChild.S3_ACCESS_KEY, WorkerChild.S3_SECRET_KEY)))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()).apiCallTimeout(Duration.ofSeconds(60)))
                .build();
    }

    String execute(String[] c) {
        try {
            return switch (c[0]) {
                case "PUT" -> {
                    PutObjectResponse r = client.putObject(b -> b.bucket(BUCKET).key(c[1]),
                            RequestBody.fromBytes(Bodies.bytes(Long.parseLong(c[3]), Integer.parseInt(c[2]))));
                    yield "OK " + unquote(r.eTag());
                }
                case "GET" -> {
                    long offset = Long.parseLong(c[2]);
                    int length = Integer.parseInt(c[3]);
                    String range = length < 0 ? (offset == 0 ? null : "bytes=" + offset + "-")
                            : length == 0 ? null : "bytes=" + offset + "-" + (offset + length - 1);
                    ResponseBytes<GetObjectResponse> r = client.getObjectAsBytes(b -> b.bucket(BUCKET).key(c[1]).range(range));
                    byte[] got = r.asByteArray();
                    long size = r.response().contentRange() == null ? got.length
                            : Long.parseLong(r.response().contentRange().substring(r.response().contentRange().indexOf('/') + 1));
                    if (length == 0) {
                        got = new byte[0];
                    }
                    yield "OK " + size + " " + Bodies.md5(got);
                }
                case "MPUT" -> "OK " + multipart(c[1], Integer.parseInt(c[2]), Long.parseLong(c[3]));
                case "MPARTS" -> "OK " + uploadParts(c[1], Integer.parseInt(c[2]), Long.parseLong(c[3]));
                case "MCOMPLETE" -> "OK " + complete(c[1], c[2], c[3]);
                case "HEAD" -> {
                    HeadObjectResponse r = client.headObject(b -> b.bucket(BUCKET).key(c[1]));
                    yield "OK " + r.contentLength() + " " + unquote(r.eTag());
                }
                case "DEL" -> {
                    client.deleteObject(b -> b.bucket(BUCKET).key(c[1]));
                    yield "OK unknown";
                }
                case "DELS" -> {
                    List<ObjectIdentifier> ids = new ArrayList<>();
                    for (String k : c[1].split(",")) {
                        ids.add(ObjectIdentifier.builder().key(k).build());
                    }
                    var r = client.deleteObjects(b -> b.bucket(BUCKET).delete(d -> d.objects(ids)));
                    yield r.errors().isEmpty() ? "OK" : "ERR " + kind(r.errors().get(0).code()) + " " + r.errors();
                }
                case "LIST" -> {
                    String prefix = c[1].equals("-") ? "" : c[1];
                    String delimiter = c[2].equals("-") ? null : c[2];
                    int page = Integer.parseInt(c[3]);
                    List<String> objects = new ArrayList<>();
                    List<String> prefixes = new ArrayList<>();
                    String token = null;
                    int pages = 0;
                    do {
                        String t = token;
                        ListObjectsV2Response r = client.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)
                                .delimiter(delimiter).maxKeys(page).continuationToken(t));
                        if (r.contents().size() + r.commonPrefixes().size() > page) {
                            yield "ERR INVALID_ARGUMENT page of " + page + " holds more";
                        }
                        r.contents().stream().map(S3Object::key).forEach(objects::add);
                        r.commonPrefixes().stream().map(CommonPrefix::prefix).forEach(prefixes::add);
                        token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
                        if (++pages > 10_000) {
                            yield "ERR INVALID_ARGUMENT listing does not end";
                        }
                    } while (token != null);
                    yield "OK " + String.join(",", objects) + "|" + String.join(",", prefixes);
                }
                default -> "ERR INVALID_ARGUMENT no S3 route for " + c[0];
            };
        } catch (S3Exception e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            if (code == null && e.statusCode() == 404) {
                code = "NoSuchKey";
            }
            if (code == null && e.statusCode() == 503) {
                // a HEAD error has no body to carry the code; 503 is what the worker answers during an outage
                code = "ServiceUnavailable";
            }
            return "ERR " + kind(code) + " " + e.statusCode() + " " + code;
        } catch (SdkClientException e) {
            return "ERR CLIENT " + e.getMessage();
        }
    }

    /** A multipart upload of the body (seed, size) in {@link Bodies#PART_SIZE} parts; aborted if any step fails. */
    private String multipart(String key, int size, long seed) {
        byte[] body = Bodies.bytes(seed, size);
        String uploadId = client.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        try {
            List<software.amazon.awssdk.services.s3.model.CompletedPart> parts = new ArrayList<>();
            int n = 1;
            for (int off = 0; off < body.length || n == 1; off += Bodies.PART_SIZE, n++) {
                int len = Math.min(Bodies.PART_SIZE, body.length - off);
                int part = n;
                String etag = client.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(uploadId).partNumber(part),
                        RequestBody.fromBytes(java.util.Arrays.copyOfRange(body, off, off + len))).eTag();
                parts.add(software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(part).eTag(etag).build());
            }
            return unquote(client.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(uploadId)
                    .multipartUpload(u -> u.parts(parts))).eTag());
        } catch (RuntimeException e) {
            try {
                client.abortMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(uploadId));
            } catch (RuntimeException ignored) {
                // the upload may already be gone (completed as the failure arrived, or the worker refused it)
            }
            throw e;
        }
    }

    /**
     * Starts a multipart upload of the body (seed, size) and uploads its parts without completing
     * it: {@code <uploadId> <n>:<etag>,...}. Aborted if any step fails, so a refusal leaves nothing pinned.
     */
    private String uploadParts(String key, int size, long seed) {
        byte[] body = Bodies.bytes(seed, size);
        String uploadId = client.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        try {
            List<String> parts = new ArrayList<>();
            int n = 1;
            for (int off = 0; off < body.length || n == 1; off += Bodies.PART_SIZE, n++) {
                int len = Math.min(Bodies.PART_SIZE, body.length - off);
                int part = n;
                String etag = client.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(uploadId).partNumber(part),
                        RequestBody.fromBytes(java.util.Arrays.copyOfRange(body, off, off + len))).eTag();
                parts.add(part + ":" + unquote(etag));
            }
            return uploadId + " " + String.join(",", parts);
        } catch (RuntimeException e) {
            abortQuietly(key, uploadId);
            throw e;
        }
    }

    /** Completes an upload from {@link #uploadParts} (parts as {@code <n>:<etag>,...}); aborted if that fails. */
    private String complete(String key, String uploadId, String partList) {
        List<software.amazon.awssdk.services.s3.model.CompletedPart> parts = new ArrayList<>();
        for (String p : partList.split(",")) {
            int colon = p.indexOf(':');
            parts.add(software.amazon.awssdk.services.s3.model.CompletedPart.builder()
                    .partNumber(Integer.parseInt(p.substring(0, colon))).eTag("\"" + p.substring(colon + 1) + "\"").build());
        }
        try {
            return unquote(client.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(uploadId)
                    .multipartUpload(u -> u.parts(parts))).eTag());
        } catch (RuntimeException e) {
            abortQuietly(key, uploadId);
            throw e;
        }
    }

    private void abortQuietly(String key, String uploadId) {
        try {
            client.abortMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(uploadId));
        } catch (RuntimeException ignored) {
            // the upload may already be gone (completed as the failure arrived, or the worker refused it)
        }
    }

    private static String kind(String s3Code) {
        if (s3Code == null) {
            return "UNKNOWN";
        }
        return switch (s3Code) {
            case "NoSuchKey" -> "NOT_FOUND";
            case "AccessDenied" -> "READ_ONLY";
            case "SlowDown" -> "OUT_OF_SPACE";
            case "ServiceUnavailable" -> "UNAVAILABLE";
            default -> "S3-" + s3Code;
        };
    }

    private static String unquote(String etag) {
        return etag == null ? null : etag.replace("\"", "");
    }

    @Override
    public void close() {
        client.close();
    }
}
