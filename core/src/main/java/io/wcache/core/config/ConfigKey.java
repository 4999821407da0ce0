package io.wcache.core.config;

import java.util.Objects;

/**
 * The single declaration of one configuration key: its dotted name, type, default (as the
 * text a user would write, where {@code ${data.dir}} stands for the configured base directory)
 * and documentation. All keys live in {@link ConfigKeys}; the reference in
 * {@code docs/CONFIGURATION.md} is generated from them.
 */
public record ConfigKey<T>(String name, ConfigType<T> type, String defaultText, String doc) {

    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultText, "defaultText");
        Objects.requireNonNull(doc, "doc");
    }

    @Override
    public String toString() {
        return name;
    }
}
