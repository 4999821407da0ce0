package io.wcache.persister.testing;

import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsListing;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.persister.ufs.UploadSource;
import java.io.InputStream;
import java.net.URI;
import java.util.Optional;

/**
 * A UFS client that passes every call to a real one: fault-injection wrappers in tests extend it
 * and override only the calls they delay, block, fail or record.
 */
public abstract class ForwardingUfs implements UnderFileSystem {

    protected final UnderFileSystem real;

    protected ForwardingUfs(UnderFileSystem real) {
        this.real = real;
    }

    @Override
    public URI uri() {
        return real.uri();
    }

    @Override
    public UfsObject put(String key, UploadSource source, PutOptions options) {
        return real.put(key, source, options);
    }

    @Override
    public InputStream get(String key, long offset, long length) {
        return real.get(key, offset, length);
    }

    @Override
    public Optional<UfsObject> head(String key) {
        return real.head(key);
    }

    @Override
    public UfsListing list(String prefix, String delimiter, String startAfter, String continuation, int maxKeys) {
        return real.list(prefix, delimiter, startAfter, continuation, maxKeys);
    }

    @Override
    public void delete(String key) {
        real.delete(key);
    }

    @Override
    public void close() {
        real.close();
    }
}
