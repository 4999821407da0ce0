package io.wcache.s3.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3XmlParserTest {

    static S3ErrorCode deleteError(String xml) {
        try {
            S3XmlParser.parseDelete(xml.getBytes(StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            return e.code();
        }
        throw new AssertionError("accepted: " + xml);
    }

    static S3ErrorCode completeError(String xml) {
        try {
            S3XmlParser.parseCompleteMultipartUpload(xml.getBytes(StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            return e.code();
        }
        throw new AssertionError("accepted: " + xml);
    }

    @Test
    void deleteBodyParsesWithOrWithoutNamespaceAndEntities() {
        var d = S3XmlParser.parseDelete(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
                + "<Object><Key>a&amp;b &lt;c&gt; &#x263A;</Key><VersionId>v1</VersionId></Object>"
                + "<Object><Key><![CDATA[raw<key>]]></Key></Object></Delete>").getBytes(StandardCharsets.UTF_8));
        assertThat(d.quiet()).isTrue();
        assertThat(d.objects()).extracting(S3XmlModel.ObjectIdentifier::key).containsExactly("a&b <c> ☺", "raw<key>");
        assertThat(d.objects().get(0).versionId()).contains("v1");
        assertThat(S3XmlParser.parseDelete("<Delete><Object><Key> spaced </Key></Object></Delete>"
                .getBytes(StandardCharsets.UTF_8)).objects().get(0).key()).isEqualTo(" spaced ");
    }

    @Test
    void externalEntitiesAreNeverResolved(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET");
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY xxe SYSTEM \"" + secret.toUri() + "\">]>"
                + "<Delete><Object><Key>&xxe;</Key></Object></Delete>";
        assertThat(deleteError(xxe)).isEqualTo(S3ErrorCode.MALFORMED_XML);
        String external = "<?xml version=\"1.0\"?><!DOCTYPE Delete SYSTEM \"" + secret.toUri() + "\">"
                + "<Delete><Object><Key>k</Key></Object></Delete>";
        assertThat(deleteError(external)).isEqualTo(S3ErrorCode.MALFORMED_XML);
        String parameterEntity = "<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY % p SYSTEM \"" + secret.toUri()
                + "\"> %p;]><Delete><Object><Key>k</Key></Object></Delete>";
        assertThat(deleteError(parameterEntity)).isEqualTo(S3ErrorCode.MALFORMED_XML);
    }

    @Test
    void entityExpansionBombIsRefusedQuickly() {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i < 10; i++) {
            sb.append("<!ENTITY lol").append(i).append(" \"").append(("&lol" + (i - 1 == 0 ? "" : i - 1) + ";").repeat(10))
                    .append("\">");
        }
        sb.append("]><Delete><Object><Key>&lol9;</Key></Object></Delete>");
        long start = System.nanoTime();
        assertThat(deleteError(sb.toString())).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
    }

    @Test
    void malformedOrInvalidDeleteBodiesAreMalformedXml() {
        assertThat(deleteError("")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<Delete>")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<Delete></Delete>")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<NotDelete><Object><Key>k</Key></Object></NotDelete>")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<Delete><Object><VersionId>v</VersionId></Object></Delete>")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>"))
                .isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<Delete><Object><Key>k</Key></Object></Delete><Delete/>")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<Delete>" + "<Object><Key>k</Key></Object>".repeat(1001) + "</Delete>"))
                .isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(deleteError("<a>".repeat(20) + "</a>".repeat(20))).isEqualTo(S3ErrorCode.MALFORMED_XML);
    }

    @Test
    void completeMultipartUploadRequiresAscendingValidParts() {
        var ok = S3XmlParser.parseCompleteMultipartUpload(("<CompleteMultipartUpload>"
                + "<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
                + "<Part><ETag>e3</ETag><PartNumber>3</PartNumber><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>"
                + "</CompleteMultipartUpload>").getBytes(StandardCharsets.UTF_8));
        assertThat(ok.parts()).extracting(S3XmlModel.CompletedPart::partNumber).containsExactly(1, 3);
        assertThat(ok.parts().get(0).etag()).isEqualTo("\"e1\"");
        assertThat(ok.parts().get(1).checksums()).containsValue("AAAAAA==");
        String p2 = "<Part><PartNumber>2</PartNumber><ETag>e</ETag></Part>";
        String p1 = "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>";
        assertThat(completeError("<CompleteMultipartUpload>" + p2 + p1 + "</CompleteMultipartUpload>"))
                .isEqualTo(S3ErrorCode.INVALID_PART_ORDER);
        assertThat(completeError("<CompleteMultipartUpload>" + p1 + p2 + p1 + "</CompleteMultipartUpload>"))
                .isEqualTo(S3ErrorCode.INVALID_PART_ORDER);
        // A part number named twice in a row counts once, with its last entry.
        var resent = S3XmlParser.parseCompleteMultipartUpload(("<CompleteMultipartUpload>"
                + "<Part><PartNumber>1</PartNumber><ETag>first</ETag></Part>"
                + "<Part><PartNumber>1</PartNumber><ETag>second</ETag></Part>" + p2
                + "</CompleteMultipartUpload>").getBytes(StandardCharsets.UTF_8));
        assertThat(resent.parts()).extracting(S3XmlModel.CompletedPart::partNumber).containsExactly(1, 2);
        assertThat(resent.parts().get(0).etag()).isEqualTo("second");
        assertThat(completeError("<CompleteMultipartUpload></CompleteMultipartUpload>")).isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(completeError("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"))
                .isEqualTo(S3ErrorCode.MALFORMED_XML);
        assertThat(completeError("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part>"
                + "</CompleteMultipartUpload>")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(completeError("<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part>"
                + "</CompleteMultipartUpload>")).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void writerEscapesMarkupAndControlCharacters() {
        String xml = new XmlWriter().root("R").element("Key", "a<b>&\"c'\u0001\u001f").end().toString();
        assertThat(xml).contains("<Key>a&lt;b&gt;&amp;&quot;c&apos;&#x1;&#x1F;</Key>");
        assertThat(xml).startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        assertThat(new String(S3XmlWriter.error(io.wcache.s3.error.S3Error.of(S3ErrorCode.NO_SUCH_BUCKET, null, "/b"), "rid"),
                StandardCharsets.UTF_8)).contains("<Code>NoSuchBucket</Code>", "<Resource>/b</Resource>",
                "<RequestId>rid</RequestId>");
    }

    @Test
    void timestampsUseS3Formats() {
        java.time.Instant t = java.time.Instant.parse("2009-10-12T17:50:30.123456Z");
        assertThat(S3Timestamps.iso8601(t)).isEqualTo("2009-10-12T17:50:30.123Z");
        assertThat(S3Timestamps.iso8601(java.time.Instant.parse("2009-10-12T17:50:30Z"))).isEqualTo("2009-10-12T17:50:30.000Z");
        assertThat(S3Timestamps.rfc1123(t)).isEqualTo("Mon, 12 Oct 2009 17:50:30 GMT");
        assertThat(S3Timestamps.amzDate(t)).isEqualTo("20091012T175030Z");
        assertThat(S3Timestamps.parseHttpDate("Mon, 12 Oct 2009 17:50:30 GMT")).contains(java.time.Instant.parse("2009-10-12T17:50:30Z"));
        assertThat(S3Timestamps.parseAmzDate("20091012T175030Z")).contains(java.time.Instant.parse("2009-10-12T17:50:30Z"));
        assertThat(S3Timestamps.parseAmzDate("2009-10-12")).isEmpty();
    }

    @Test
    void badBodiesNeverEscapeAsAnythingButATypedError() {
        assertThatThrownBy(() -> S3XmlParser.parseDelete(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}))
                .isInstanceOf(S3Exception.class);
    }
}
