package io.wcache.core.mount;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The set of mounts, keyed by mount name. Every namespace path (other than the root) belongs
 * to the mount named by its first segment; a path under no mount is a
 * {@link WcacheException.NotFound} naming the bucket, which the S3 frontend reports as
 * {@code NoSuchBucket}. Immutable.
 */
public final class MountTable {

    private static final MountTable EMPTY = new MountTable(new TreeMap<>());

    private final Map<String, Mount> byName;

    private MountTable(TreeMap<String, Mount> byName) {
        this.byName = java.util.Collections.unmodifiableMap(byName);
    }

    public static MountTable empty() {
        return EMPTY;
    }

    /** @throws WcacheException.AlreadyExists when two mounts share a name */
    public static MountTable of(Collection<Mount> mounts) {
        TreeMap<String, Mount> map = new TreeMap<>();
        for (Mount m : mounts) {
            if (map.putIfAbsent(m.name(), m) != null) {
                throw new WcacheException.AlreadyExists(m.path().toString(), "mount " + m.path() + " is defined twice");
            }
        }
        return new MountTable(map);
    }

    /** The mounts in name order. */
    public List<Mount> mounts() {
        return List.copyOf(byName.values());
    }

    public Optional<Mount> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The mount holding {@code path}.
     *
     * @throws WcacheException.NotFound naming the bucket when no mount has that name
     * @throws WcacheException.InvalidPath for the root
     */
    public Mount resolve(NamespacePath path) {
        String name = path.mountName();
        Mount m = byName.get(name);
        if (m == null) {
            throw new WcacheException.NotFound(name, "no mount (bucket) named '" + name + "'");
        }
        return m;
    }

    /** @throws WcacheException.AlreadyExists if a mount with that name exists */
    public MountTable with(Mount mount) {
        if (byName.containsKey(mount.name())) {
            throw new WcacheException.AlreadyExists(mount.path().toString(), "mount " + mount.path() + " already exists");
        }
        TreeMap<String, Mount> copy = new TreeMap<>(byName);
        copy.put(mount.name(), mount);
        return new MountTable(copy);
    }

    /** @throws WcacheException.NotFound if there is no such mount */
    public MountTable without(String name) {
        if (!byName.containsKey(name)) {
            throw new WcacheException.NotFound(name, "no mount (bucket) named '" + name + "'");
        }
        TreeMap<String, Mount> copy = new TreeMap<>(byName);
        copy.remove(name);
        return new MountTable(copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MountTable t && t.byName.equals(byName);
    }

    @Override
    public int hashCode() {
        return byName.hashCode();
    }

    @Override
    public String toString() {
        return byName.values().toString();
    }
}
