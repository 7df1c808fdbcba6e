package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.testdata.TestData;
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
        CliRun r = CliRun.run("", "compare", "--model", TestData.stories260K().toString(),
                "--calibration", TestData.train().toString(),
                "--eval", TestData.valid().toString(), "--out", out.toString(),
                "--samples", "2", "--context", "32", "--eval-context", "32", "--eval-tokens", "100", "--prompts", "2",
                "--gen-tokens", "5", "--lm-head-bits", "2,4", "--no-e8-bits", "3", "--no-finetune-rows");
        String err = r.err(), md = r.out();
        assertEquals(0, r.rc(), err);
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
