package dev.e8q.llama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void findsTheTokenizerBesideALlama2cFileAndInsideAnHfDirectory() throws Exception {
        Path bin = TestData.file("stories260K/stories260K.bin");
        Tokenizer t = ModelLoader.tokenizer(bin, null);
        assertEquals(512, t.vocabSize());
        assertArrayEquals(new int[] {1, 410, 469, 347}, t.encode("Zoo", true, false));
        Tokenizer h = ModelLoader.tokenizer(TestData.file("tinystories656K"), null);
        assertEquals(2048, h.vocabSize());
        assertArrayEquals(new int[] {1, 80, 147, 201, 282, 57}, h.encode("Once upon a time", true, false));
        // nothing beside a lone file: a clear error
        Path lone = Files.copy(bin, tmp.resolve("model.bin"));
        IOException e = assertThrows(IOException.class, () -> ModelLoader.tokenizer(lone, null));
        assertEquals(true, e.getMessage().contains("--tokenizer"));
        assertEquals(512, ModelLoader.tokenizer(lone, TestData.file("stories260K/tok512.bin")).vocabSize());
    }

    @Test
    void registeredHandlersComeBeforeTheDenseReader() throws Exception {
        Path bin = TestData.file("stories260K/stories260K.bin");
        LlamaModel dense = ModelLoader.load(bin, DType.BF16);
        assertEquals(5, dense.config().nLayers());
        assertEquals(DType.BF16, ((DenseLinear) dense.block(0).linear(LinearKind.Q)).dtype());
        Path marker = Files.createDirectory(tmp.resolve("quantized"));
        ModelLoader.register(new ModelLoader.Handler() {
            public boolean accepts(Path p) {
                return p.equals(marker);
            }

            public LlamaModel load(Path p, DType storage) {
                return dense;
            }
        });
        assertSame(dense, ModelLoader.load(marker, DType.F32));
        assertEquals(DType.F32, ((DenseLinear) ModelLoader.load(bin, DType.F32).block(0).linear(LinearKind.Q)).dtype());
    }
}
