package io.wcache.s3.xml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A minimal streaming XML writer for S3 response documents. Hand-written rather than StAX
 * because S3 documents need one thing StAX will not do: characters that XML 1.0 forbids in text
 * (control characters, which S3 keys may contain) are written as numeric references, as S3
 * itself does, instead of producing an unparseable document or failing.
 */
public final class XmlWriter {
    /** The S3 namespace of response documents. */
    public static final String S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

    private final StringBuilder sb = new StringBuilder(256);
    private final Deque<String> open = new ArrayDeque<>();

    /** A document with the XML declaration written. */
    public XmlWriter() {
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }

    /** Opens the root element in the S3 namespace. */
    public XmlWriter root(String name) {
        sb.append('<').append(name).append(" xmlns=\"").append(S3_NS).append("\">");
        open.push(name);
        return this;
    }

    /** Opens an element. */
    public XmlWriter start(String name) {
        sb.append('<').append(name).append('>');
        open.push(name);
        return this;
    }

    /** Opens an element with an {@code xsi:type} attribute (an ACL's {@code Grantee}). */
    public XmlWriter startTyped(String name, String xsiType) {
        sb.append('<').append(name).append(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"");
        escape(xsiType);
        sb.append("\">");
        open.push(name);
        return this;
    }

    /** Closes the innermost open element. */
    public XmlWriter end() {
        sb.append("</").append(open.pop()).append('>');
        return this;
    }

    /** Writes {@code <name>text</name>}. */
    public XmlWriter element(String name, String text) {
        sb.append('<').append(name).append('>');
        escape(text);
        sb.append("</").append(name).append('>');
        return this;
    }

    /** Writes escaped text inside the current element. */
    public XmlWriter text(String text) {
        escape(text);
        return this;
    }

    /** Writes {@code <name>value</name>} for a number. */
    public XmlWriter element(String name, long value) {
        return element(name, Long.toString(value));
    }

    /** Writes {@code <name>true|false</name>}. */
    public XmlWriter element(String name, boolean value) {
        return element(name, value ? "true" : "false");
    }

    /** Writes the element only when {@code text} is not null. */
    public XmlWriter optional(String name, String text) {
        return text == null ? this : element(name, text);
    }

    /** The finished document as UTF-8. */
    public byte[] toBytes() {
        if (!open.isEmpty()) {
            throw new IllegalStateException("unclosed elements: " + open);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return sb.toString();
    }

    private void escape(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    if ((c < 0x20 && c != '\t' && c != '\n') || c == '\r' || c == 0xFFFE || c == 0xFFFF) {
                        sb.append("&#x").append(Integer.toHexString(c).toUpperCase()).append(';');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }
}
