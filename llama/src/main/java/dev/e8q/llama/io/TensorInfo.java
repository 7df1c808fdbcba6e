package dev.e8q.llama.io;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param offset absolute byte offset in the file (8 + header length + data_offsets[0])
 * @param byteLength data_offsets[1] - data_offsets[0]
 */
public record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteLength) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Product of the shape (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
