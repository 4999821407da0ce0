package io.wcache.core.cache;

import java.util.List;
import java.util.Objects;

/**
 * The stored access control of a bucket, of an object version or of a multipart upload's future
 * object, as the S3 frontend keeps it (S3 owners and ACLs; docs/SECURITY.md). The cache stores it
 * and hands it back; only the frontend gives it meaning.
 *
 * @param ownerId         canonical id of the owner
 * @param ownerName       the owner's display name
 * @param grants          the ACL's grants, in order
 * @param generation      an object's: the generation of the version it belongs to (0 otherwise)
 * @param versionTimeMs   an object's: the commit time of that version, in ms (0 otherwise)
 * @param objectAcls      a bucket's: whether any object of it has an ACL record
 * @param objectOwnership a bucket's S3 object ownership setting; empty when none
 * @param location        a bucket's location constraint as given at creation; empty when none
 * @param versioning      a bucket's versioning status ({@code Enabled}, {@code Suspended}); empty when
 *                        versioning was never enabled
 */
public record AccessControl(String ownerId, String ownerName, List<Grant> grants, long generation,
                            long versionTimeMs, boolean objectAcls, String objectOwnership, String location,
                            String versioning) {

    public AccessControl {
        Objects.requireNonNull(ownerId, "ownerId");
        ownerName = ownerName == null ? "" : ownerName;
        grants = List.copyOf(grants);
        objectOwnership = objectOwnership == null ? "" : objectOwnership;
        location = location == null ? "" : location;
        versioning = versioning == null ? "" : versioning;
    }

    /** An access control of a bucket that never had versioning enabled, or of an object. */
    public AccessControl(String ownerId, String ownerName, List<Grant> grants, long generation,
                         long versionTimeMs, boolean objectAcls, String objectOwnership, String location) {
        this(ownerId, ownerName, grants, generation, versionTimeMs, objectAcls, objectOwnership, location, "");
    }

    /**
     * One grant: {@code granteeType} {@code CanonicalUser} ({@code grantee} the user's id) or
     * {@code Group} ({@code grantee} the group's URI), and the permission.
     */
    public record Grant(String granteeType, String grantee, String displayName, String permission) {
        public Grant {
            Objects.requireNonNull(granteeType, "granteeType");
            Objects.requireNonNull(grantee, "grantee");
            displayName = displayName == null ? "" : displayName;
            Objects.requireNonNull(permission, "permission");
        }
    }

    public AccessControl withGrants(String newOwnerId, String newOwnerName, List<Grant> newGrants) {
        return new AccessControl(newOwnerId, newOwnerName, newGrants, generation, versionTimeMs, objectAcls,
                objectOwnership, location, versioning);
    }

    public AccessControl withVersion(long newGeneration, long newVersionTimeMs) {
        return new AccessControl(ownerId, ownerName, grants, newGeneration, newVersionTimeMs, objectAcls,
                objectOwnership, location, versioning);
    }

    public AccessControl withObjectAcls(boolean any) {
        return new AccessControl(ownerId, ownerName, grants, generation, versionTimeMs, any, objectOwnership, location, versioning);
    }

    public AccessControl withObjectOwnership(String ownership) {
        return new AccessControl(ownerId, ownerName, grants, generation, versionTimeMs, objectAcls, ownership, location, versioning);
    }

    public AccessControl withVersioning(String status) {
        return new AccessControl(ownerId, ownerName, grants, generation, versionTimeMs, objectAcls, objectOwnership,
                location, status);
    }
}
