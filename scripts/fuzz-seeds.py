#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora (docs/robustness.md) from /work/shared/data (or $E8Q_DATA) and
small synthetic files. Run from the repository root: python3 scripts/fuzz-seeds.py
Keeps every seed small (the whole committed corpus stays well under 1 MB)."""
import json, os, struct, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = pathlib.Path(os.environ.get("E8Q_DATA") or next(
    p / "shared" / "data" for p in [ROOT, *ROOT.parents] if (p / "shared" / "data" / "README.md").exists()))
MARK = b"\n--8<--\n"


def out(module, cls, name, content):
    pkg = {"llama": "dev/e8q/llama/fuzz", "codec": "dev/e8q/codec/fuzz", "convert": "dev/e8q/convert/fuzz"}[module]
    d = ROOT / module / "src/test/resources" / pkg / (cls + "Inputs") / "fuzz"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, off, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def f32n(n, seed=1):
    return f32(*[((i * 37 + seed) % 17 - 8) / 8 for i in range(n)])


# ---- safetensors -------------------------------------------------------------------------------
every = safetensors([
    ("f32", "F32", [2, 3], f32n(6)), ("f16", "F16", [3], struct.pack("<3e", 1.0, -2.5, 0.0)),
    ("bf16", "BF16", [2], b"\x80\x3f\x00\xc0"), ("f64", "F64", [1], struct.pack("<d", 0.5)),
    ("i64", "I64", [2], struct.pack("<2q", 7, -1)), ("i32", "I32", [1], struct.pack("<i", 3)),
    ("i16", "I16", [2], struct.pack("<2h", 1, 2)), ("u8", "U8", [2], b"\x01\xff"), ("i8", "I8", [1], b"\x80"),
    ("bool", "BOOL", [1], b"\x01"), ("scalar", "F32", [], f32(1.0)), ("empty", "F32", [0, 4], b"")],
    {"format": "pt"})
out("llama", "SafetensorsFuzzTest", "every_dtype.safetensors", every)
real = (DATA / "tinystories656K/model.safetensors").read_bytes()
hlen = struct.unpack("<Q", real[:8])[0]
out("llama", "SafetensorsFuzzTest", "tinystories656K_header_truncated.safetensors", real[:8 + hlen + 64])
# The real header with every tensor shrunk to a couple of elements (names, order and metadata kept).
hdr = json.loads(real[8:8 + hlen])
shrunk = [(k, "F32", [2] * len(v["shape"]), f32n(2 ** len(v["shape"]))) for k, v in hdr.items() if k != "__metadata__"]
out("llama", "SafetensorsFuzzTest", "tinystories656K_shrunk.safetensors", safetensors(shrunk, hdr.get("__metadata__")))
out("llama", "SafetensorsFuzzTest", "quip_layer.safetensors", safetensors([
    ("model.layers.0.self_attn.qkv_proj.Qidxs", "I64", [16, 2], struct.pack("<32q", *range(32))),
    ("model.layers.0.self_attn.qkv_proj.SU", "F16", [64], struct.pack("<64e", *([1.0, -1.0] * 32))),
    ("model.layers.0.self_attn.qkv_proj.codebook_id", "I64", [], struct.pack("<q", 7))]))

# ---- shards ------------------------------------------------------------------------------------
s1 = safetensors([("a", "F32", [2], f32(1, 2)), ("b", "I64", [1], struct.pack("<q", 5))])
s2 = safetensors([("c", "BF16", [2, 1], b"\x80\x3f\x00\xc0")], {"format": "pt"})
idx = json.dumps({"metadata": {"total_size": 26}, "weight_map": {
    "a": "model-00001.safetensors", "b": "model-00001.safetensors", "c": "model-00002.safetensors"}}).encode()
out("llama", "SafetensorsShardsFuzzTest", "two_shards", idx + MARK + s1 + MARK + s2)

# ---- llama2.c checkpoints ----------------------------------------------------------------------
def llama2c(dim, hidden, layers, heads, kv, vocab, seq):
    hd = dim // heads
    kvd = kv * hd
    n = abs(vocab) * dim + layers * (2 * dim + 2 * dim * dim + 2 * kvd * dim + 3 * hidden * dim) + dim + seq * hd
    if vocab < 0:
        n += abs(vocab) * dim
    return struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq) + f32n(n)

out("llama", "Llama2cCheckpointFuzzTest", "tiny_shared.bin", llama2c(4, 4, 1, 2, 1, 3, 2))
out("llama", "Llama2cCheckpointFuzzTest", "tiny_unshared.bin", llama2c(2, 2, 2, 1, 1, -3, 1))
out("llama", "Llama2cCheckpointFuzzTest", "stories260K_truncated.bin", (DATA / "stories260K/stories260K.bin").read_bytes()[:256])
out("llama", "Llama2cCheckpointFuzzTest", "v1_magic.bin", struct.pack("<2i", 0x616b3432, 1) + bytes(248))

# ---- config.json -------------------------------------------------------------------------------
cfg = (DATA / "tinystories656K/config.json").read_bytes()
out("llama", "HfConfigFuzzTest", "tinystories656K.json", cfg)
out("llama", "HfConfigFuzzTest", "llama3.json", json.dumps({
    "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 300, "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0, "bos_token_id": 1, "eos_token_id": [2, 3], "tie_word_embeddings": True,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192}}))
out("llama", "HfConfigFuzzTest", "qwen2.json", json.dumps({
    "model_type": "qwen2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 100, "max_position_embeddings": 128,
    "hidden_act": "silu", "rope_scaling": None, "bos_token_id": None, "eos_token_id": 5}))

# ---- dense Hugging Face directory --------------------------------------------------------------
tiny_cfg = {"architectures": ["LlamaForCausalLM"], "hidden_size": 4, "intermediate_size": 4, "num_hidden_layers": 1,
            "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 3, "max_position_embeddings": 8,
            "tie_word_embeddings": True, "rms_norm_eps": 1e-6, "bos_token_id": 1, "eos_token_id": 2}
p = "model.layers.0."
dense = [("lm_head.weight", "F32", [3, 4], f32n(12)), (p + "input_layernorm.weight", "F32", [4], f32n(4)),
         (p + "self_attn.q_proj.weight", "BF16", [4, 4], bytes(32)), (p + "self_attn.k_proj.weight", "F32", [2, 4], f32n(8)),
         (p + "self_attn.v_proj.weight", "F16", [2, 4], bytes(16)), (p + "self_attn.o_proj.weight", "F32", [4, 4], f32n(16)),
         (p + "post_attention_layernorm.weight", "F32", [4], f32n(4)), (p + "mlp.gate_proj.weight", "F32", [4, 4], f32n(16)),
         (p + "mlp.up_proj.weight", "F32", [4, 4], f32n(16)), (p + "mlp.down_proj.weight", "F32", [4, 4], f32n(16)),
         ("model.norm.weight", "F32", [4], f32n(4))]
out("llama", "HfCheckpointFuzzTest", "tiny_single", json.dumps(tiny_cfg).encode() + MARK
    + safetensors(dense, {"format": "pt", "model.embed_tokens.weight": "lm_head.weight"}))
half = len(dense) // 2
wm = {n: "model-00001.safetensors" for n, *_ in dense[:half]} | {n: "model-00002.safetensors" for n, *_ in dense[half:]}
out("llama", "HfCheckpointFuzzTest", "tiny_sharded", json.dumps(tiny_cfg).encode() + MARK + json.dumps({"weight_map": wm}).encode()
    + MARK + safetensors(dense[:half]) + MARK + safetensors(dense[half:]))

# ---- llama2.c tokenizer ------------------------------------------------------------------------
def tokbin(pieces, maxlen=None):
    b = struct.pack("<i", maxlen or max(len(p) for p, _ in pieces))
    for p, s in pieces:
        b += struct.pack("<fi", s, len(p)) + p
    return b

tok = (DATA / "stories260K/tok512.bin").read_bytes()
out("llama", "Llama2cTokenizerFuzzTest", "tok512.bin", tok)
pieces, at = [], 4
while at < len(tok):
    s, n = struct.unpack_from("<fi", tok, at)
    pieces.append((tok[at + 8:at + 8 + n], s))
    at += 8 + n
out("llama", "Llama2cTokenizerFuzzTest", "tok512_first8.bin", tokbin(pieces[:3] + pieces[259:264]))
out("llama", "Llama2cTokenizerFuzzTest", "tiny_merges.bin", tokbin(
    [(b"<unk>", 0), (b"\n<s>\n", 0), (b"\n</s>\n", 0), (b"<0x41>", 0), (b" ", -1), (b"a", -2), (b"b", -3),
     (b" a", -4), (b"ab", -5), (b" ab", -6), (b"\xc3\xa9", -7)]))

# ---- tokenizer.json ----------------------------------------------------------------------------
ts = json.loads((DATA / "tinystories656K/tokenizer.json").read_text())
keep = {k: v for k, v in ts["model"]["vocab"].items() if v < 120}
merges = [m for m in ts["model"]["merges"] if all(x in keep for x in (m.split(" ")[0], m.split(" ")[1], m.replace(" ", "")))]
ts["model"]["vocab"], ts["model"]["merges"] = keep, merges[:60]
out("llama", "HfTokenizerFuzzTest", "tinystories656K_small.json", json.dumps(ts, ensure_ascii=False))
fixtures = ROOT / "llama/src/test/resources/dev/e8q/llama/tokenizer"
out("llama", "HfTokenizerFuzzTest", "sentencepiece.json", (fixtures / "sentencepiece/tokenizer.json").read_bytes())
out("llama", "HfTokenizerFuzzTest", "bytelevel.json", (fixtures / "bytelevel/tokenizer.json").read_bytes())
print("seeds written")

# ---- CBOR E8Matrix (codec) ---------------------------------------------------------------------
def cbor(v):
    def head(major, n):
        if n < 24: return bytes([major << 5 | n])
        for k, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)): return bytes([major << 5 | k]) + struct.pack(fmt, n)
    if isinstance(v, bool): return b"\xf5" if v else b"\xf4"
    if isinstance(v, int): return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float): return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str): b = v.encode(); return head(3, len(b)) + b
    if isinstance(v, bytes): return head(2, len(v)) + v
    if isinstance(v, dict): return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)

def matrix(codebook, rows, cols, bits, m, n, rs, payload_key, payload):
    return cbor({"schema": 1, "codebook": codebook, "rows": rows, "cols": cols, "bits": bits, "paddedRows": m,
                 "paddedCols": n, "residScale": rs, "su": f32(*([1.0, -1.0] * (n // 2))),
                 "sv": f32(*([0.5, -0.25] * (m // 2))), payload_key: payload})

out("codec", "E8MatrixCborFuzzTest", "e8p_2bit.cbor", matrix("E8P12", 16, 64, 2, 16, 64, 0.0, "qidxs",
    struct.pack("<32Q", *[(i * 0x9E3779B97F4A7C15) & (2**64 - 1) for i in range(32)])))
out("codec", "E8MatrixCborFuzzTest", "e8p_3bit_padded.cbor", matrix("E8P12RVQ3B", 10, 50, 3, 16, 64, 2.04, "qidxs", bytes(8 * 48)))
out("codec", "E8MatrixCborFuzzTest", "e8p_4bit.cbor", matrix("E8P12RVQ4B", 16, 64, 4, 16, 64, 3.45, "qidxs", bytes(8 * 64)))
out("codec", "E8MatrixCborFuzzTest", "halfint_2bit.cbor", matrix("HalfInt2", 16, 64, 2, 16, 64, 0.0, "codes",
    struct.pack("<128i", *[i % 256 for i in range(128)])))
print("codec seeds written")

# ---- quantized (QuIP#-layout) checkpoint directory (convert) -----------------------------------
def f16(*v):
    return struct.pack("<%de" % len(v), *v)

def quip_dir(bits):
    dim, hidden, heads, kv, vocab = 64, 32, 4, 2, 4
    words = {2: 2, 3: 3, 4: 4}[bits]  # int64 words per row for 64 padded columns
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": dim, "intermediate_size": hidden,
           "num_hidden_layers": 1, "num_attention_heads": heads, "num_key_value_heads": kv, "head_dim": dim // heads,
           "vocab_size": vocab, "max_position_embeddings": 16, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
           "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2,
           "quip_params": {"codebook": {2: "E8P12", 3: "E8P12RVQ3B", 4: "E8P12RVQ4B"}[bits],
                           "codebook_version": 0 if bits == 3 else 1, "codesz": 8, "idx_dtype": "torch.int64",
                           "packsz": {2: 4, 3: 8 / 3, 4: 2}[bits], "lora_rank": 0, "rescale_WH": False,
                           "resid_scale_override": -1, "model_version": 1}}
    t = []
    p = "model.layers.0."
    for name, rows, fuse in (("self_attn.qkv_proj", 128, 3), ("self_attn.o_proj", 64, 0), ("mlp.upgate_proj", 64, 2),
                             ("mlp.down_proj", 64, 0)):
        q = [(i * 0x9E3779B97F4A7C15) & 0x00FF00FF00FF00FF for i in range(rows * words)] if bits == 2 else [0] * (rows * words)
        t += [(p + name + ".Qidxs", "I64", [rows, words], struct.pack("<%dQ" % len(q), *q)),
              (p + name + ".SU", "F16", [64], f16(*([1.0, -1.0] * 32))),
              (p + name + ".SV", "F16", [rows], f16(*([0.02, -0.03] * (rows // 2)))),
              (p + name + ".Wscale", "F16", [], f16(1.0)),
              (p + name + ".codebook_id", "I64", [], struct.pack("<q", {2: 7, 3: 18, 4: 17}[bits]))]
        if fuse:
            t.append((p + name + ".fuse_scales", "F16", [fuse], f16(*([1.0] * fuse))))
    t += [(p + "input_layernorm.weight", "F16", [dim], f16(*([1.0] * dim))),
          (p + "post_attention_layernorm.weight", "F16", [dim], f16(*([1.0] * dim))),
          ("model.norm.weight", "F16", [dim], f16(*([1.0] * dim))),
          ("lm_head.weight", "F16", [vocab, dim], f16(*[((i % 7) - 3) / 8 for i in range(vocab * dim)]))]
    return json.dumps(cfg).encode() + MARK + safetensors(t)

out("convert", "QuantizedCheckpointFuzzTest", "quip_2bit", quip_dir(2))
out("convert", "QuantizedCheckpointFuzzTest", "quip_3bit", quip_dir(3))
print("convert seeds written")

# ChatTemplateFuzzTest: tokenizer_config.json [MARK chat_template.jinja], templates from llama's test resources
TEMPLATES = ROOT / "llama/src/test/resources/chat-templates"
tok_cfg = json.loads((DATA / "tinystories656K/tokenizer_config.json").read_text())
for name in ("llama3", "chatml", "python-features"):
    out("llama", "ChatTemplateFuzzTest", "config_" + name,
        json.dumps(dict(tok_cfg, chat_template=(TEMPLATES / (name + ".jinja")).read_text(encoding="utf-8"))))
for name in ("llama2", "zephyr"):
    out("llama", "ChatTemplateFuzzTest", "file_" + name,
        json.dumps({"bos_token": "<s>", "eos_token": "</s>"}).encode() + MARK + (TEMPLATES / (name + ".jinja")).read_bytes())
out("llama", "ChatTemplateFuzzTest", "named_templates", json.dumps({"chat_template": [
    {"name": "default", "template": "{% for m in messages %}{{ m.content }}{% endfor %}"}, {"name": "tool_use", "template": "x"}]}))
print("chat template seeds written")

# ApiRequestFuzzTest: one byte for the endpoint (even: chat, odd: completion), then the request body
out("convert", "ApiRequestFuzzTest", "chat_full", b"\x00" + json.dumps({
    "model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                               {"role": "assistant", "content": None}, {"role": "user", "content": [{"type": "text", "text": "go"}]}],
    "max_completion_tokens": 32, "temperature": 0.7, "top_p": 0.9, "seed": 42, "stop": ["\n\n", "User:"],
    "stream": True, "stream_options": {"include_usage": True}, "n": 1, "logprobs": False, "presence_penalty": 0.1,
    "frequency_penalty": -0.5, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1, "repeat_last_n": 64}).encode())
out("convert", "ApiRequestFuzzTest", "chat_refused", b"\x00" + json.dumps({
    "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], "tools": [{"type": "function"}],
    "response_format": {"type": "json_object"}, "logit_bias": {"1": 5}}).encode())
out("convert", "ApiRequestFuzzTest", "completion", b"\x01" + json.dumps({
    "prompt": ["Once upon a time"], "max_tokens": 16, "temperature": 0, "stop": "The end", "echo": False, "suffix": None}).encode())
print("server request seeds written")
