package io.wcache.persister.ufs;

import io.wcache.core.cache.StandardHeaders;
import io.wcache.core.digest.Md5;
import io.wcache.core.error.WcacheException;
import io.wcache.persister.async.IdleScheduling;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A UFS on an S3-compatible object store through the AWS SDK v2 (sync client, Apache HTTP client
 * with bounded connect and socket timeouts and a bounded number of attempts). Bodies at or above
 * the multipart threshold are uploaded as parts in parallel on a bounded executor shared by all
 * uploads of this UFS; a failed multipart upload is aborted. Bodies are streamed from the
 * {@link UploadSource} and never held in memory whole.
 */
public final class S3UnderFileSystem implements UnderFileSystem {

    private static final Logger LOG = LoggerFactory.getLogger(S3UnderFileSystem.class);
    private static final int MAX_PARTS = 10_000;
    private static final int MAX_KEYS_PER_PAGE = 1000;

    private final S3UfsConfig config;
    private final URI uri;
    private final String subjectPrefix;
    private final S3Client s3;
    private final ExecutorService partExecutor;

    /** Connects to the bucket described by {@code config}; nothing is sent until the first call. */
    public S3UnderFileSystem(S3UfsConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.uri = config.rootUri();
        this.subjectPrefix = uri + "/";
        AwsCredentialsProvider credentials = config.accessKey()
                .<AwsCredentialsProvider>map(ak -> StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(ak, config.secretKey().orElseThrow())))
                .orElseGet(DefaultCredentialsProvider::create);
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle())
                // The SDK's own MD5 check of uploads is off: DigestingProvider computes the MD5 of what is
                // sent once, and verifyEtag compares it, reports a mismatch as corruption of that object and
                // honours verify.etag=false. With both on, every uploaded byte was hashed twice and a
                // mismatch surfaced as "UFS unreachable".
                //
                // Bodies are not sent in aws-chunked form: over HTTPS the SDK then sends them as they are
                // (UNSIGNED-PAYLOAD), over plain HTTP it signs the whole body's SHA-256, read once before
                // sending. With chunked encoding every upload over HTTP was framed in signed 128 KiB chunks
                // which the store must parse and check again (s3proxy parses them a byte at a time), and
                // S3-compatible stores keep "aws-chunked" as the object's Content-Encoding.
                //
                // An upload whose MD5 is known (UploadSource.md5Hex, a cached version's ETag) carries it as
                // Content-MD5 and is sent UNSIGNED-PAYLOAD also over plain HTTP (UnsignedWhenMd5Signer): the
                // store checks the bytes against the MD5 and refuses them (BadDigest) if they differ, and the
                // client neither hashes nor reads the body before sending it.
                .serviceConfiguration(S3Configuration.builder().checksumValidationEnabled(false)
                        .chunkedEncodingEnabled(false).build())
                .putAuthScheme(UnsignedWhenMd5Signer.authScheme())
                // The 100-continue handshake is the SDK's choice per request (SmallBodyNoExpect), not the
                // HTTP client's: it would otherwise add it to every request with a body.
                .httpClientBuilder(ApacheHttpClient.builder()
                        .connectionTimeout(config.connectTimeout())
                        .socketTimeout(config.socketTimeout())
                        .connectionAcquisitionTimeout(config.socketTimeout())
                        .expectContinueEnabled(false)
                        .maxConnections(config.parallelism() + 16))
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(config.maxAttempts()))
                        .addExecutionInterceptor(new SmallBodyNoExpect())
                        .addExecutionInterceptor(new ClientStageTimer()));
        config.endpoint().ifPresent(builder::endpointOverride);
        this.s3 = builder.build();
        AtomicInteger threads = new AtomicInteger();
        // A part thread starts on demand, from whichever thread uploads: one started during a background
        // upload's transfer inherits the idle scheduling class, so it leaves it before it serves anyone.
        ThreadFactory factory = r -> {
            Runnable normal = () -> {
                IdleScheduling.leave();
                r.run();
            };
            Thread t = new Thread(normal, "s3-ufs-part-" + config.bucket() + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Parts queue here rather than in the caller: the queue holds tasks, not bytes, so it is unbounded safely.
        this.partExecutor = new ThreadPoolExecutor(config.parallelism(), config.parallelism(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), factory);
        ((ThreadPoolExecutor) partExecutor).allowCoreThreadTimeOut(true);
        LOG.info("event=s3_ufs_opened config={}", config);
    }

    /** Parses {@code s3://bucket[/prefix]} and its options and opens the UFS. */
    public static S3UnderFileSystem open(URI uri, Map<String, String> options) {
        return new S3UnderFileSystem(S3UfsConfig.parse(uri, options));
    }

    @Override
    public URI uri() {
        return uri;
    }

    /** The parsed configuration. */
    public S3UfsConfig config() {
        return config;
    }

    private String objectKey(String key) {
        UfsKeys.requireValidKey(subjectPrefix, key);
        return config.prefix() + key;
    }

    // ---- put ----

    /*
     * The standard headers go in the SDK's own fields. Expires is typed as an Instant there, and an
     * Expires that is not an HTTP date is left out of the upload: S3 itself keeps any string, but
     * S3-compatible stores refuse it (s3proxy answers 400), and a put that can never succeed would
     * leave the object NOT_PERSISTED for ever. The cached version still returns it as sent.
     */
    private static PutObjectRequest.Builder withHeaders(PutObjectRequest.Builder b, PutOptions opts) {
        setHeaders(opts, b::cacheControl, b::contentDisposition, b::contentEncoding, b::contentLanguage, b::expires);
        return b;
    }

    private static CreateMultipartUploadRequest.Builder withHeaders(CreateMultipartUploadRequest.Builder b,
                                                                    PutOptions opts) {
        setHeaders(opts, b::cacheControl, b::contentDisposition, b::contentEncoding, b::contentLanguage, b::expires);
        return b;
    }

    /** The two request builders share no interface: their setters are passed in. */
    private static void setHeaders(PutOptions opts, Consumer<String> cacheControl, Consumer<String> disposition,
                                   Consumer<String> encoding, Consumer<String> language, Consumer<Instant> expires) {
        Map<String, String> h = opts.standardHeaders();
        cacheControl.accept(h.get(StandardHeaders.CACHE_CONTROL));
        disposition.accept(h.get(StandardHeaders.CONTENT_DISPOSITION));
        encoding.accept(h.get(StandardHeaders.CONTENT_ENCODING));
        language.accept(h.get(StandardHeaders.CONTENT_LANGUAGE));
        StandardHeaders.httpDate(h.get(StandardHeaders.EXPIRES)).ifPresent(expires);
    }

    /** The standard headers of a HEAD answer; Expires as the store sent it. */
    private static Map<String, String> standardHeaders(HeadObjectResponse r) {
        return standardHeaders(r.cacheControl(), r.contentDisposition(), r.contentEncoding(), r.contentLanguage(),
                r.expiresString());
    }

    private static Map<String, String> standardHeaders(GetObjectResponse r) {
        return standardHeaders(r.cacheControl(), r.contentDisposition(), r.contentEncoding(), r.contentLanguage(),
                r.expiresString());
    }

    private static Map<String, String> standardHeaders(String cacheControl, String disposition, String encoding,
                                                       String language, String expires) {
        Map<String, String> h = new java.util.HashMap<>();
        putIfPresent(h, StandardHeaders.CACHE_CONTROL, cacheControl);
        putIfPresent(h, StandardHeaders.CONTENT_DISPOSITION, disposition);
        putIfPresent(h, StandardHeaders.CONTENT_ENCODING, withoutAwsChunked(encoding));
        putIfPresent(h, StandardHeaders.CONTENT_LANGUAGE, language);
        putIfPresent(h, StandardHeaders.EXPIRES, expires);
        // Values another writer stored that wcache could not pass on (control characters) are left out.
        h.values().removeIf(v -> !StandardHeaders.storable(v));
        return h;
    }

    /**
     * Content-Encoding without the transfer-only {@code aws-chunked} token, which S3 drops but some
     * S3-compatible stores (s3proxy) keep when the SDK streamed the body in aws-chunked form.
     */
    private static String withoutAwsChunked(String encoding) {
        if (encoding == null) {
            return null;
        }
        return java.util.Arrays.stream(encoding.split(",")).map(String::trim)
                .filter(t -> !t.isEmpty() && !t.equalsIgnoreCase("aws-chunked"))
                .collect(java.util.stream.Collectors.joining(","));
    }

    private static void putIfPresent(Map<String, String> h, String name, String value) {
        if (value != null && !value.isEmpty()) {
            h.put(name, value);
        }
    }

    @Override
    public UfsObject put(String key, UploadSource source, PutOptions options) {
        String fullKey = objectKey(key);
        Objects.requireNonNull(source, "source");
        PutOptions opts = options == null ? PutOptions.DEFAULT : options;
        long length = source.length();
        if (length < 0) {
            throw new WcacheException.InvalidArgument(subjectPrefix + key, "upload source has a negative length");
        }
        String etag = length >= config.multipartThreshold()
                ? putMultipart(key, fullKey, source, opts, length)
                : putSingle(key, fullKey, source, opts, length);
        return new UfsObject(key, length, etag, Instant.now(), opts.contentType(), opts.userMetadata(),
                opts.standardHeaders());
    }

    private String putSingle(String key, String fullKey, UploadSource source, PutOptions opts, long length) {
        Optional<String> known = source.md5Hex();
        DigestingProvider body = new DigestingProvider(source, 0, length, known.isEmpty());
        try {
            String etag = stripQuotes(s3.putObject(b -> withHeaders(b.bucket(config.bucket()).key(fullKey)
                            .contentType(opts.contentType()).metadata(opts.userMetadata()).contentLength(length)
                            .contentMD5(known.map(S3UnderFileSystem::base64Md5).orElse(null)), opts),
                    RequestBody.fromContentProvider(body, length, opts.contentType())).eTag());
            verifyEtag(key, etag, known.orElseGet(body::md5Hex), "");
            LOG.debug("event=s3_put key={} size={} etag={}", key, length, etag);
            return etag;
        } catch (RuntimeException e) {
            throw body.sourceFailure(subjectPrefix + key).orElseGet(() -> failure("put", key, e));
        } finally {
            body.close();
        }
    }

    private String putMultipart(String key, String fullKey, UploadSource source, PutOptions opts, long length) {
        long partSize = Math.max(config.partSize(), ceilDiv(length, MAX_PARTS));
        int parts = (int) Math.max(1, ceilDiv(length, partSize));
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> withHeaders(b.bucket(config.bucket()).key(fullKey)
                    .contentType(opts.contentType()).metadata(opts.userMetadata()), opts)).uploadId();
        } catch (RuntimeException e) {
            throw failure("put", key, e);
        }
        AtomicBoolean failed = new AtomicBoolean();
        List<CompletableFuture<PartResult>> futures = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            int partNumber = i + 1;
            long offset = i * partSize;
            long size = Math.min(partSize, length - offset);
            CompletableFuture<PartResult> f = CompletableFuture.supplyAsync(
                    () -> uploadPart(key, fullKey, uploadId, partNumber, source, offset, size, failed), partExecutor);
            // The first failure stops parts that have not started; running ones finish within their timeouts.
            f.whenComplete((r, t) -> {
                if (t != null) {
                    failed.set(true);
                }
            });
            futures.add(f);
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
        RuntimeException error = null;
        boolean interrupted = false;
        while (true) {
            try {
                all.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                failed.set(true);
            } catch (ExecutionException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            error = new WcacheException.Unavailable(subjectPrefix + key, "put of " + subjectPrefix + key + " was interrupted", null);
        } else {
            error = firstFailure(futures);
        }
        if (error == null) {
            List<PartResult> results = futures.stream().map(CompletableFuture::join)
                    .sorted(Comparator.comparingInt(PartResult::partNumber)).toList();
            try {
                String etag = stripQuotes(s3.completeMultipartUpload(b -> b.bucket(config.bucket()).key(fullKey)
                        .uploadId(uploadId).multipartUpload(m -> m.parts(results.stream()
                                .map(p -> CompletedPart.builder().partNumber(p.partNumber()).eTag(p.etag()).build())
                                .toList()))).eTag());
                verifyEtag(key, etag, multipartEtag(results), "-" + parts);
                LOG.debug("event=s3_put_multipart key={} size={} parts={} etag={}", key, length, parts, etag);
                return etag;
            } catch (RuntimeException e) {
                error = e;
            }
        }
        abort(key, fullKey, uploadId);
        throw error instanceof WcacheException w ? w : failure("put", key, error);
    }

    private record PartResult(int partNumber, String etag, String md5Hex) {
    }

    private PartResult uploadPart(String key, String fullKey, String uploadId, int partNumber, UploadSource source,
                                  long offset, long size, AtomicBoolean failed) {
        if (failed.get()) {
            throw new CompletionException(new WcacheException.Unavailable(subjectPrefix + key,
                    "part " + partNumber + " not sent: another part failed", null));
        }
        DigestingProvider body = new DigestingProvider(source, offset, size, true);
        try {
            String etag = stripQuotes(s3.uploadPart(b -> b.bucket(config.bucket()).key(fullKey).uploadId(uploadId)
                            .partNumber(partNumber).contentLength(size),
                    RequestBody.fromContentProvider(body, size, "application/octet-stream")).eTag());
            verifyEtag(key, etag, body.md5Hex(), "");
            return new PartResult(partNumber, etag, body.md5Hex());
        } catch (RuntimeException e) {
            WcacheException mapped = body.sourceFailure(subjectPrefix + key).orElseGet(() -> failure("put part " + partNumber, key, e));
            throw new CompletionException(mapped);
        } finally {
            body.close();
        }
    }

    private RuntimeException firstFailure(List<CompletableFuture<PartResult>> futures) {
        RuntimeException any = null;
        for (CompletableFuture<PartResult> f : futures) {
            try {
                f.join();
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
                // Prefer the root failure over the "not sent: another part failed" ones it caused.
                if (any == null || (any instanceof WcacheException.Unavailable u && u.getMessage().contains("another part failed"))) {
                    any = cause;
                }
            }
        }
        return any;
    }

    private void abort(String key, String fullKey, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(config.bucket()).key(fullKey).uploadId(uploadId));
            LOG.debug("event=s3_multipart_aborted key={} upload_id={}", key, uploadId);
        } catch (RuntimeException e) {
            // The bucket's lifecycle rule for incomplete uploads is the backstop; say which upload leaked.
            LOG.warn("event=s3_multipart_abort_failed uri={} key={} upload_id={} error={}", uri, key, uploadId, e.toString());
        }
    }

    /** S3's multipart ETag: the MD5 of the concatenated binary part MD5s. */
    private static String multipartEtag(List<PartResult> parts) {
        MessageDigest md5 = md5();
        for (PartResult p : parts) {
            if (p.md5Hex() == null) {
                return null;
            }
            md5.update(HexFormat.of().parseHex(p.md5Hex()));
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    /**
     * Compares the server's ETag with what was sent when the ETag has the MD5 shape; servers that
     * return other ETags (SSE-KMS) are not checked, and {@code verify.etag=false} turns this off.
     */
    private void verifyEtag(String key, String serverEtag, String localMd5, String suffix) {
        if (!config.verifyEtag() || localMd5 == null || serverEtag == null) {
            return;
        }
        String expected = localMd5 + suffix;
        boolean md5Shaped = serverEtag.matches("[0-9a-fA-F]{32}" + (suffix.isEmpty() ? "" : "-\\d+"));
        if (md5Shaped && !serverEtag.equalsIgnoreCase(expected)) {
            throw new WcacheException.Corruption(subjectPrefix + key, "UFS stored " + subjectPrefix + key + " with ETag "
                    + serverEtag + " but the bytes sent have " + expected + " (set verify.etag=false for servers whose ETag is not the MD5)");
        }
    }

    // ---- get, head ----

    @Override
    public InputStream get(String key, long offset, long length) {
        String fullKey = objectKey(key);
        String subject = subjectPrefix + key;
        if (offset < 0) {
            throw new WcacheException.InvalidArgument(subject, "offset must not be negative: " + offset);
        }
        if (length == 0) {
            UfsObject o = head(key).orElseThrow(() -> new WcacheException.NotFound(subject, "no object " + subject));
            requireOffsetWithin(subject, offset, o.size());
            return InputStream.nullInputStream();
        }
        GetObjectRequest.Builder req = GetObjectRequest.builder().bucket(config.bucket()).key(fullKey);
        if (offset > 0 || length > 0) {
            req.range("bytes=" + offset + "-" + (length < 0 ? "" : String.valueOf(offset + length - 1)));
        }
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(req.build());
            LOG.debug("event=s3_get key={} offset={} length={}", key, offset, length);
            return new AbortOnEarlyClose(in);
        } catch (AwsServiceException e) {
            if (e.statusCode() == 416) {
                // S3 refuses a range starting at the end; reading zero bytes there is not an error.
                UfsObject o = head(key).orElseThrow(() -> new WcacheException.NotFound(subject, "no object " + subject));
                requireOffsetWithin(subject, offset, o.size());
                return InputStream.nullInputStream();
            }
            throw failure("get", key, e);
        } catch (RuntimeException e) {
            throw failure("get", key, e);
        }
    }

    private static void requireOffsetWithin(String subject, long offset, long size) {
        if (offset > size) {
            throw new WcacheException.InvalidArgument(subject, "offset " + offset + " is past the end of " + subject
                    + " (" + size + " bytes)");
        }
    }

    @Override
    public Optional<UfsObject> head(String key) {
        String fullKey = objectKey(key);
        try {
            HeadObjectResponse r = s3.headObject(b -> b.bucket(config.bucket()).key(fullKey));
            return Optional.of(new UfsObject(key, r.contentLength(), stripQuotes(r.eTag()), r.lastModified(),
                    r.contentType(), r.metadata(), standardHeaders(r)));
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("head", key, e);
        } catch (RuntimeException e) {
            throw failure("head", key, e);
        }
    }

    /**
     * One GET of the whole object: its response describes the object as a HEAD would, its first
     * {@code maxBytes} bytes are read here, and the rest is left on the same response.
     */
    @Override
    public Optional<UfsFetched> fetch(String key, int maxBytes) {
        if (maxBytes < 0) {
            throw new WcacheException.InvalidArgument(subjectPrefix + key, "maxBytes must not be negative: " + maxBytes);
        }
        // The whole object, not a range: its headers describe it, its first bytes are read here and
        // the rest stays on the same response for the caller (closed unread, the request is aborted).
        GetObjectRequest req = GetObjectRequest.builder().bucket(config.bucket()).key(objectKey(key)).build();
        ResponseInputStream<GetObjectResponse> in = null;
        try {
            in = s3.getObject(req);
            GetObjectResponse r = in.response();
            long size = r.contentLength();
            byte[] first = in.readNBytes((int) Math.min(size, maxBytes));
            LOG.debug("event=s3_fetch key={} size={} read={}", key, size, first.length);
            UfsObject head = new UfsObject(key, size, stripQuotes(r.eTag()), r.lastModified(), r.contentType(),
                    r.metadata(), standardHeaders(r));
            InputStream rest = new AbortOnEarlyClose(in);
            if (first.length == size) {
                // At the end: reading it lets the connection be reused (a store that sent more than it
                // said is cut off instead).
                rest.read();
                rest.close();
                rest = InputStream.nullInputStream();
            }
            return Optional.of(new UfsFetched(head, first, rest));
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("get", key, e);
        } catch (IOException e) {
            abortQuietly(in);
            throw failure("get", key, new UncheckedIOException(e));
        } catch (RuntimeException e) {
            abortQuietly(in);
            throw failure("get", key, e);
        }
    }

    private static void abortQuietly(ResponseInputStream<?> in) {
        if (in != null) {
            try {
                in.abort();
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // the read already failed
            }
        }
    }

    // ---- list, delete ----

    @Override
    public UfsListing list(String prefix, String delimiter, String startAfter, String continuation, int maxKeys) {
        String p = prefix == null ? "" : prefix;
        UfsKeys.requireValidPrefix(subjectPrefix, p);
        UfsListing.requireValidMaxKeys(maxKeys);
        String delim = delimiter == null || delimiter.isEmpty() ? null : delimiter;
        String token = continuation == null || continuation.isEmpty() ? null : continuation;
        String from = token != null || startAfter == null || startAfter.isEmpty() ? null : config.prefix() + startAfter;
        int rootLength = config.prefix().length();
        try {
            ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(config.bucket()).prefix(config.prefix() + p)
                    .delimiter(delim).continuationToken(token).startAfter(from).maxKeys(Math.min(maxKeys, MAX_KEYS_PER_PAGE)));
            List<UfsObject> objects = new ArrayList<>(r.contents().size());
            for (S3Object o : r.contents()) {
                String key = o.key().substring(rootLength);
                if (isValidKey(key) && !UfsKeys.isFolderMarker(key)) {
                    objects.add(new UfsObject(key, o.size(), stripQuotes(o.eTag()), o.lastModified(), null, Map.of()));
                } else {
                    // Keys written by other tools that wcache cannot address, and folder markers ("a/"): some
                    // stores (a file-system-backed s3proxy) list every directory as one, so a marker is listed
                    // from the cache's metadata, where every marker written through wcache is.
                    LOG.debug("event=s3_list_key_skipped uri={} key={}", uri, o.key());
                }
            }
            List<String> prefixes = r.commonPrefixes().stream().map(CommonPrefix::prefix)
                    .map(cp -> cp.substring(rootLength)).toList();
            String next = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
            return new UfsListing(objects, prefixes, next);
        } catch (RuntimeException e) {
            throw failure("list", p, e);
        }
    }

    private boolean isValidKey(String key) {
        try {
            UfsKeys.requireValidKey(subjectPrefix, key);
            return true;
        } catch (WcacheException.InvalidPath e) {
            return false;
        }
    }

    @Override
    public void delete(String key) {
        String fullKey = objectKey(key);
        try {
            s3.deleteObject(b -> b.bucket(config.bucket()).key(fullKey));
            LOG.debug("event=s3_delete key={}", key);
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e))) {
                return;
            }
            throw failure("delete", key, e);
        } catch (RuntimeException e) {
            throw failure("delete", key, e);
        }
    }

    @Override
    public void close() {
        partExecutor.shutdownNow();
        s3.close();
    }

    @Override
    public String toString() {
        return "S3UnderFileSystem[" + uri + "]";
    }

    // ---- errors ----

    /** Maps SDK failures to the core error model; Unavailable is the retryable kind. */
    private WcacheException failure(String op, String key, RuntimeException e) {
        if (e instanceof WcacheException w) {
            return w;
        }
        String subject = subjectPrefix + key;
        if (e instanceof AwsServiceException se) {
            int status = se.statusCode();
            String code = errorCode(se);
            String detail = se.awsErrorDetails() != null && se.awsErrorDetails().errorMessage() != null
                    ? se.awsErrorDetails().errorMessage() : se.getMessage();
            String msg = op + " " + subject + " failed: HTTP " + status + (code.isEmpty() ? "" : " " + code) + ": " + detail;
            if ("BadDigest".equals(code)) {
                // Only a Content-MD5 the client sent can be refused so: the store received bytes that are
                // not the ones the MD5 was computed from, and kept none of them.
                return new WcacheException.Corruption(subject, msg + " (the store refused the bytes read for "
                        + subject + ": their MD5 is not the one they were sent with; nothing was stored)");
            }
            if ("NoSuchBucket".equals(code)) {
                return new WcacheException.Unavailable(subject, op + " " + subject + " failed: bucket '"
                        + config.bucket() + "' does not exist", e);
            }
            if (status == 404) {
                return new WcacheException.NotFound(subject, msg);
            }
            if (status == 401 || status == 403) {
                return new WcacheException.Unavailable(subject, msg + " (access denied: check the UFS credentials)", e);
            }
            if (status == 409 || status == 412) {
                return new WcacheException.Conflict(subject, msg);
            }
            if (status == 416) {
                return new WcacheException.InvalidArgument(subject, msg, e);
            }
            if (status == 400 && !code.equals("RequestTimeout") && !code.equals("ExpiredToken")) {
                return new WcacheException.InvalidArgument(subject, msg, e);
            }
            return new WcacheException.Unavailable(subject, msg, e);
        }
        if (e instanceof SdkClientException || e instanceof SdkException) {
            return new WcacheException.Unavailable(subject, op + " " + subject + " failed: UFS unreachable or timed out ("
                    + e.getMessage() + ")", e);
        }
        return new WcacheException.Unavailable(subject, op + " " + subject + " failed: " + e, e);
    }

    private static String errorCode(AwsServiceException e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null ? e.awsErrorDetails().errorCode() : "";
    }

    private static String stripQuotes(String etag) {
        if (etag == null) {
            return "";
        }
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** A Content-MD5 header value: the base64 of the 16 MD5 bytes. */
    private static String base64Md5(String md5Hex) {
        return java.util.Base64.getEncoder().encodeToString(HexFormat.of().parseHex(md5Hex));
    }

    private static MessageDigest md5() {
        return Md5.newDigest();
    }

    // ---- streams ----

    /**
     * Opens the source range afresh for every attempt the SDK makes and records the MD5 of a stream
     * read to its end, so the ETag can be checked without a second pass over the data. It also
     * remembers a failure of the source itself, which is not the UFS's fault and must not be
     * reported as the UFS being unavailable.
     */
    private static final class DigestingProvider implements ContentStreamProvider {
        private final UploadSource source;
        private final long offset;
        private final long length;
        private volatile String md5Hex;
        private volatile String sourceProblem;
        private InputStream current;

        private final boolean digest;

        /** {@code digest}: whether the MD5 of the bytes read is computed (not when the store checks a known one). */
        DigestingProvider(UploadSource source, long offset, long length, boolean digest) {
            this.source = source;
            this.offset = offset;
            this.length = length;
            this.digest = digest;
        }

        @Override
        public synchronized InputStream newStream() {
            closeQuietly(current);
            try {
                current = new DigestingStream(source.open(offset, length));
            } catch (IOException e) {
                sourceProblem = "cannot read the upload source at offset " + offset + ": " + e;
                throw new UncheckedIOException(e);
            }
            return current;
        }

        String md5Hex() {
            return md5Hex;
        }

        Optional<WcacheException> sourceFailure(String subject) {
            String problem = sourceProblem;
            if (problem == null) {
                return Optional.empty();
            }
            if (problem.startsWith("short:")) {
                return Optional.of(new WcacheException.InvalidArgument(subject, problem.substring(6)));
            }
            return Optional.of(new WcacheException.Unavailable(subject, problem, null));
        }

        synchronized void close() {
            closeQuietly(current);
            current = null;
        }

        private static void closeQuietly(InputStream in) {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // the stream was only read; nothing is lost
                }
            }
        }

        /**
         * One read of the body. The SDK may read it twice (over plain HTTP it reads it once for the
         * payload's SHA-256, then to send it): the MD5 of the first complete read is kept and later
         * reads are not hashed again. Bytes sent that differ from those hashed still fail the upload:
         * the store refuses a body whose SHA-256 is not the signed one, or its ETag differs.
         */
        private final class DigestingStream extends FilterInputStream {
            private final MessageDigest digest = DigestingProvider.this.digest && md5Hex == null ? md5() : null;
            private long read;

            DigestingStream(InputStream in) {
                super(in);
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n <= 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read >= length) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, length - read));
                if (n < 0) {
                    sourceProblem = "short:upload source declared " + length + " bytes at offset " + offset
                            + " but ended after " + read;
                    throw new IOException(sourceProblem.substring(6));
                }
                read += n;
                if (digest != null) {
                    digest.update(b, off, n);
                    if (read == length) {
                        md5Hex = HexFormat.of().formatHex(digest.digest());
                    }
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                // Skipping would leave a hole in the digest; read through instead.
                byte[] buf = new byte[(int) Math.min(n, 8192)];
                int r = read(buf, 0, buf.length);
                return Math.max(r, 0);
            }

            @Override
            public boolean markSupported() {
                return false;
            }
        }
    }

    /** Aborts the HTTP connection when closed before the end, instead of draining the rest of the object. */
    private static final class AbortOnEarlyClose extends FilterInputStream {
        private final ResponseInputStream<?> response;
        private boolean eof;

        AbortOnEarlyClose(ResponseInputStream<?> response) {
            super(response);
            this.response = response;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            eof |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            eof |= n < 0;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (!eof) {
                response.abort();
            }
            super.close();
        }
    }
}
