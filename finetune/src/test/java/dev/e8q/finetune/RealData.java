package dev.e8q.finetune;

import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** The shared real models and token windows, loaded from the files llama's {@link TestData} locates. */
final class RealData {
    private RealData() {}

    static LlamaModel stories260K() throws IOException {
        try (WeightSource ws = Checkpoints.open(TestData.stories260K())) {
            return LlamaModel.load(ws, DType.F32);
        }
    }

    static dev.e8q.llama.tokenizer.Tokenizer tinyStories656KTokenizer() throws IOException {
        return dev.e8q.llama.tokenizer.Tokenizers.load(TestData.tinyStories656K());
    }

    static LlamaModel tinyStories656K() throws IOException {
        try (WeightSource ws = Checkpoints.open(TestData.tinyStories656K())) {
            return LlamaModel.load(ws, DType.F32);
        }
    }

    /**
     * {@code count} windows of {@code len} tokens ([BOS] + story tokens, stories concatenated) from the
     * TinyStories training text, tokenized with tok512.
     */
    static List<int[]> storiesTokens(int count, int len) throws IOException {
        return storiesTokens(Llama2cTokenizer.load(TestData.tok512()), count, len);
    }

    static List<int[]> storiesTokens(dev.e8q.llama.tokenizer.Tokenizer tok, int count, int len) throws IOException {
        String text = Files.readString(TestData.train());
        List<int[]> out = new ArrayList<>();
        int[] buf = new int[len];
        int fill = 0;
        for (String story : text.split("<\\|endoftext\\|>")) {
            String s = story.strip();
            if (s.isEmpty()) continue;
            for (int id : tok.encode(s, true, false)) {
                buf[fill++] = id;
                if (fill == len) {
                    out.add(buf.clone());
                    if (out.size() == count) return out;
                    fill = 0;
                }
            }
        }
        return out;
    }
}
