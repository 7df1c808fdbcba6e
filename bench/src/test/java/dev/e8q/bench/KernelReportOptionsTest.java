package dev.e8q.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's option checks: a typo fails before any measuring, with the option named. */
class KernelReportOptionsTest {
    private static String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> KernelReport.validate(KernelReport.parse(args))).getMessage();
    }

    @Test
    void acceptsTheDocumentedOptions() {
        Map<String, String> a = KernelReport.parse(new String[] {"--out", "/tmp/r", "--quick", "--shapes", "4096x4096,16384x16384",
                "--formats", "FP32,E8Q2_A8", "--threads", "1,2", "--batches", "4,16", "--time-ms", "100", "--isolate", "false", "--forks", "0"});
        assertDoesNotThrow(() -> KernelReport.validate(a));
        assertEquals("true", a.get("quick"));
        assertEquals("4096x4096,16384x16384", a.get("shapes"));
    }

    @Test
    void namesWhatIsWrong() {
        assertTrue(error("--shape", "4096x4096").contains("unknown option --shape"));
        assertTrue(error("--iters").contains("--iters needs a value"));
        assertTrue(error("--iters", "five").contains("--iters needs integers of at least 1, got five"));
        assertTrue(error("--threads", "1,0").contains("--threads needs integers of at least 1, got 0"));
        assertTrue(error("--shapes", "4096").contains("4096 is not ROWSxCOLS"));
        assertTrue(error("--formats", "FP32,E8Q5").contains("unknown format E8Q5"));
        assertTrue(error("--isolate", "yes").contains("--isolate must be true or false"));
        assertTrue(error("--forks", "-1").contains("--forks needs integers of at least 0, got -1"));
        assertTrue(error("stray").contains("unexpected argument stray"));
    }

    @Test
    void columnsNeedBlocksOf32OnlyForTheGgmlFormats() {
        assertTrue(error("--shapes", "4096x4104").contains("multiple of 32"));
        assertDoesNotThrow(() -> KernelReport.validate(KernelReport.parse(new String[] {"--shapes", "4096x4104", "--formats", "FP32,E8Q2"})));
    }
}
