package dev.e8q.codec.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species the CPU kernels use, chosen once per process: the preferred float species of the
 * machine, capped at 512 bits, and overridable with {@code -De8q.vector.bits=256|512} for A/B runs.
 * Kernels need at least 256 bits (8 float lanes = one E8 block); on narrower machines they fall back to
 * their scalar paths.
 */
public final class Species {
    /** Float species: 8 or 16 lanes. */
    public static final VectorSpecies<Float> F;
    /** Int species with the same lane count as {@link #F}. */
    public static final VectorSpecies<Integer> I;
    /** Short species with the same lane count as {@link #F} (half the bits). */
    public static final VectorSpecies<Short> S;
    /** Byte species with the same lane count as {@link #F} (a quarter of the bits). */
    public static final VectorSpecies<Byte> B;
    /** Lanes of {@link #F}. */
    public static final int LANES;
    /** True when the machine has at least 256-bit float vectors. */
    public static final boolean VECTOR;

    static {
        int pref = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int bits = Integer.getInteger("e8q.vector.bits", Math.min(512, pref));
        if (bits != 256 && bits != 512) throw new IllegalArgumentException("e8q.vector.bits must be 256 or 512, got " + bits);
        if (bits > pref) bits = pref;
        VECTOR = bits >= 256;
        if (!VECTOR) bits = 256; // species objects still exist; kernels take their scalar paths
        boolean wide = bits == 512;
        F = wide ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
        I = wide ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
        S = wide ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
        B = wide ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
        LANES = F.length();
    }

    private Species() {}

    /** Bits of the float species in use. */
    public static int bits() {
        return F.vectorBitSize();
    }
}
