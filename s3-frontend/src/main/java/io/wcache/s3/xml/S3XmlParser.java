package io.wcache.s3.xml;

import io.wcache.core.cache.MultipartParts;
import io.wcache.s3.checksum.ChecksumAlgorithm;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.xml.S3XmlModel.CompleteMultipartUpload;
import io.wcache.s3.xml.S3XmlModel.CompletedPart;
import io.wcache.s3.xml.S3XmlModel.DeleteRequest;
import io.wcache.s3.xml.S3XmlModel.ObjectIdentifier;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Parses the two XML request bodies the frontend reads itself: CompleteMultipartUpload and
 * Delete. The JDK's StAX parser is used with DTDs and external entities disabled, and any DTD is
 * refused outright, so no entity is ever expanded (XXE and billion-laughs safe); documents are
 * bounded in size, depth and element count. Every failure is {@code MalformedXML} (or S3's more
 * specific error), never a parser exception.
 */
public final class S3XmlParser {
    /** The largest body accepted: 10,000 parts or 1,000 keys of 1 KiB fit comfortably. */
    public static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    /** S3's limit on keys per DeleteObjects request. */
    public static final int MAX_DELETE_KEYS = 1000;
    private static final int MAX_DEPTH = 8;
    private static final int MAX_ELEMENTS = 100_000;

    private static final XMLInputFactory FACTORY = newFactory();

    private S3XmlParser() {
    }

    /**
     * Parses a CompleteMultipartUpload body.
     *
     * A part number named several times in a row counts once, with its last entry (as Ceph RGW
     * reads it: a client that re-sent a part may list both copies; docs/DECISIONS.md).
     *
     * @throws S3Exception {@code MalformedXML}, {@code InvalidPartOrder} when part numbers go
     *                     down, {@code InvalidArgument} for a part number out of range
     */
    public static CompleteMultipartUpload parseCompleteMultipartUpload(byte[] body) {
        Node root = parse(body);
        if (!root.name.equals("CompleteMultipartUpload")) {
            throw malformed();
        }
        List<CompletedPart> parts = new ArrayList<>();
        int previous = 0;
        for (Node part : root.children) {
            if (!part.name.equals("Part")) {
                continue;
            }
            if (parts.size() == MultipartParts.MAX_PART_NUMBER) {
                throw malformed();
            }
            String number = part.childText("PartNumber").orElseThrow(S3XmlParser::malformed);
            String etag = part.childText("ETag").orElseThrow(S3XmlParser::malformed);
            int n = partNumber(number);
            if (n < previous) {
                throw new S3Exception(S3ErrorCode.INVALID_PART_ORDER, null);
            }
            if (n == previous) {
                parts.remove(parts.size() - 1);
            }
            previous = n;
            Map<ChecksumAlgorithm, String> checksums = new EnumMap<>(ChecksumAlgorithm.class);
            for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
                part.childText("Checksum" + a.s3Name()).ifPresent(v -> checksums.put(a, v));
            }
            parts.add(new CompletedPart(n, etag, checksums));
        }
        if (parts.isEmpty()) {
            throw new S3Exception(S3ErrorCode.MALFORMED_XML,
                    "The XML you provided was not well-formed or did not validate against our published schema:"
                            + " at least one Part is required.");
        }
        return new CompleteMultipartUpload(parts);
    }

    /**
     * Parses a Delete (DeleteObjects) body.
     *
     * @throws S3Exception {@code MalformedXML}, also for no keys or more than 1000
     */
    public static DeleteRequest parseDelete(byte[] body) {
        Node root = parse(body);
        if (!root.name.equals("Delete")) {
            throw malformed();
        }
        List<ObjectIdentifier> objects = new ArrayList<>();
        boolean quiet = false;
        for (Node child : root.children) {
            switch (child.name) {
                case "Object" -> {
                    String key = child.childText("Key").orElseThrow(S3XmlParser::malformed);
                    objects.add(new ObjectIdentifier(key, child.childText("VersionId")));
                }
                case "Quiet" -> {
                    String q = child.text.toString().trim();
                    if (!q.equals("true") && !q.equals("false")) {
                        throw malformed();
                    }
                    quiet = q.equals("true");
                }
                default -> {
                    // Other elements of the schema carry nothing wcache uses.
                }
            }
        }
        if (objects.isEmpty() || objects.size() > MAX_DELETE_KEYS) {
            throw malformed();
        }
        return new DeleteRequest(objects, quiet);
    }

    /**
     * Parses a Tagging (PutObjectTagging) body into its tags, in document order. Limits are checked
     * by the caller; a repeated key is {@code InvalidTag} here.
     *
     * @throws S3Exception {@code MalformedXML} for another root, a missing {@code TagSet} or a tag without a key
     */
    public static java.util.Map<String, String> parseTagging(byte[] body) {
        Node root = parse(body);
        if (!root.name.equals("Tagging")) {
            throw malformed();
        }
        Node set = null;
        for (Node child : root.children) {
            if (child.name.equals("TagSet")) {
                set = child;
            }
        }
        if (set == null) {
            throw malformed();
        }
        java.util.Map<String, String> tags = new java.util.LinkedHashMap<>();
        for (Node tag : set.children) {
            if (!tag.name.equals("Tag")) {
                throw malformed();
            }
            String key = tag.childText("Key").orElseThrow(S3XmlParser::malformed);
            String value = tag.childText("Value").orElse("");
            if (tags.put(key, value) != null) {
                throw new S3Exception(S3ErrorCode.INVALID_TAG, "Cannot provide multiple Tags with the same key");
            }
        }
        return tags;
    }

    /**
     * The LocationConstraint of a CreateBucket body ({@code CreateBucketConfiguration}); empty for
     * no body or none given.
     *
     * @throws S3Exception {@code MalformedXML} for another document, {@code InvalidLocationConstraint}-like
     *                     {@code InvalidArgument} for a constraint that is not a region name
     */
    public static String parseLocationConstraint(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        Node root = parse(body);
        if (!root.name.equals("CreateBucketConfiguration")) {
            throw malformed();
        }
        String location = root.childText("LocationConstraint").map(String::trim).orElse("");
        if (!location.matches("[A-Za-z0-9_-]{0,64}")) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "The specified location-constraint is not valid");
        }
        return location;
    }

    /** A grant of an AccessControlPolicy body: grantee kind (ID, URI or EmailAddress), its value and the permission. */
    public record AclGrantBody(String kind, String value, String permission) {
    }

    /** An AccessControlPolicy body: the owner id it names (empty if none) and its grants, in order. */
    public record AclBody(Optional<String> ownerId, List<AclGrantBody> grants) {
    }

    /**
     * Parses an AccessControlPolicy (PutBucketAcl, PutObjectAcl) body. Grantees are told apart by
     * the element they carry ({@code ID}, {@code URI} or {@code EmailAddress}).
     *
     * @throws S3Exception {@code MalformedACLError} for another root, a grant without grantee or permission
     */
    public static AclBody parseAccessControlPolicy(byte[] body) {
        Node root = parse(body);
        S3Exception bad = new S3Exception(S3ErrorCode.MALFORMED_ACL_ERROR, null);
        if (!root.name.equals("AccessControlPolicy")) {
            throw bad;
        }
        Optional<String> owner = Optional.empty();
        List<AclGrantBody> grants = new ArrayList<>();
        for (Node child : root.children) {
            if (child.name.equals("Owner")) {
                owner = child.childText("ID").map(String::trim);
            } else if (child.name.equals("AccessControlList")) {
                for (Node g : child.children) {
                    if (!g.name.equals("Grant")) {
                        throw bad;
                    }
                    Node grantee = null;
                    for (Node c : g.children) {
                        if (c.name.equals("Grantee")) {
                            grantee = c;
                        }
                    }
                    String permission = g.childText("Permission").map(String::trim).orElseThrow(() -> bad);
                    if (grantee == null) {
                        throw bad;
                    }
                    String kind = null;
                    String value = null;
                    for (String k : List.of("ID", "URI", "EmailAddress")) {
                        Optional<String> v = grantee.childText(k);
                        if (v.isPresent()) {
                            kind = k;
                            value = v.get().trim();
                            break;
                        }
                    }
                    if (kind == null) {
                        throw bad;
                    }
                    grants.add(new AclGrantBody(kind, value, permission));
                }
            }
        }
        return new AclBody(owner, grants);
    }

    private static int partNumber(String s) {
        String t = s.trim();
        if (t.matches("\\d{1,5}")) {
            int n = Integer.parseInt(t);
            if (MultipartParts.validPartNumber(n)) {
                return n;
            }
        }
        throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                "Part number must be an integer between 1 and 10000, inclusive");
    }

    /** A parsed element: its local name, direct text and child elements. */
    private static final class Node {
        final String name;
        final StringBuilder text = new StringBuilder();
        final List<Node> children = new ArrayList<>();

        Node(String name) {
            this.name = name;
        }

        Optional<String> childText(String childName) {
            for (Node c : children) {
                if (c.name.equals(childName)) {
                    return Optional.of(c.text.toString());
                }
            }
            return Optional.empty();
        }
    }

    private static Node parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw malformed();
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new S3Exception(S3ErrorCode.MALFORMED_XML, "The XML you provided was larger than the maximum "
                    + MAX_BODY_BYTES + " bytes allowed.");
        }
        XMLStreamReader r = null;
        try {
            r = FACTORY.createXMLStreamReader(new ByteArrayInputStream(body));
            List<Node> stack = new ArrayList<>();
            Node root = null;
            int elements = 0;
            while (r.hasNext()) {
                int ev = r.next();
                switch (ev) {
                    case XMLStreamConstants.DTD, XMLStreamConstants.ENTITY_REFERENCE,
                            XMLStreamConstants.ENTITY_DECLARATION -> throw malformed();
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (++elements > MAX_ELEMENTS || stack.size() >= MAX_DEPTH) {
                            throw malformed();
                        }
                        Node n = new Node(r.getLocalName());
                        if (stack.isEmpty()) {
                            if (root != null) {
                                throw malformed();
                            }
                            root = n;
                        } else {
                            stack.get(stack.size() - 1).children.add(n);
                        }
                        stack.add(n);
                    }
                    case XMLStreamConstants.END_ELEMENT -> stack.remove(stack.size() - 1);
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                        if (!stack.isEmpty()) {
                            Node top = stack.get(stack.size() - 1);
                            if (top.text.length() + r.getTextLength() > 64 * 1024) {
                                throw malformed();
                            }
                            top.text.append(r.getTextCharacters(), r.getTextStart(), r.getTextLength());
                        }
                    }
                    default -> {
                        // comments, processing instructions, document start/end
                    }
                }
            }
            if (root == null || !stack.isEmpty()) {
                throw malformed();
            }
            return root;
        } catch (XMLStreamException | RuntimeException e) {
            if (e instanceof S3Exception s3) {
                throw s3;
            }
            throw malformed();
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // nothing is held open by an in-memory stream
                }
            }
        }
    }

    private static XMLInputFactory newFactory() {
        // The JDK's own implementation, whatever else is on the class path.
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, false);
        return f;
    }

    private static S3Exception malformed() {
        return new S3Exception(S3ErrorCode.MALFORMED_XML, null);
    }
}
