package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.llama.testdata.TestData;
import org.junit.jupiter.api.Test;

/** e8q bench: every asked-for test is reported with positive speeds, as a table or as JSON. */
class BenchCommandTest {
    @Test
    void tableAndJsonCoverEveryTest() throws Exception {
        String model = TestData.stories260K().toString(), tok = TestData.tok512().toString();
        CliRun table = CliRun.run("", "bench", "--model", model, "--tokenizer", tok, "-p", "16,64", "-n", "8", "-r", "2", "--warmup", "0");
        assertEquals(0, table.rc(), table.err());
        String[] lines = table.out().strip().split("\n");
        assertEquals(5, lines.length, table.out()); // header, rule, pp16, pp64, tg8
        assertTrue(lines[2].contains("| pp16 |") && lines[3].contains("| pp64 |") && lines[4].contains("| tg8 |"), table.out());
        assertTrue(lines[2].startsWith("| stories260K.bin |"), lines[2]);

        CliRun json = CliRun.run("", "bench", "--model", model, "--tokenizer", tok, "-p", "0", "-n", "8", "-r", "3", "--json", "--kv-cache", "f16");
        assertEquals(0, json.rc(), json.err());
        JsonNode root = new ObjectMapper().readTree(json.out());
        assertEquals("f16", root.get("kv_cache").asText());
        assertEquals(1, root.get("tests").size());
        JsonNode tg = root.get("tests").get(0);
        assertEquals("tg8", tg.get("test").asText());
        assertEquals(3, tg.get("runs").size());
        double sum = 0;
        for (JsonNode v : tg.get("runs")) {
            assertTrue(v.asDouble() > 0, tg.toString());
            sum += v.asDouble();
        }
        assertEquals(sum / 3, tg.get("mean_tokens_per_second").asDouble(), 1e-9 * sum);
        double[] runs = {tg.get("runs").get(0).asDouble(), tg.get("runs").get(1).asDouble(), tg.get("runs").get(2).asDouble()};
        java.util.Arrays.sort(runs);
        assertEquals(runs[1], tg.get("median_tokens_per_second").asDouble());
    }
}
