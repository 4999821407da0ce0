package io.wcache.persister.async;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.ufs.UnderFileSystem;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** s3proxy on 127.0.0.1 as the UFS, with small multipart settings and no SDK-level retries. */
public final class S3Rig {

    static final String BUCKET = "bucket";

    private S3Rig() {
    }

    public static EmbeddedS3Server server(Path dir) throws Exception {
        EmbeddedS3Server s3 = EmbeddedS3Server.start(dir);
        s3.createBucket(BUCKET);
        return s3;
    }

    /** The UFS of the rig's mount: {@code s3://bucket/prefix} on {@code s3}, multipart from 8 MiB in 5 MiB parts. */
    public static UnderFileSystem ufs(EmbeddedS3Server s3) {
        return ufs(s3.ufsOptions());
    }

    public static UnderFileSystem ufs(Map<String, String> serverOptions) {
        Map<String, String> o = new HashMap<>(serverOptions);
        o.put("multipart.threshold", "8MiB");
        o.put("multipart.part.size", "5MiB");
        o.put("max.attempts", "1");
        o.put("connect.timeout", "1s");
        o.put("socket.timeout", "20s");
        return UnderFileSystem.open(URI.create("s3://" + BUCKET + "/prefix"), o);
    }
}
