package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.testdata.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** e8q compare end to end on stories260K with tiny settings and no fine-tuning rows. */
class CompareCommandTest {
    @TempDir
    Path tmp;

    @Test
    void printsTheTableAndWritesBothFiles() {
        Path out = tmp.resolve("cmp");
        PrintStream so = System.out, se = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("compare", "--model", TestData.stories260K().toString(),
                    "--calibration", TestData.train().toString(),
                    "--eval", TestData.valid().toString(), "--out", out.toString(),
                    "--samples", "2", "--context", "32", "--eval-context", "32", "--eval-tokens", "100", "--prompts", "2",
                    "--gen-tokens", "5", "--lm-head-bits", "2,4", "--no-e8-bits", "3", "--no-finetune-rows");
        } finally {
            System.setOut(so);
            System.setErr(se);
        }
        String err = e.toString(StandardCharsets.UTF_8), md = o.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, err);
        assertTrue(md.contains("| method | bits/weight | size (bytes) | local error | ppl tinystories_valid_head | divergence (of 5) |"), md);
        assertTrue(md.contains("| FP (F32 as loaded) | 32.000 | 1,056,540 | 0.00 |"), md);
        assertTrue(md.contains("| e8q 2-bit (E8P), no FT, lm_head quantized |"), md);
        assertTrue(md.contains("| e8q 4-bit (E8P + RVQ), no FT, lm_head quantized |"), md);
        assertTrue(md.contains("| no E8: RHT + BlockLDLQ, half-integer grid, 3-bit |"), md);
        assertTrue(!md.contains("half-integer grid, 2-bit"), md);
        assertTrue(!md.contains("Fine-tuning stages"), md);
        assertTrue(Files.exists(out.resolve("compare.md")) && Files.exists(out.resolve("compare.json")), err);
        assertTrue(err.contains("e8q-2-lmhead"), err);
    }
}
