package io.wcache.fuse;

import jnr.ffi.Pointer;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Serves a {@link WcacheFuseFs} through jnr-fuse on libfuse 2: every callback the file system
 * implements is forwarded as it is (jnr-fuse registers only the methods overridden here). Loading
 * libfuse 2 happens when this is constructed, so a machine with only libfuse 3 never needs it.
 */
final class Fuse2Binding extends FuseStubFS {

    /** libfuse 2 writes in pieces of at most 128 KiB ({@code big_writes,max_write=131072}). */
    static final int MAX_WRITE = 128 * 1024;

    private final WcacheFuseFs fs;

    Fuse2Binding(WcacheFuseFs fs) {
        this.fs = fs;
        fs.servedBy(this::getContext, MAX_WRITE);
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return fs.getattr(path, stat);
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return fs.fgetattr(path, stat, fi);
    }

    @Override
    public int statfs(String path, Statvfs st) {
        return fs.statfs(path, st);
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return fs.utimens(path, timespec);
    }

    @Override
    public int chmod(String path, long mode) {
        return fs.chmod(path, mode);
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return fs.chown(path, uid, gid);
    }

    @Override
    public int mkdir(String path, long mode) {
        return fs.mkdir(path, mode);
    }

    @Override
    public int rmdir(String path) {
        return fs.rmdir(path);
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return fs.opendir(path, fi);
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        return fs.readdir(path, buf, filler, offset, fi);
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return fs.releasedir(path, fi);
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        return fs.create(path, mode, fi);
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return fs.open(path, fi);
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return fs.read(path, buf, size, offset, fi);
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return fs.write(path, buf, size, offset, fi);
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return fs.flush(path, fi);
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return fs.fsync(path, isdatasync, fi);
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return fs.release(path, fi);
    }

    @Override
    public int truncate(String path, long size) {
        return fs.truncate(path, size);
    }

    @Override
    public int ftruncate(String path, long size, FuseFileInfo fi) {
        return fs.ftruncate(path, size, fi);
    }

    @Override
    public int unlink(String path) {
        return fs.unlink(path);
    }

    @Override
    public int rename(String from, String to) {
        return fs.rename(from, to);
    }

    @Override
    public int link(String oldpath, String newpath) {
        return fs.link(oldpath, newpath);
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return fs.symlink(oldpath, newpath);
    }
}
