package dev.e8q.llama.tokenizer;

/** A tokenizer.json construct this implementation does not support or cannot parse; wrapped with the file name by the loader. */
final class HfTokenizerException extends Exception {
    private static final long serialVersionUID = 1L;

    HfTokenizerException(String message) {
        super(message);
    }
}
