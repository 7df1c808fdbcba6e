package dev.e8q.codec.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.e8q.codec.E8Matrix;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The valid seeds of {@link E8MatrixCborFuzzTest} really load, so the fuzzer starts from matrices, not rejections. */
class FuzzSeedsTest {
    static byte[] seed(String name) throws IOException {
        try (InputStream in = FuzzSeedsTest.class.getResourceAsStream("E8MatrixCborFuzzTestInputs/fuzz/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void validSeedsLoadAndAreConsistent() throws IOException {
        String[][] seeds = {{"e8p_2bit.cbor", "E8P12", "16x64"}, {"e8p_3bit_padded.cbor", "E8P12RVQ3B", "10x50"},
                {"e8p_4bit.cbor", "E8P12RVQ4B", "16x64"}, {"halfint_2bit.cbor", "HalfInt2", "16x64"}};
        for (String[] s : seeds) {
            E8Matrix q = E8Matrix.fromCbor(seed(s[0]));
            assertEquals(s[1], q.codebook(), s[0]);
            assertEquals(s[2], q.rows() + "x" + q.cols(), s[0]);
            E8MatrixCborFuzzTest.checkConsistent(q);
        }
    }

    /**
     * Found by E8MatrixCborFuzzTest: a 3-bit matrix with residScale 7.7e-121 (positive and finite, so accepted)
     * decoded every second-stage code to ±∞.
     */
    @Test
    void tinyResidualScaleIsRejected() throws IOException {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.e8q.codec.E8FormatException.class,
                () -> E8Matrix.fromCbor(seed("resid_scale_1e-120.cbor")));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("residual scale"), e.getMessage());
    }
}
