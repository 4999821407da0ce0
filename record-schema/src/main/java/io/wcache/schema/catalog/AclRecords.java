package io.wcache.schema.catalog;

import com.google.protobuf.Message;
import io.wcache.core.cache.AccessControl;
import io.wcache.schema.proto.WcacheRecords;
import java.util.List;

/** Maps {@link AccessControl} to and from its {@code AccessControl} record. */
final class AclRecords {
    private AclRecords() {
    }

    static WcacheRecords.AccessControl toRecord(String bucket, String name, AccessControl a) {
        WcacheRecords.AccessControl.Builder b = WcacheRecords.AccessControl.newBuilder().setBucket(bucket).setName(name)
                .setOwnerId(a.ownerId()).setOwnerName(a.ownerName()).setGeneration(a.generation())
                .setVersionTimeMs(a.versionTimeMs()).setObjectAcls(a.objectAcls())
                .setObjectOwnership(a.objectOwnership()).setLocation(a.location()).setVersioning(a.versioning());
        for (AccessControl.Grant g : a.grants()) {
            b.addGrants(WcacheRecords.AclGrant.newBuilder().setGranteeType(g.granteeType()).setGrantee(g.grantee())
                    .setDisplayName(g.displayName()).setPermission(g.permission()));
        }
        return b.build();
    }

    static AccessControl fromRecord(Message m) {
        WcacheRecords.AccessControl r = record(m);
        List<AccessControl.Grant> grants = r.getGrantsList().stream()
                .map(g -> new AccessControl.Grant(g.getGranteeType(), g.getGrantee(), g.getDisplayName(),
                        g.getPermission()))
                .toList();
        return new AccessControl(r.getOwnerId(), r.getOwnerName(), grants, r.getGeneration(), r.getVersionTimeMs(),
                r.getObjectAcls(), r.getObjectOwnership(), r.getLocation(), r.getVersioning());
    }

    static WcacheRecords.AccessControl record(Message m) {
        if (m instanceof WcacheRecords.AccessControl a) {
            return a;
        }
        try {
            return WcacheRecords.AccessControl.parseFrom(m.toByteString());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new io.wcache.core.error.WcacheException.Corruption("metadata",
                    "stored record does not parse: " + e.getMessage());
        }
    }
}
