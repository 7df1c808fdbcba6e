// CPU emulation of e8q_kernels.cu, for tests on machines without a GPU (EmulatedKernelsTest).
//
// The CUDA source itself is compiled as C++. Every CUDA thread of a block is a fiber (ucontext) on one OS
// thread, scheduled round-robin: __syncthreads() waits for all fibers of the block, __shfl_xor_sync is a
// two-phase exchange over the 32 fibers of the warp, __shared__ arrays are static (one block runs at a time).
// A fiber runs until it waits, so threads are not in lock step: code that relied on implicit warp synchrony
// or on a missing barrier would fail here. It proves the source's logic and the host's argument lists, not
// performance or GPU-specific behaviour (alignment, occupancy, the memory model of a real GPU).
//
// Protocol (little-endian, stdin → stdout):
//   in:  i32 nameLen, name, i32 gridX, gridY, blockX, i32 nBuffers, per buffer: i64 bytes + data,
//        i32 nArgs, per arg: u8 tag ('b' i32 buffer | 'n' | 'i' i32 | 'f' f32)
//   out: every buffer's bytes after the launch, in order.
#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#define E8Q_HOST_EMULATION 1
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 { unsigned x = 1, y = 1, z = 1; };
struct float4 { float x, y, z, w; };
static dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {
struct Fiber {
    ucontext_t ctx;
    std::unique_ptr<char[]> stack;  // uninitialized: zero-filling 256 stacks per launch would dominate
    bool done = false;
};
static constexpr size_t kStack = 64 * 1024;
static std::vector<Fiber> fibers;
static ucontext_t scheduler;
static unsigned current;
static const std::function<void()>* body;

/** Lets the other fibers run; returns when the scheduler comes back to this one. */
static void yield() { swapcontext(&fibers[current].ctx, &scheduler); }

/** A reusable barrier for `count` fibers. */
struct Barrier {
    unsigned count = 0, arrived = 0, generation = 0;
    void wait() {
        unsigned gen = generation;
        if (++arrived == count) {
            arrived = 0;
            ++generation;
            return;
        }
        while (generation == gen) yield();
    }
};
static Barrier block;
static std::vector<Barrier> warps;
static float shfl[1024];

static void entry() {
    (*body)();
    fibers[current].done = true;
    swapcontext(&fibers[current].ctx, &scheduler);
}

/** Runs `fn` as blockDim.x fibers for the current blockIdx, until all have returned. */
static void runBlock(const std::function<void()>& fn) {
    const unsigned n = blockDim.x;
    body = &fn;
    fibers.resize(n);
    for (unsigned t = 0; t < n; ++t) {
        Fiber& f = fibers[t];
        f.done = false;
        if (!f.stack) f.stack.reset(new char[kStack]);
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack.get();
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, entry, 0);
    }
    block = Barrier{n};
    warps.assign(n / 32, Barrier{32});
    for (unsigned live = n; live > 0;) {
        live = 0;
        for (unsigned t = 0; t < n; ++t) {
            if (fibers[t].done) continue;
            current = t;
            threadIdx = dim3{t, 0, 0};
            swapcontext(&scheduler, &fibers[t].ctx);
            if (!fibers[t].done) ++live;
        }
    }
}
}  // namespace emu

static inline void __syncthreads() { emu::block.wait(); }
static inline float __shfl_xor_sync(unsigned mask, float v, int laneMask) {
    (void) mask;
    const unsigned t = emu::current, w = t >> 5;
    emu::shfl[t] = v;
    emu::warps[w].wait();
    const float r = emu::shfl[(t & ~31u) | ((t & 31u) ^ (unsigned) laneMask)];
    emu::warps[w].wait();
    return r;
}
template <class T> static inline T __ldg(const T* p) { return *p; }
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline float __int_as_float(unsigned x) { float f; std::memcpy(&f, &x, 4); return f; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline _Float16 __float2half_rn(float f) { return (_Float16) f; }
static inline unsigned short __half_as_ushort(_Float16 h) { unsigned short u; std::memcpy(&u, &h, 2); return u; }

// fp16x2 helpers of the tensor-core kernels (the .cu uses inline PTX on the GPU). Halves are _Float16;
// a product or sum of two halves is exact in double, so one conversion gives the single rounding of the GPU.
namespace emu {
static inline _Float16 lo(unsigned x) { _Float16 h; unsigned short b = (unsigned short) x; std::memcpy(&h, &b, 2); return h; }
static inline _Float16 hi(unsigned x) { return lo(x >> 16); }
static inline unsigned pack(_Float16 l, _Float16 h) {
    unsigned short a, b;
    std::memcpy(&a, &l, 2);
    std::memcpy(&b, &h, 2);
    return (unsigned) a | ((unsigned) b << 16);
}
static unsigned mmaA[1024][4], mmaB[1024][2];
}  // namespace emu
static inline unsigned e8q_hsub2(unsigned a, unsigned b) {
    using namespace emu;
    return pack((_Float16) ((double) lo(a) - (double) lo(b)), (_Float16) ((double) hi(a) - (double) hi(b)));
}
static inline unsigned e8q_hfma2(unsigned a, unsigned b, unsigned c) {
    using namespace emu;
    return pack((_Float16) ((double) lo(a) * (double) lo(b) + (double) lo(c)),
                (_Float16) ((double) hi(a) * (double) hi(b) + (double) hi(c)));
}
static inline unsigned e8q_f2h2(float l, float h) { return emu::pack((_Float16) l, (_Float16) h); }
// mma.sync m16n8k16 (row.col, f16 inputs, f32 accumulation) as a warp-wide exchange: every lane publishes its
// fragments, then computes its own four outputs from all 32 lanes' (PTX ISA fragment layout for m16n8k16).
static inline void e8q_mma16816(float* d, const unsigned* a, const unsigned* b) {
    using namespace emu;
    const unsigned t = current, w = t >> 5, base = t & ~31u, lane = t & 31u;
    for (int i = 0; i < 4; ++i) mmaA[t][i] = a[i];
    mmaB[t][0] = b[0];
    mmaB[t][1] = b[1];
    warps[w].wait();
    const unsigned g = lane >> 2, tig = lane & 3;
    auto A = [&](unsigned row, unsigned k) {
        const unsigned reg = mmaA[base + (row & 7) * 4 + ((k & 7) >> 1)][(row >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0)];
        return (float) ((k & 1) ? hi(reg) : lo(reg));
    };
    auto B = [&](unsigned k, unsigned col) {
        const unsigned reg = mmaB[base + col * 4 + ((k & 7) >> 1)][k >= 8 ? 1 : 0];
        return (float) ((k & 1) ? hi(reg) : lo(reg));
    };
    float out[4];
    for (int r = 0; r < 4; ++r) {
        const unsigned row = g + (r >= 2 ? 8 : 0), col = 2 * tig + (r & 1);
        float s = d[r];
        for (unsigned k = 0; k < 16; ++k) s += A(row, k) * B(k, col);
        out[r] = s;
    }
    warps[w].wait();
    for (int r = 0; r < 4; ++r) d[r] = out[r];
}

#include "../../main/cuda/e8q_kernels.cu"

namespace {
struct Arg { char tag; int32_t i; float f; };

template <class T> T readv(FILE* in) {
    T v;
    if (std::fread(&v, sizeof v, 1, in) != 1) throw std::runtime_error("short read");
    return v;
}

void runGrid(const dim3& grid, const dim3& block, const std::function<void()>& body) {
    if (block.x % 32 != 0 || block.x > 1024) throw std::runtime_error("blockX must be a multiple of 32, <= 1024");
    blockDim = block;
    gridDim = grid;
    for (unsigned by = 0; by < grid.y; ++by) {
        for (unsigned bx = 0; bx < grid.x; ++bx) {
            blockIdx = dim3{bx, by, 0};
            emu::runBlock(body);
        }
    }
}
}  // namespace

int main() {
    try {
        FILE* in = stdin;
        const int32_t nameLen = readv<int32_t>(in);
        std::string name(nameLen, '\0');
        if (std::fread(name.data(), 1, nameLen, in) != (size_t) nameLen) throw std::runtime_error("short name");
        dim3 grid, block;
        grid.x = readv<int32_t>(in);
        grid.y = readv<int32_t>(in);
        block.x = readv<int32_t>(in);
        const int32_t nBuf = readv<int32_t>(in);
        std::vector<std::vector<unsigned char>> bufs(nBuf);
        for (auto& b : bufs) {
            b.resize(readv<int64_t>(in) + 16);  // slack: never read, keeps 0-byte buffers addressable
            if (std::fread(b.data(), 1, b.size() - 16, in) != b.size() - 16) throw std::runtime_error("short buffer");
        }
        const int32_t nArgs = readv<int32_t>(in);
        std::vector<Arg> args(nArgs);
        for (auto& a : args) {
            a.tag = (char) readv<uint8_t>(in);
            if (a.tag == 'b' || a.tag == 'i') a.i = readv<int32_t>(in);
            else if (a.tag == 'f') a.f = readv<float>(in);
            else if (a.tag != 'n') throw std::runtime_error("bad argument tag");
        }
        auto P = [&](int k) -> void* {
            if (args.at(k).tag == 'n') return nullptr;
            if (args.at(k).tag != 'b') throw std::runtime_error("argument " + std::to_string(k) + " is not a buffer");
            return bufs.at(args[k].i).data();
        };
        auto I = [&](int k) {
            if (args.at(k).tag != 'i') throw std::runtime_error("argument " + std::to_string(k) + " is not an int");
            return args[k].i;
        };
        auto F = [&](int k) {
            if (args.at(k).tag != 'f') throw std::runtime_error("argument " + std::to_string(k) + " is not a float");
            return args[k].f;
        };
        using Mv = void (*)(const unsigned long long*, const unsigned int*, const signed char*, float, const float*,
                            float*, int, int, int);
        Mv mv = name == "e8q_matvec2" ? e8q_matvec2 : name == "e8q_matvec3" ? e8q_matvec3
              : name == "e8q_matvec4" ? e8q_matvec4 : name == "e8q_matmul2_b8" ? e8q_matmul2_b8
              : name == "e8q_matmul3_b8" ? e8q_matmul3_b8 : name == "e8q_matmul4_b8" ? e8q_matmul4_b8
              : name == "e8q_mma2" ? e8q_mma2 : name == "e8q_mma3" ? e8q_mma3 : name == "e8q_mma4" ? e8q_mma4 : nullptr;
        if (mv) {
            if (nArgs != 9) throw std::runtime_error(name + " takes 9 arguments");
            runGrid(grid, block, [&] {
                mv((const unsigned long long*) P(0), (const unsigned int*) P(1), (const signed char*) P(2), F(3),
                   (const float*) P(4), (float*) P(5), I(6), I(7), I(8));
            });
        } else if (name == "e8q_fwht_pass") {
            if (nArgs != 11) throw std::runtime_error(name + " takes 11 arguments");
            runGrid(grid, block, [&] {
                e8q_fwht_pass((const float*) P(0), (float*) P(1), (const float*) P(2), (const float*) P(3), F(4), I(5),
                              I(6), I(7), I(8), I(9), I(10));
            });
        } else if (name == "e8q_hadk") {
            if (nArgs != 11) throw std::runtime_error(name + " takes 11 arguments");
            runGrid(grid, block, [&] {
                e8q_hadk((const float*) P(0), (float*) P(1), (const float*) P(2), I(3), I(4), I(5), (const float*) P(6),
                         (const float*) P(7), F(8), I(9), I(10));
            });
        } else if (name == "e8q_f32_to_f16") {
            if (nArgs != 3) throw std::runtime_error(name + " takes 3 arguments");
            runGrid(grid, block, [&] { e8q_f32_to_f16((const float*) P(0), (unsigned short*) P(1), I(2)); });
        } else {
            throw std::runtime_error("unknown kernel " + name);
        }
        for (auto& b : bufs) std::fwrite(b.data(), 1, b.size() - 16, stdout);
        std::fflush(stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "e8q_emulate: %s\n", e.what());
        return 1;
    }
}
