package dev.e8q.llama.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a llama2.c tokenizer as a Hugging Face {@code tokenizer.json} (+ {@code tokenizer_config.json})
 * that encodes the same way. llama2.c merges the adjacent pair whose concatenation has the highest score;
 * BPE merges the pair of lowest rank. Listing every split (a, b) of every piece p as a merge, ranked by
 * p's score (highest first), makes the two rules agree whenever scores are distinct. Spaces in pieces
 * become ▁ and a normalizer does the same to the text (with the dummy-prefix ▁), as in Llama 2's own
 * tokenizer.json.
 *
 * <p>Known differences: pieces whose scores tie (in Llama 2's vocabulary, 16 runs of spaces share
 * score -1e9) can merge in a different order; the texts "&lt;s&gt;", "&lt;/s&gt;" and "&lt;unk&gt;" become the
 * special ids in HF but plain text in llama2.c; a literal U+2581 in the text is a space in HF but
 * byte-fallback in llama2.c.
 */
public final class Llama2cToHf {
    private static final String SPACE = "\u2581";

    private Llama2cToHf() {}

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
    public static void write(Llama2cTokenizer tok, Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(dir);
        dev.e8q.llama.io.AtomicFiles.write(dir.resolve("tokenizer.json"), json.writeValueAsBytes(tokenizerJson(tok, json)));
        ObjectNode cfg = json.createObjectNode();
        cfg.put("tokenizer_class", "LlamaTokenizerFast");
        cfg.put("bos_token", "<s>");
        cfg.put("eos_token", "</s>");
        cfg.put("unk_token", "<unk>");
        cfg.put("add_bos_token", true);
        cfg.put("add_eos_token", false);
        dev.e8q.llama.io.AtomicFiles.write(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
    }

    static ObjectNode tokenizerJson(Llama2cTokenizer tok, ObjectMapper json) throws IOException {
        int n = tok.vocabSize();
        String[] pieces = new String[n];
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < n; i++) {
            // The llama2.c file spells the control pieces for printing ("\n<s>\n"); HF uses the bare names.
            pieces[i] = i == 0 ? "<unk>" : i == tok.bos() ? "<s>" : i == tok.eos() ? "</s>" : utf8(tok.piece(i), i).replace(" ", SPACE);
            Integer dup = ids.putIfAbsent(pieces[i], i);
            if (dup != null) throw new IOException("pieces " + dup + " and " + i + " are both '" + pieces[i] + "'");
        }
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) {
            ObjectNode a = added.addObject();
            a.put("id", i);
            a.put("content", pieces[i]);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode steps = norm.putArray("normalizers");
        steps.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode repl = steps.addObject().put("type", "Replace");
        repl.putObject("pattern").put("String", " ");
        repl.put("content", SPACE);
        root.putNull("pre_tokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        post.putArray("pair");
        ObjectNode st = post.putObject("special_tokens").putObject("<s>");
        st.put("id", "<s>");
        st.putArray("ids").add(tok.bos());
        st.putArray("tokens").add("<s>");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode ds = dec.putArray("decoders");
        ObjectNode r = ds.addObject().put("type", "Replace");
        r.putObject("pattern").put("String", SPACE);
        r.put("content", " ");
        ds.addObject().put("type", "ByteFallback");
        ds.addObject().put("type", "Fuse");
        ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < n; i++) vocab.put(pieces[i], i);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : merges(tok, pieces, ids)) merges.addArray().add(m[0]).add(m[1]);
        return root;
    }

    /** Every split of every mergeable piece into two vocabulary pieces, best score first. */
    private static List<String[]> merges(Llama2cTokenizer tok, String[] pieces, Map<String, Integer> ids) {
        List<int[]> found = new ArrayList<>(); // {result id, left id, right id}
        for (int id = 3; id < pieces.length; id++) {
            String p = pieces[id];
            if (isBytePiece(p)) continue;
            for (int i = p.offsetByCodePoints(0, 1); i < p.length(); i = p.offsetByCodePoints(i, 1)) {
                Integer a = ids.get(p.substring(0, i)), b = ids.get(p.substring(i));
                if (a != null && b != null && a > 2 && b > 2) found.add(new int[] {id, a, b});
            }
        }
        found.sort(Comparator.<int[]>comparingDouble(m -> -tok.score(m[0])).thenComparingInt(m -> m[0]));
        List<String[]> out = new ArrayList<>(found.size());
        for (int[] m : found) out.add(new String[] {pieces[m[1]], pieces[m[2]]});
        return out;
    }

    private static boolean isBytePiece(String p) {
        return p.length() == 6 && p.startsWith("<0x") && p.endsWith(">");
    }

    private static String utf8(byte[] b, int id) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("piece " + id + " is not valid UTF-8; cannot express it in tokenizer.json");
        }
    }

}
