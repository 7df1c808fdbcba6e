#!/usr/bin/env python3
"""Makes JCublas 12.6's native library bind to cuBLAS 13 (libcublas.so.13) instead of cuBLAS 12.

JCublas 12.6 (the newest JCuda) links libcublas.so.12 with versioned symbols, so on a machine that only has
CUDA 13's cuBLAS the FP16 baseline cannot load. cuBLAS 13 keeps the v2 API that e8q calls (cublasCreate_v2,
cublasGemmEx, cublasDestroy_v2) with the same signatures, so renaming the library in the ELF's dynamic string
table (and the version-need hash that goes with it) is enough. The rewritten library is written to OUT_DIR
under JCuda's own file name; put that directory on java.library.path (JCuda tries System.loadLibrary before its
bundled copy) and cuBLAS 13 on LD_LIBRARY_PATH:

    cuda/retarget-jcublas.py ~/.m2/repository/org/jcuda/jcublas-natives/12.6.0/jcublas-natives-12.6.0-linux-x86_64.jar OUT_DIR
    java -Djava.library.path=OUT_DIR ...   # with LD_LIBRARY_PATH holding libcublas.so.13 and libcublasLt.so.13

Only the names in .dynstr change; code and data are untouched. Standard library only (zipfile, struct).
"""
import struct
import sys
import zipfile
from pathlib import Path

OLD, NEW = b"libcublas.so.12", b"libcublas.so.13"
LIB = "lib/libJCublas2-12.6.0-linux-x86_64.so"
SHT_DYNSYM, SHT_GNU_VERNEED = 11, 0x6FFFFFFE


def elf_hash(name: bytes) -> int:
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def sections(elf: bytes):
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    for i in range(shnum):
        _, typ, _, _, off, size, link, info, _, _ = struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize)
        yield i, typ, off, size, link, info


def retarget(elf: bytearray) -> int:
    secs = list(sections(elf))
    dynsym = next(s for s in secs if s[1] == SHT_DYNSYM)
    _, _, str_off, str_size, _, _ = secs[dynsym[4]]
    table = bytes(elf[str_off:str_off + str_size])
    needle = OLD + b"\0"
    count = 0
    pos = table.find(needle)
    while pos >= 0:
        if pos == 0 or table[pos - 1] == 0:  # a whole string, not the tail of a longer one
            elf[str_off + pos:str_off + pos + len(OLD)] = NEW
            count += 1
        pos = table.find(needle, pos + 1)
    if count == 0:
        raise ValueError(f"{OLD.decode()} is not named in the library's dynamic string table")
    for _, typ, off, _, _, info in secs:
        if typ != SHT_GNU_VERNEED:
            continue
        vn = off
        for _ in range(info):
            _, cnt, _, aux, nxt = struct.unpack_from("<HHIII", elf, vn)
            a = vn + aux
            for _ in range(cnt):
                _, flags, other, name, anext = struct.unpack_from("<IHHII", elf, a)
                end = elf.index(0, str_off + name)
                if bytes(elf[str_off + name:end]) == NEW:
                    struct.pack_into("<I", elf, a, elf_hash(NEW))
                a += anext
            vn += nxt
    return count


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    src, out = Path(argv[1]), Path(argv[2])
    if src.suffix == ".jar":
        with zipfile.ZipFile(src) as z:
            data = bytearray(z.read(LIB))
    else:
        data = bytearray(src.read_bytes())
    n = retarget(data)
    out.mkdir(parents=True, exist_ok=True)
    dest = out / Path(LIB).name
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(dest)
    print(f"{dest}: {n} reference(s) to {OLD.decode()} now name {NEW.decode()}")


if __name__ == "__main__":
    main(sys.argv)
