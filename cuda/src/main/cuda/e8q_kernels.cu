// e8q CUDA kernels: fused E8P / RVQ decode-and-multiply on the QuIP# Qidxs packing, and the
// randomized Hadamard transform of SPEC §4. Written from /work/shared/SPEC.md (clean room).
//
// Compiled to PTX by cuda/gen-ptx.sh (nvcc -ptx -arch=compute_80); the PTX is committed as
// cuda/src/main/resources/dev/e8q/cuda/e8q_kernels.ptx and loaded with cuModuleLoadData.
// Every entry point is extern "C" so its PTX name is the plain C name.
//
// Layout facts used below (SPEC §1.5, §3):
//  - m = padded out features (multiple of 16), n = padded in features (multiple of 64).
//  - An E8P "flat stream" of int64 words: the 2x2 group of codes (rows 2p,2p+1) x (blocks 2q,2q+1)
//    sits in one word at flat = ((P*(n/64) + Q)*8 + r')*4 + c, P = p/8, r' = p%8, Q = q/4, c = q%4.
//    So the 32 words of a 16-row x 64-column tile (P, Q) are contiguous: word (r', c) = tile*32 + 4r' + c.
//  - Slot i of a word = (row 2p + (i&1), block 2q + (i>>1)); abs byte i = bits 8i..8i+7;
//    sign bit j of slot i = bit 32 + 4j + i.
//  - The Qidxs tensor has W = n/32 E8P words per tensor row and `stride` words per row in all:
//    2-bit stride W; 3-bit stride 3W/2 (words [W, 3W/2) of row r are row r's E81B bytes, block 8j+k in
//    byte k of word W+j); 4-bit stride 2W (words [W, 2W) of every row form the stage-2 flat stream).
//    Flat word f of a stage s stream lives at (f / W) * stride + s*W + f % W.

#ifndef E8Q_HOST_EMULATION  // cuda/src/test/cpp/e8q_emulate.cpp compiles this file as C++ for the tests
#include <cuda_fp16.h>
#endif

#define E8Q_WARPS 8          // warps per matvec block (blockDim.x must be 32 * E8Q_WARPS)
#define E8Q_FWHT_TILE 4096   // floats of shared memory per FWHT pass block
#ifndef E8Q_PREFETCH
#define E8Q_PREFETCH 4       // column tiles whose words a warp loads before decoding them
#endif
#ifndef E8Q_MMA_MIN_BLOCKS
#define E8Q_MMA_MIN_BLOCKS 1 // the same for the tensor-core kernels
#endif
#ifndef E8Q_MIN_BLOCKS
#define E8Q_MIN_BLOCKS 1     // resident matvec blocks per SM that register allocation must allow
#endif

// ---------------------------------------------------------------------------------------------
// E8P decode with the 256-entry packed-abs table (SPEC §1.4).
// tab[idx]: nibble k = 2*P[k] + 8 with P = (A0,A2,A4,A6,A1,A3,A5,A7) and P[7] negated when odd(idx).
// Nibble k is coordinate pos(k) = {0,2,4,6,1,3,5,7}[k] and takes its sign from bit k of the sign
// byte (that is sigma = [0,4,1,5,2,6,3,7] of §1.2 read backwards), i.e. from bit 32 + 4k + slot of
// the word. XOR with 0xE maps an odd nibble t to 16 - t (negation). p = parity of the sign byte:
// p = 1 flips sign bit 0 and shifts by -1/4, p = 0 shifts by +1/4. Value = (t - 8)/2 +- 1/4.
// The nibble becomes a float without a (quarter-rate) int-to-float conversion: with the exponent of 2^21
// (ulp 1/4), the bits 0x4A000000 | (t << 1) are exactly 2^21 + t/2, and subtracting 2^21 + 4 -+ 1/4 (also
// exact) leaves (t - 8)/2 +- 1/4 exactly.
// o[] receives the 8 values in coordinate order.
__device__ __forceinline__ void e8q_decode(unsigned long long word, int slot,
                                           const unsigned int* __restrict__ tab, float* o) {
    unsigned int abs32 = (unsigned int) word;
    unsigned int sign32 = (unsigned int) (word >> 32);
    unsigned int packed = tab[(abs32 >> (8 * slot)) & 0xFFu];
    unsigned int sb = (sign32 >> slot) & 0x11111111u;   // bit 4k = sign bit k of this slot
    unsigned int p = __popc(sb) & 1u;
    sb ^= p;                                            // s = signByte XOR p (bit 0 only)
    packed ^= sb * 0xEu;                                // negate the nibbles whose sign bit is set
    const float base = p ? 2097156.25f : 2097155.75f;   // 2^21 + 4 +- 1/4
    o[0] = __int_as_float(0x4A000000u | ((packed << 1) & 0x1Eu)) - base;
    o[2] = __int_as_float(0x4A000000u | ((packed >> 3) & 0x1Eu)) - base;
    o[4] = __int_as_float(0x4A000000u | ((packed >> 7) & 0x1Eu)) - base;
    o[6] = __int_as_float(0x4A000000u | ((packed >> 11) & 0x1Eu)) - base;
    o[1] = __int_as_float(0x4A000000u | ((packed >> 15) & 0x1Eu)) - base;
    o[3] = __int_as_float(0x4A000000u | ((packed >> 19) & 0x1Eu)) - base;
    o[5] = __int_as_float(0x4A000000u | ((packed >> 23) & 0x1Eu)) - base;
    o[7] = __int_as_float(0x4A000000u | ((packed >> 27) & 0x1Eu)) - base;
}

__device__ __forceinline__ float e8q_dot8(const float* w, float4 a, float4 b) {
    float s = w[0] * a.x;
    s = fmaf(w[1], a.y, s);
    s = fmaf(w[2], a.z, s);
    s = fmaf(w[3], a.w, s);
    s = fmaf(w[4], b.x, s);
    s = fmaf(w[5], b.y, s);
    s = fmaf(w[6], b.z, s);
    s = fmaf(w[7], b.w, s);
    return s;
}

// Where lane `lane` of warp `warp` in the block of row group P reads (both decode-multiply bodies): its warp's
// contiguous range [q0, q1) of the n/64 column tiles, the first of its two rows R0, the Qidxs geometry (W E8P words
// and `stride` words per tensor row), and (frow, fcol) = (flat / W, flat % W) of its next E8P word,
// flat = (P*T + Q)*32 + lane, kept up to date without a division.
struct e8q_lane_tiles {
    int q0, q1, R0, W, stride, frow, fcol;
};

template <int BITS>
__device__ __forceinline__ e8q_lane_tiles e8q_lane_start(int P, int warp, int lane, int n) {
    e8q_lane_tiles t;
    const int T = n >> 6;                 // 64-column tiles per row group
    t.W = n >> 5;                         // E8P words per Qidxs tensor row
    t.stride = BITS == 2 ? t.W : (BITS == 3 ? t.W + (t.W >> 1) : 2 * t.W);
    const int chunk = (T + E8Q_WARPS - 1) / E8Q_WARPS;
    t.q0 = warp * chunk;
    t.q1 = min(T, t.q0 + chunk);
    t.R0 = P * 16 + 2 * (lane >> 2);
    t.frow = t.fcol = 0;
    if (t.q0 < t.q1) {
        const int f0 = (P * T + t.q0) * 32 + lane;
        t.frow = f0 / t.W;
        t.fcol = f0 % t.W;
    }
    return t;
}

// The words of this lane for tiles Q0 .. Q0 + E8Q_PREFETCH - 1 (those below t.q1), all loaded before any is
// decoded so that each warp keeps several 256-byte loads in flight (batch-1 products are latency-bound
// otherwise); advances t's word cursor.
// w1: stage-1 E8P word; w2: 4-bit stage-2 word; e0, e1: 3-bit E81B words of rows R0, R0 + 1.
template <int BITS>
__device__ __forceinline__ void e8q_load_tiles(const unsigned long long* __restrict__ q, int Q0, e8q_lane_tiles& t,
                                               unsigned long long* w1, unsigned long long* w2,
                                               unsigned long long* e0, unsigned long long* e1) {
#pragma unroll
    for (int j = 0; j < E8Q_PREFETCH; ++j) {
        w1[j] = w2[j] = e0[j] = e1[j] = 0ull;
        if (Q0 + j < t.q1) {
            const size_t base = (size_t) t.frow * t.stride + t.fcol;
            t.fcol += 32;
            while (t.fcol >= t.W) { t.fcol -= t.W; ++t.frow; }
            w1[j] = __ldg(q + base);
            if (BITS == 4) w2[j] = __ldg(q + base + t.W);
            if (BITS == 3) {
                e0[j] = __ldg(q + (size_t) t.R0 * t.stride + t.W + Q0 + j);
                e1[j] = __ldg(q + (size_t) (t.R0 + 1) * t.stride + t.W + Q0 + j);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// z[v][row] = sum_col What[row][col] * u[v][col] for v in [0, batch), What decoded from q.
// Grid: x = m/16 (one 16-row group per block), y = ceil(batch / NB). Block: 32 * E8Q_WARPS threads.
// Warp w walks a contiguous range of the n/64 column tiles; lane (r' = lane/4, c = lane%4) loads
// word 4r'+c of each tile (one coalesced 256-byte load per warp), decodes its 4 codes (rows 2r', 2r'+1
// of the group, blocks 2c, 2c+1 of the tile = columns 16c..16c+15) and multiplies them with NB input
// vectors. Partial sums are reduced over the 4 lanes of a row pair with shuffles, then over the warps
// in shared memory.
// BITS 2: E8P. BITS 3: E8P + E81B/residScale. BITS 4: E8P + E8P/residScale.
// grid2: the E81B table as 256 x 8 int8 of 2g (only read for BITS 3).
template <int BITS, int NB>
__device__ __forceinline__ void e8q_matvec_body(const unsigned long long* __restrict__ q,
                                                const unsigned int* __restrict__ packedAbs,
                                                const signed char* __restrict__ grid2,
                                                float residScale,
                                                const float* __restrict__ u,
                                                float* __restrict__ z,
                                                int m, int n, int batch) {
    __shared__ unsigned int sAbs[256];
    __shared__ unsigned int sGrid[BITS == 3 ? 512 : 1];
    __shared__ float sRed[E8Q_WARPS][16][NB];

    const int tid = threadIdx.x;
    for (int k = tid; k < 256; k += blockDim.x) sAbs[k] = packedAbs[k];
    if (BITS == 3) {
        const unsigned int* g32 = (const unsigned int*) grid2;
        for (int k = tid; k < 512; k += blockDim.x) sGrid[k] = g32[k];
    }
    __syncthreads();

    const int warp = tid >> 5, lane = tid & 31;
    const int rp = lane >> 2, c = lane & 3;
    const int P = blockIdx.x;
    const int v0 = blockIdx.y * NB;
    const int nv = min(NB, batch - v0);
    e8q_lane_tiles t = e8q_lane_start<BITS>(P, warp, lane, n);
    const float inv = 1.0f / residScale;
    const float gscale = 0.5f * inv;      // grid2 holds 2g

    float acc[2][NB];
#pragma unroll
    for (int v = 0; v < NB; ++v) { acc[0][v] = 0.f; acc[1][v] = 0.f; }

    for (int Q0 = t.q0; Q0 < t.q1; Q0 += E8Q_PREFETCH) {
        unsigned long long w1[E8Q_PREFETCH], w2[E8Q_PREFETCH], e0[E8Q_PREFETCH], e1[E8Q_PREFETCH];
        e8q_load_tiles<BITS>(q, Q0, t, w1, w2, e0, e1);
#pragma unroll
        for (int j = 0; j < E8Q_PREFETCH; ++j) {
            if (Q0 + j >= t.q1) break;
            const int Q = Q0 + j;
            float wv[4][8];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                e8q_decode(w1[j], i, sAbs, wv[i]);
                if (BITS == 4) {
                    float t[8];
                    e8q_decode(w2[j], i, sAbs, t);
#pragma unroll
                    for (int k = 0; k < 8; ++k) wv[i][k] = fmaf(t[k], inv, wv[i][k]);
                }
                if (BITS == 3) {
                    const unsigned long long e = (i & 1) ? e1[j] : e0[j];
                    const unsigned int idx = (unsigned int) (e >> (8 * (2 * c + (i >> 1)))) & 0xFFu;
                    const unsigned int lo = sGrid[2 * idx], hi = sGrid[2 * idx + 1];
#pragma unroll
                    for (int k = 0; k < 4; ++k) {
                        wv[i][k] = fmaf((float) (signed char) (lo >> (8 * k)), gscale, wv[i][k]);
                        wv[i][k + 4] = fmaf((float) (signed char) (hi >> (8 * k)), gscale, wv[i][k + 4]);
                    }
                }
            }
#pragma unroll
            for (int v = 0; v < NB; ++v) {
                if (v < nv) {
                    const float4* ub = (const float4*) (u + (size_t) (v0 + v) * n + Q * 64 + c * 16);
                    const float4 a0 = __ldg(ub), a1 = __ldg(ub + 1), a2 = __ldg(ub + 2), a3 = __ldg(ub + 3);
                    acc[0][v] += e8q_dot8(wv[0], a0, a1) + e8q_dot8(wv[2], a2, a3);
                    acc[1][v] += e8q_dot8(wv[1], a0, a1) + e8q_dot8(wv[3], a2, a3);
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < 2; ++r) {
#pragma unroll
        for (int v = 0; v < NB; ++v) {
            float s = acc[r][v];
            s += __shfl_xor_sync(0xffffffffu, s, 1);
            s += __shfl_xor_sync(0xffffffffu, s, 2);
            if (c == 0) sRed[warp][2 * rp + r][v] = s;
        }
    }
    __syncthreads();
    for (int t = tid; t < 16 * NB; t += blockDim.x) {
        const int v = t >> 4, row = t & 15;
        if (v < nv) {
            float s = 0.f;
#pragma unroll
            for (int w = 0; w < E8Q_WARPS; ++w) s += sRed[w][row][v];
            z[(size_t) (v0 + v) * m + P * 16 + row] = s;
        }
    }
}

#define E8Q_MATVEC_ENTRY(NAME, BITS, NB, MINB)                                                        \
    extern "C" __global__ void __launch_bounds__(32 * E8Q_WARPS, MINB)                            \
    NAME(const unsigned long long* __restrict__ q, const unsigned int* __restrict__ packedAbs,     \
         const signed char* __restrict__ grid2, float residScale, const float* __restrict__ u,     \
         float* __restrict__ z, int m, int n, int batch) {                                         \
        e8q_matvec_body<BITS, NB>(q, packedAbs, grid2, residScale, u, z, m, n, batch);            \
    }


// ---------------------------------------------------------------------------------------------
// The tensor-core variant (e8q_mma*): the same products with the activations rounded to fp16 and the
// multiply-adds done by mma.sync m16n8k16 (fp16 inputs, fp32 accumulation), up to 8 vectors per block.
//
// Decode to half2 (SPEC §1.4's fp16 trick): nibble j and nibble j + 4 of the sign-adjusted packed-abs word
// are coordinates 2j and 2j + 1, and sit 16 bits apart, so one shift and one mask place both in a half2:
// ((packed >> (4j - 1)) & 0x001E001E) | 0x5C005C00 is the pair 256 + t/2 (fp16 with ulp 1/4 in [256, 512)),
// and subtracting 260.25 or 259.75 (parity p) leaves (t - 8)/2 -+ 1/4 exactly: 3 instructions per 2 weights.
// 3-bit adds 2g * (0.5/residScale), 4-bit x2 * (1/residScale), each one fp16 fma per 2 weights (rounded
// to fp16: the composed weight is not exact there, the 2-bit one is).
//
// Fragment mapping. Lane l (group g = l/4, c = l%4) holds word 4g + c of a tile: rows 2g, 2g+1 of the
// 16-row group, columns 16c..16c+15 of the 64-column tile. The mma's A rows g and g+8 are taken to be
// rows 2g and 2g+1, and for k-step s (0..3) its k indices 2c+{0,1} and 2c+8+{0,1} are taken to be columns
// 16c+4s+{0,1} and 16c+4s+{2,3}. B then needs, in lane l, vector g's columns 16c+4s .. 16c+4s+3: one float4.
// D's c0..c3 are (row 2g, vector 2c), (2g, 2c+1), (2g+1, 2c), (2g+1, 2c+1).
#ifndef E8Q_HOST_EMULATION
__device__ __forceinline__ unsigned int e8q_hsub2(unsigned int a, unsigned int b) {
    unsigned int d;
    asm("sub.rn.f16x2 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(b));
    return d;
}
__device__ __forceinline__ unsigned int e8q_hfma2(unsigned int a, unsigned int b, unsigned int c) {
    unsigned int d;
    asm("fma.rn.f16x2 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
    return d;
}
// (lo, hi) -> half2 with lo in bits 0..15, round to nearest even
__device__ __forceinline__ unsigned int e8q_f2h2(float lo, float hi) {
    unsigned int d;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}
__device__ __forceinline__ void e8q_mma16816(float* d, const unsigned int* a, const unsigned int* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

// The 8 weights of slot `slot` of `word` as 4 half2 (pair j = coordinates 2j, 2j+1).
__device__ __forceinline__ void e8q_decode_h2(unsigned long long word, int slot,
                                              const unsigned int* __restrict__ tab, unsigned int* h) {
    unsigned int packed = tab[((unsigned int) word >> (8 * slot)) & 0xFFu];
    unsigned int sb = ((unsigned int) (word >> 32) >> slot) & 0x11111111u;
    const unsigned int p = __popc(sb) & 1u;
    sb ^= p;
    packed ^= sb * 0xEu;
    const unsigned int base = p ? 0x5C115C11u : 0x5C0F5C0Fu;   // (260.25, 260.25) or (259.75, 259.75)
    h[0] = e8q_hsub2(((packed << 1) & 0x001E001Eu) | 0x5C005C00u, base);
    h[1] = e8q_hsub2(((packed >> 3) & 0x001E001Eu) | 0x5C005C00u, base);
    h[2] = e8q_hsub2(((packed >> 7) & 0x001E001Eu) | 0x5C005C00u, base);
    h[3] = e8q_hsub2(((packed >> 11) & 0x001E001Eu) | 0x5C005C00u, base);
}

// z[v][row] for v in [8 * blockIdx.y, min(batch, 8 * blockIdx.y + 8)); grid and block as e8q_matvec_body.
template <int BITS>
__device__ __forceinline__ void e8q_mma_body(const unsigned long long* __restrict__ q,
                                             const unsigned int* __restrict__ packedAbs,
                                             const signed char* __restrict__ grid2,
                                             float residScale,
                                             const float* __restrict__ u,
                                             float* __restrict__ z,
                                             int m, int n, int batch) {
    __shared__ unsigned int sAbs[256];
    __shared__ unsigned int sGrid[BITS == 3 ? 1024 : 1];   // 3-bit: entry e, pair j -> half2 (2g_2j, 2g_2j+1)
    __shared__ float sRed[E8Q_WARPS][16][8];

    const int tid = threadIdx.x;
    for (int k = tid; k < 256; k += blockDim.x) sAbs[k] = packedAbs[k];
    if (BITS == 3) {
        for (int k = tid; k < 1024; k += blockDim.x)
            sGrid[k] = e8q_f2h2((float) grid2[2 * k], (float) grid2[2 * k + 1]);
    }
    __syncthreads();

    const int warp = tid >> 5, lane = tid & 31;
    const int g = lane >> 2, c = lane & 3;
    const int P = blockIdx.x;
    const int v0 = blockIdx.y * 8;
    const int nv = min(8, batch - v0);
    const bool hasVec = g < nv;
    e8q_lane_tiles t = e8q_lane_start<BITS>(P, warp, lane, n);
    const unsigned int inv2 = e8q_f2h2(1.0f / residScale, 1.0f / residScale);
    const unsigned int gscale2 = e8q_f2h2(0.5f / residScale, 0.5f / residScale);
    const float* __restrict__ uv = u + (size_t) (v0 + (hasVec ? g : 0)) * n + c * 16;

    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    for (int Q0 = t.q0; Q0 < t.q1; Q0 += E8Q_PREFETCH) {
        unsigned long long w1[E8Q_PREFETCH], w2[E8Q_PREFETCH], e0[E8Q_PREFETCH], e1[E8Q_PREFETCH];
        e8q_load_tiles<BITS>(q, Q0, t, w1, w2, e0, e1);
#pragma unroll
        for (int j = 0; j < E8Q_PREFETCH; ++j) {
            if (Q0 + j >= t.q1) break;
            const int Q = Q0 + j;
            unsigned int h[4][4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                e8q_decode_h2(w1[j], i, sAbs, h[i]);
                if (BITS == 4) {
                    unsigned int t[4];
                    e8q_decode_h2(w2[j], i, sAbs, t);
#pragma unroll
                    for (int k = 0; k < 4; ++k) h[i][k] = e8q_hfma2(t[k], inv2, h[i][k]);
                }
                if (BITS == 3) {
                    const unsigned long long e = (i & 1) ? e1[j] : e0[j];
                    const unsigned int idx = (unsigned int) (e >> (8 * (2 * c + (i >> 1)))) & 0xFFu;
#pragma unroll
                    for (int k = 0; k < 4; ++k) h[i][k] = e8q_hfma2(sGrid[4 * idx + k], gscale2, h[i][k]);
                }
            }
#pragma unroll
            for (int st = 0; st < 4; ++st) {
                const int blk = st >> 1, jj = 2 * (st & 1);
                const unsigned int a[4] = {h[2 * blk][jj], h[2 * blk + 1][jj], h[2 * blk][jj + 1], h[2 * blk + 1][jj + 1]};
                unsigned int b[2] = {0u, 0u};
                if (hasVec) {
                    const float4 x = __ldg((const float4*) (uv + Q * 64 + 4 * st));
                    b[0] = e8q_f2h2(x.x, x.y);
                    b[1] = e8q_f2h2(x.z, x.w);
                }
                e8q_mma16816(acc, a, b);
            }
        }
    }

    sRed[warp][2 * g][2 * c] = acc[0];
    sRed[warp][2 * g][2 * c + 1] = acc[1];
    sRed[warp][2 * g + 1][2 * c] = acc[2];
    sRed[warp][2 * g + 1][2 * c + 1] = acc[3];
    __syncthreads();
    for (int t = tid; t < 16 * 8; t += blockDim.x) {
        const int v = t >> 4, row = t & 15;
        if (v < nv) {
            float s = 0.f;
#pragma unroll
            for (int w = 0; w < E8Q_WARPS; ++w) s += sRed[w][row][v];
            z[(size_t) (v0 + v) * m + P * 16 + row] = s;
        }
    }
}

#define E8Q_MMA_ENTRY(NAME, BITS)                                                                 \
    extern "C" __global__ void __launch_bounds__(32 * E8Q_WARPS, E8Q_MMA_MIN_BLOCKS)              \
    NAME(const unsigned long long* __restrict__ q, const unsigned int* __restrict__ packedAbs,     \
         const signed char* __restrict__ grid2, float residScale, const float* __restrict__ u,     \
         float* __restrict__ z, int m, int n, int batch) {                                         \
        e8q_mma_body<BITS>(q, packedAbs, grid2, residScale, u, z, m, n, batch);                  \
    }

E8Q_MMA_ENTRY(e8q_mma2, 2)
E8Q_MMA_ENTRY(e8q_mma3, 3)
E8Q_MMA_ENTRY(e8q_mma4, 4)
E8Q_MATVEC_ENTRY(e8q_matvec2, 2, 1, E8Q_MIN_BLOCKS)
E8Q_MATVEC_ENTRY(e8q_matvec3, 3, 1, E8Q_MIN_BLOCKS)
E8Q_MATVEC_ENTRY(e8q_matvec4, 4, 1, E8Q_MIN_BLOCKS)
E8Q_MATVEC_ENTRY(e8q_matmul2_b8, 2, 8, 1)
E8Q_MATVEC_ENTRY(e8q_matmul3_b8, 3, 8, 1)
E8Q_MATVEC_ENTRY(e8q_matmul4_b8, 4, 8, 1)

// ---------------------------------------------------------------------------------------------
// One pass of the natural-order (Sylvester) Walsh-Hadamard transform along the middle axis of
// data viewed as [A][len][B] (element g = (a*len + i)*B + b), len a power of two.
// A block transforms ta consecutive a by tb consecutive b (tb divides B; ta*len*tb <= TILE); blocks past
// a = A do nothing. Grid.x = ceil(A / ta) * (B / tb).
// out[g] = alpha * post[g % n] * sum_i' H_len[i][i'] * pre[g' % n] * in[g'] (pre/post may be null).
// in == out is allowed (each block reads and writes only its own tile).
extern "C" __global__ void e8q_fwht_pass(const float* in, float* out, const float* __restrict__ pre,
                                         const float* __restrict__ post, float alpha, int n,
                                         int len, int B, int tb, int ta, int A) {
    __shared__ float s[E8Q_FWHT_TILE];
    // len, tb and ta are powers of two (HadamardPlan), so the per-element index math is shifts and masks:
    // integer division costs tens of instructions and made this pass slower than the matvec it serves.
    const int lgLen = __ffs(len) - 1, lgTb = __ffs(tb) - 1, lgRow = lgLen + lgTb;
    const int tilesPerA = B / tb;
    const int a0 = (blockIdx.x / tilesPerA) * ta;
    const int b0 = (blockIdx.x % tilesPerA) * tb;
    const int rowLen = len * tb;                        // one a of the tile
    const int count = min(ta, A - a0) * rowLen;         // a partial last block holds fewer a
    for (int e = threadIdx.x; e < count; e += blockDim.x) {
        const int aa = e >> lgRow, i = (e & (rowLen - 1)) >> lgTb, bb = e & (tb - 1);
        const size_t g = ((size_t) (a0 + aa) * len + i) * B + b0 + bb;
        float x = in[g];
        if (pre) x *= pre[g % n];
        s[e] = x;
    }
    const int half = rowLen >> 1, lgHalf = lgRow - 1;
    for (int h = 1, lgH = 0; h < len; h <<= 1, ++lgH) {
        __syncthreads();
        for (int t = threadIdx.x; t < (count >> 1); t += blockDim.x) {
            const int aa = t >> lgHalf, pi = (t & (half - 1)) >> lgTb, bb = t & (tb - 1);
            const int i1 = ((pi >> lgH) << (lgH + 1)) | (pi & (h - 1));
            const int k1 = (aa << lgRow) + (i1 << lgTb) + bb, k2 = k1 + (h << lgTb);
            const float x = s[k1], y = s[k2];
            s[k1] = x + y;
            s[k2] = x - y;
        }
    }
    __syncthreads();
    for (int e = threadIdx.x; e < count; e += blockDim.x) {
        const int aa = e >> lgRow, i = (e & (rowLen - 1)) >> lgTb, bb = e & (tb - 1);
        const size_t g = ((size_t) (a0 + aa) * len + i) * B + b0 + bb;
        float x = s[e] * alpha;
        if (post) x *= post[g % n];
        out[g] = x;
    }
}

// ---------------------------------------------------------------------------------------------
// The K x K base factor of M_n = (hadK (x) H_L)/sqrt(n), n = K*L, applied to `total` = batch*n values:
// out[vec][a*L + j] = alpha * post[a*L+j] * sum_a' H[a][a'] * pre[a'*L+j] * in[vec][a'*L + j], where
// H = hk (K x K, row-major, +-1 as float) or its transpose when trans != 0. in != out.
extern "C" __global__ void e8q_hadk(const float* __restrict__ in, float* __restrict__ out,
                                    const float* __restrict__ hk, int K, int L, int trans,
                                    const float* __restrict__ pre, const float* __restrict__ post,
                                    float alpha, int n, int total) {
    const int g = blockIdx.x * blockDim.x + threadIdx.x;
    if (g >= total) return;
    const int pos = g % n;
    const int vecBase = g - pos;
    const int a = pos / L, j = pos % L;
    float s = 0.f;
    for (int a2 = 0; a2 < K; ++a2) {
        const float h = trans ? hk[a2 * K + a] : hk[a * K + a2];
        float x = in[vecBase + a2 * L + j];
        if (pre) x *= pre[a2 * L + j];
        s = fmaf(h, x, s);
    }
    s *= alpha;
    if (post) s *= post[pos];
    out[g] = s;
}

// ---------------------------------------------------------------------------------------------
// fp32 -> fp16 (round to nearest even), for the cuBLAS FP16 baseline.
extern "C" __global__ void e8q_f32_to_f16(const float* __restrict__ in, unsigned short* __restrict__ out,
                                          int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) out[i] = __half_as_ushort(__float2half_rn(in[i]));
}
