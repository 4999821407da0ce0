package io.wcache.fdb.embedded;

import com.apple.foundationdb.MutationType;

import java.util.Arrays;

/**
 * FoundationDB's atomic mutation semantics, applied to a known existing value. Numeric operations treat
 * values as little-endian unsigned integers whose width is the parameter's length: the existing value is
 * truncated or zero-extended to that width, and an absent value takes the parameter itself (except
 * {@code ADD}, which adds to zero, and {@code COMPARE_AND_CLEAR}, which leaves an absent key absent).
 */
final class AtomicMutations {
    /** FoundationDB's value size limit, which also bounds {@code APPEND_IF_FITS}. */
    static final int VALUE_SIZE_LIMIT = 100_000;

    private AtomicMutations() {
    }

    /**
     * Applies {@code type} with {@code param} to {@code existing}.
     *
     * @return the new value, or {@code null} when the mutation clears the key
     */
    static byte[] apply(MutationType type, byte[] existing, byte[] param) {
        switch (type) {
            case ADD:
                return add(existing == null ? new byte[0] : existing, param);
            case BIT_AND:
            case AND:
                return existing == null ? param.clone() : bitwise(existing, param, 0);
            case BIT_OR:
            case OR:
                return existing == null ? param.clone() : bitwise(existing, param, 1);
            case BIT_XOR:
            case XOR:
                return existing == null ? param.clone() : bitwise(existing, param, 2);
            case APPEND_IF_FITS:
                if (existing == null) {
                    return param.clone();
                }
                if (existing.length + param.length > VALUE_SIZE_LIMIT) {
                    return existing;
                }
                byte[] joined = Arrays.copyOf(existing, existing.length + param.length);
                System.arraycopy(param, 0, joined, existing.length, param.length);
                return joined;
            case MAX:
                if (existing == null) {
                    return param.clone();
                }
                return compareLittleEndian(resize(existing, param.length), param) >= 0 ? resize(existing, param.length) : param.clone();
            case MIN:
                if (existing == null) {
                    return param.clone();
                }
                return compareLittleEndian(resize(existing, param.length), param) <= 0 ? resize(existing, param.length) : param.clone();
            case BYTE_MAX:
                if (existing == null) {
                    return param.clone();
                }
                return Arrays.compareUnsigned(existing, param) >= 0 ? existing : param.clone();
            case BYTE_MIN:
                if (existing == null) {
                    return param.clone();
                }
                return Arrays.compareUnsigned(existing, param) <= 0 ? existing : param.clone();
            case COMPARE_AND_CLEAR:
                return existing != null && Arrays.equals(existing, param) ? null : existing;
            default:
                throw new IllegalArgumentException("not a value-computing mutation: " + type);
        }
    }

    private static byte[] resize(byte[] value, int width) {
        return value.length == width ? value : Arrays.copyOf(value, width);
    }

    private static byte[] add(byte[] existing, byte[] param) {
        byte[] out = new byte[param.length];
        int carry = 0;
        for (int i = 0; i < param.length; i++) {
            int a = i < existing.length ? existing[i] & 0xff : 0;
            int sum = a + (param[i] & 0xff) + carry;
            out[i] = (byte) sum;
            carry = sum >>> 8;
        }
        return out;
    }

    private static byte[] bitwise(byte[] existing, byte[] param, int op) {
        byte[] out = new byte[param.length];
        for (int i = 0; i < param.length; i++) {
            int a = i < existing.length ? existing[i] : 0;
            int b = param[i];
            out[i] = (byte) (op == 0 ? a & b : op == 1 ? a | b : a ^ b);
        }
        return out;
    }

    /** Compares two equal-width little-endian unsigned integers. */
    private static int compareLittleEndian(byte[] a, byte[] b) {
        for (int i = a.length - 1; i >= 0; i--) {
            int c = Integer.compare(a[i] & 0xff, b[i] & 0xff);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /**
     * Substitutes a 10-byte versionstamp into {@code operand}, whose last four bytes are the little-endian
     * offset of the placeholder (API version 520 and later), and drops those four bytes.
     */
    static byte[] fillVersionstamp(byte[] operand, byte[] stamp) {
        if (operand.length < 4) {
            throw EmbeddedFdbException.of(com.apple.foundationdb.FDBError.CLIENT_INVALID_OPERATION,
                    "versionstamp operand shorter than its 4-byte offset");
        }
        int n = operand.length - 4;
        int offset = (operand[n] & 0xff) | (operand[n + 1] & 0xff) << 8 | (operand[n + 2] & 0xff) << 16 | (operand[n + 3] & 0xff) << 24;
        if (offset < 0 || offset + 10 > n) {
            throw EmbeddedFdbException.of(com.apple.foundationdb.FDBError.CLIENT_INVALID_OPERATION,
                    "versionstamp offset " + offset + " outside an operand of " + n + " bytes");
        }
        byte[] out = Arrays.copyOf(operand, n);
        System.arraycopy(stamp, 0, out, offset, 10);
        return out;
    }
}
