package io.wcache.core.config;

import io.wcache.core.error.WcacheException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses configuration sizes into bytes: binary units {@code KiB MiB GiB TiB PiB} (powers
 * of 1024), decimal units {@code kB KB MB GB TB PB} (powers of 1000, as disk vendors mean
 * them), {@code B} or no unit for bytes. Units are case-insensitive apart from that
 * distinction; a fraction is accepted ({@code 1.5GiB}) and rounded down to whole bytes.
 * Single letters ({@code 512M}) are refused because they are ambiguous.
 */
public final class ByteSizeParser {

    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");

    private ByteSizeParser() {
    }

    /** @throws WcacheException.InvalidArgument naming {@code key} and {@code value} */
    public static long parse(String key, String value) {
        String v = value == null ? "" : value.trim();
        Matcher m = FORM.matcher(v);
        if (!m.matches()) {
            throw bad(key, value);
        }
        long multiplier = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            case "pib" -> 1L << 50;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            case "pb" -> 1_000_000_000_000_000L;
            default -> throw bad(key, value);
        };
        java.math.BigDecimal bytes = new java.math.BigDecimal(m.group(1)).multiply(java.math.BigDecimal.valueOf(multiplier));
        if (bytes.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new WcacheException.InvalidArgument(key, "config key '" + key + "': size '" + value + "' is too large");
        }
        return bytes.longValue();
    }

    /** Formats bytes in the largest binary unit that represents them exactly. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }

    private static WcacheException.InvalidArgument bad(String key, String value) {
        return new WcacheException.InvalidArgument(key, "config key '" + key + "': '" + value
                + "' is not a size (a number and a unit: 4096, 512MiB, 2TiB, 1GB)");
    }
}
