package io.wcache.persister.async;

import io.wcache.core.path.NamespacePath;
import io.wcache.persister.ufs.UnderFileSystem;

/**
 * Which UFS client holds a namespace path (the client of its mount); the key in it is
 * {@link NamespacePath#relativeToMount()}. {@link UfsRouter} is the module's implementation; a
 * worker may pass its own registry so that synchronous and asynchronous writes share clients.
 */
@FunctionalInterface
public interface UfsResolver {

    /** @throws io.wcache.core.error.WcacheException.NotFound if no mount holds the path */
    UnderFileSystem ufsFor(NamespacePath path);
}
