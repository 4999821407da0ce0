package io.wcache.s3.xml;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.s3.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class S3XmlProperties {

    @Property(tries = 300)
    void deleteBodiesRoundTripAnyXmlSafeKey(@ForAll("keys") @Size(min = 1, max = 20) List<String> keys) {
        XmlWriter w = new XmlWriter().root("Delete");
        for (String k : keys) {
            w.start("Object").element("Key", k).end();
        }
        byte[] body = w.end().toBytes();
        assertThat(S3XmlParser.parseDelete(body).objects()).extracting(S3XmlModel.ObjectIdentifier::key)
                .containsExactlyElementsOf(keys);
    }

    @Property(tries = 1000)
    void arbitraryBodiesOnlyFailWithATypedError(@ForAll("bodies") byte[] body) {
        try {
            S3XmlParser.parseDelete(body);
        } catch (S3Exception expected) {
            // the only failure allowed
        }
        try {
            S3XmlParser.parseCompleteMultipartUpload(body);
        } catch (S3Exception expected) {
            // the only failure allowed
        }
    }

    @Provide
    Arbitrary<List<String>> keys() {
        // Characters XML 1.0 can carry in text: tab, LF, and everything from space up, minus surrogates/FFFE/FFFF.
        Arbitrary<String> key = Arbitraries.strings()
                .withChars('\t', '\n')
                .withCharRange(' ', '\uD7FF')
                .withCharRange('\uE000', '\uFFFD')
                .ofMinLength(1).ofMaxLength(60);
        return key.list();
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> tokens = Arbitraries.of("<Delete>", "</Delete>", "<Object>", "</Object>", "<Key>", "</Key>",
                        "<CompleteMultipartUpload>", "</CompleteMultipartUpload>", "<Part>", "</Part>", "<PartNumber>",
                        "</PartNumber>", "<ETag>", "</ETag>", "1", "99999", "&amp;", "&bogus;", "&#0;", "<!DOCTYPE x>",
                        "<![CDATA[", "]]>", "<?xml version=\"1.0\"?>", "<!--", "-->", "<Quiet>true</Quiet>", "\u0000", "x")
                .list().ofMaxSize(30)
                .map(parts -> String.join("", parts).getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(tokens, Arbitraries.bytes().array(byte[].class).ofMaxSize(200));
    }
}
