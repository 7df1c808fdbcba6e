/*
 * Copyright 2026 the e8q authors. Licensed under the Apache License, Version 2.0.
 *
 * The exact 2-bit pair-table kernel (E8KernelLut.pairE8P) written with C intrinsics, instruction for instruction as
 * C2 compiles the Java loop, to answer one question: how far is the Java kernel from the same algorithm compiled
 * ahead of time, and what does the index wrap that C2 puts before every selectFrom cost?
 *
 * C2 emits vpandd idx, 31 before each vpermi2d (Vector.selectFrom wraps its indexes); vpermi2d reads only the low
 * five bits of each lane, so the AND is redundant on x86. pair_wrap keeps it, pair_nowrap drops it; the two must
 * give bit-identical sums, which main checks. Codes and activations are random: the work is what is measured.
 *
 * Build and run (needs gcc with AVX-512 VBMI/BITALG support; the CPU must have them):
 *   bench/native/run-replica.sh [rows cols iterations]
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GROUP 64
#define SPAN 5

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Pair tables as E8KernelLut.tables builds them, with the same vector work (a multiply and an FMA per 16 entries, five
 * FMAs per shift table): tab[(b*4+q)*32 + i], i = combo*4 + s1*2 + s0; shift tables per span of five blocks,
 * st[span*32 + i] = -sum of U_b/2 over the blocks whose bit is set in i. Returns sum(u). */
static float CA[32], CB[32], SHIFT_BITS[SPAN * 32];

static void constants(void) {
    static const int m0[8] = {1, 1, 1, 3, 3, 3, 5, 5}, m1[8] = {1, 3, 5, 1, 3, 5, 1, 3};
    for (int i = 0; i < 32; i++) {
        int c = i >> 2;
        CA[i] = ((i & 1) ? -m0[c] : m0[c]) * 0.5f;
        CB[i] = ((i & 2) ? -m1[c] : m1[c]) * 0.5f;
    }
    for (int j = 0; j < SPAN; j++)
        for (int i = 0; i < 32; i++) SHIFT_BITS[j * 32 + i] = (i >> (SPAN - 1 - j) & 1) ? -1 : 0;
}

static float tables(const float *u, int nb, float *tab, float *st) {
    static const int pos[4][2] = {{0, 2}, {4, 6}, {1, 3}, {5, 7}};
    const __m512 caLo = _mm512_loadu_ps(CA), caHi = _mm512_loadu_ps(CA + 16);
    const __m512 cbLo = _mm512_loadu_ps(CB), cbHi = _mm512_loadu_ps(CB + 16);
    float half[SPAN], total = 0;
    for (int b = 0; b < nb; b++) {
        const float *ub = u + 8 * b;
        float sum = 0;
        for (int k = 0; k < 8; k++) sum += ub[k];
        half[b % SPAN] = 0.5f * sum;
        total += sum;
        for (int q = 0; q < 4; q++) {
            __m512 x = _mm512_set1_ps(ub[pos[q][0]]), y = _mm512_set1_ps(ub[pos[q][1]]);
            float *o = tab + (b * 4 + q) * 32;
            _mm512_storeu_ps(o, _mm512_fmadd_ps(cbLo, y, _mm512_mul_ps(caLo, x)));
            _mm512_storeu_ps(o + 16, _mm512_fmadd_ps(cbHi, y, _mm512_mul_ps(caHi, x)));
        }
        if (b % SPAN == SPAN - 1 || b == nb - 1) {
            int len = b % SPAN + 1;
            float h[SPAN] = {0};
            memcpy(h + SPAN - len, half, sizeof(float) * len); /* a shorter last span sits behind zeros */
            __m512 lo = _mm512_setzero_ps(), hi = lo;
            for (int j = 0; j < SPAN; j++) {
                __m512 v = _mm512_set1_ps(h[j]);
                lo = _mm512_fmadd_ps(_mm512_loadu_ps(SHIFT_BITS + j * 32), v, lo);
                hi = _mm512_fmadd_ps(_mm512_loadu_ps(SHIFT_BITS + j * 32 + 16), v, hi);
            }
            _mm512_storeu_ps(st + b / SPAN * 32, lo);
            _mm512_storeu_ps(st + b / SPAN * 32 + 16, hi);
        }
    }
    return total;
}

#define SIGNS _mm512_set1_epi32(0x03030303)
#define LOOK(acc, idx) acc = _mm512_add_ps(acc, _mm512_castsi512_ps(_mm512_permutex2var_epi32(lo, WRAP(idx), hi)))
#define LOOK4(a0, a1, a2, a3, v)                      \
    LOOK(a0, v);                                      \
    LOOK(a1, _mm512_srli_epi32(v, 8));                \
    LOOK(a2, _mm512_srli_epi32(v, 16));               \
    LOOK(a3, _mm512_srli_epi32(v, 24));

/* One call: groups gA and gB, as E8KernelLut.pairE8P (the 2-bit stage, store mode). */
#define PAIR_FN(name)                                                                                               \
static void name(const uint8_t *ab, const uint8_t *sg, int gA, int gB, int nb, const float *tab, const float *st,   \
                 float quarterU, const uint8_t *TA, const uint8_t *TB, float *acc, float scale) {                    \
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;                 \
    const __m512i m31 = _mm512_set1_epi32(31), one = _mm512_set1_epi8(1);                                            \
    (void) m31;                                                                                                       \
    const __m512i ta0 = _mm512_loadu_si512(TA), ta1 = _mm512_loadu_si512(TA + 64);                                   \
    const __m512i ta2 = _mm512_loadu_si512(TA + 128), ta3 = _mm512_loadu_si512(TA + 192);                            \
    const __m512i tb0 = _mm512_loadu_si512(TB), tb1 = _mm512_loadu_si512(TB + 64);                                   \
    const __m512i tb2 = _mm512_loadu_si512(TB + 128), tb3 = _mm512_loadu_si512(TB + 192);                            \
    __m512i pa = _mm512_setzero_si512(), pc = pa;                                                                     \
    long baseA = (long) gA * nb * GROUP, baseB = (long) gB * nb * GROUP;                                              \
    for (int b = 0, span = 0; b < nb; b++) {                                                                          \
        __m512i xa = _mm512_loadu_si512(ab + baseA + b * GROUP), xc = _mm512_loadu_si512(ab + baseB + b * GROUP);     \
        __m512i sa = _mm512_loadu_si512(sg + baseA + b * GROUP), sc = _mm512_loadu_si512(sg + baseB + b * GROUP);     \
        __mmask64 hA = _mm512_movepi8_mask(xa), hC = _mm512_movepi8_mask(xc);                                         \
        __m512i na = _mm512_and_si512(_mm512_popcnt_epi8(sa), one), nc = _mm512_and_si512(_mm512_popcnt_epi8(sc), one); \
        pa = _mm512_or_si512(_mm512_add_epi8(pa, pa), na);                                                            \
        pc = _mm512_or_si512(_mm512_add_epi8(pc, pc), nc);                                                            \
        __m512i ya = _mm512_xor_si512(sa, na), yc = _mm512_xor_si512(sc, nc);                                         \
        __m512i ta = _mm512_mask_blend_epi8(hA, _mm512_permutex2var_epi8(ta0, xa, ta1), _mm512_permutex2var_epi8(ta2, xa, ta3)); \
        __m512i tc = _mm512_mask_blend_epi8(hC, _mm512_permutex2var_epi8(ta0, xc, ta1), _mm512_permutex2var_epi8(ta2, xc, ta3)); \
        __m512i ua = _mm512_mask_blend_epi8(hA, _mm512_permutex2var_epi8(tb0, xa, tb1), _mm512_permutex2var_epi8(tb2, xa, tb3)); \
        __m512i uc = _mm512_mask_blend_epi8(hC, _mm512_permutex2var_epi8(tb0, xc, tb1), _mm512_permutex2var_epi8(tb2, xc, tb3)); \
        const int *t = (const int *) tab + b * 128;                                                                   \
        __m512i lo, hi, va, vc;                                                                                       \
        /* q0: ta ^ (ya & SIGNS); q1/q2: bitwise blend of the combo and the sign bits; q3: ua ^ ((ya >> 6) & SIGNS) */ \
        lo = _mm512_loadu_si512(t); hi = _mm512_loadu_si512(t + 16);                                                  \
        va = _mm512_ternarylogic_epi32(ta, ya, SIGNS, 0x78); vc = _mm512_ternarylogic_epi32(tc, yc, SIGNS, 0x78);     \
        LOOK4(a0, a1, a2, a3, va) LOOK4(c0, c1, c2, c3, vc)                                                           \
        lo = _mm512_loadu_si512(t + 32); hi = _mm512_loadu_si512(t + 48);                                             \
        va = _mm512_ternarylogic_epi32(_mm512_srli_epi32(ta, 3), _mm512_srli_epi32(ya, 2), SIGNS, 0xb8);              \
        vc = _mm512_ternarylogic_epi32(_mm512_srli_epi32(tc, 3), _mm512_srli_epi32(yc, 2), SIGNS, 0xb8);              \
        LOOK4(a0, a1, a2, a3, va) LOOK4(c0, c1, c2, c3, vc)                                                           \
        lo = _mm512_loadu_si512(t + 64); hi = _mm512_loadu_si512(t + 80);                                             \
        va = _mm512_ternarylogic_epi32(_mm512_srli_epi32(ua, 3), _mm512_srli_epi32(ya, 4), SIGNS, 0xb8);              \
        vc = _mm512_ternarylogic_epi32(_mm512_srli_epi32(uc, 3), _mm512_srli_epi32(yc, 4), SIGNS, 0xb8);              \
        LOOK4(a0, a1, a2, a3, va) LOOK4(c0, c1, c2, c3, vc)                                                           \
        lo = _mm512_loadu_si512(t + 96); hi = _mm512_loadu_si512(t + 112);                                            \
        va = _mm512_ternarylogic_epi32(ua, _mm512_srli_epi32(ya, 6), SIGNS, 0x78);                                    \
        vc = _mm512_ternarylogic_epi32(uc, _mm512_srli_epi32(yc, 6), SIGNS, 0x78);                                    \
        LOOK4(a0, a1, a2, a3, va) LOOK4(c0, c1, c2, c3, vc)                                                           \
        if (b % SPAN != SPAN - 1 && b != nb - 1) continue;                                                            \
        lo = _mm512_loadu_si512(st + span * 32); hi = _mm512_loadu_si512(st + span * 32 + 16);                        \
        span++;                                                                                                       \
        LOOK4(a0, a1, a2, a3, pa) LOOK4(c0, c1, c2, c3, pc)                                                           \
        pa = _mm512_setzero_si512(); pc = pa;                                                                         \
    }                                                                                                                 \
    float tmp[2 * GROUP];                                                                                             \
    _mm512_storeu_ps(tmp, a0); _mm512_storeu_ps(tmp + 16, a1); _mm512_storeu_ps(tmp + 32, a2); _mm512_storeu_ps(tmp + 48, a3); \
    _mm512_storeu_ps(tmp + 64, c0); _mm512_storeu_ps(tmp + 80, c1); _mm512_storeu_ps(tmp + 96, c2); _mm512_storeu_ps(tmp + 112, c3); \
    for (int h = 0; h < 2; h++)                                                                                       \
        for (int i = 0; i < 16; i++)                                                                                  \
            for (int j = 0; j < 4; j++) acc[h * GROUP + 4 * i + j] = scale * (tmp[h * GROUP + j * 16 + i] + quarterU); \
}

#define WRAP(x) _mm512_and_si512(x, m31)
PAIR_FN(pair_wrap)
#undef WRAP
#define WRAP(x) (x)
PAIR_FN(pair_nowrap)
#undef WRAP

typedef void (*pair_fn)(const uint8_t *, const uint8_t *, int, int, int, const float *, const float *, float,
                        const uint8_t *, const uint8_t *, float *, float);

/* z = W u for the whole matrix: tables, then two groups per call (E8Kernel.multiplyLut on one thread). */
static void product(pair_fn f, const uint8_t *ab, const uint8_t *sg, int rows, int cols, const float *u, float *tab,
                    float *st, const uint8_t *TA, const uint8_t *TB, float *z) {
    int nb = cols / 8, groups = rows / GROUP;
    float quarterU = 0.25f * tables(u, nb, tab, st);
    for (int g = 0; g < groups; g += 2) {
        int gB = g + 1 < groups ? g + 1 : g;
        float acc[2 * GROUP];
        f(ab, sg, g, gB, nb, tab, st, quarterU, TA, TB, acc, 1.0f);
        memcpy(z + (long) g * GROUP, acc, sizeof(float) * (gB > g ? 2 * GROUP : GROUP));
    }
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 4096, cols = argc > 2 ? atoi(argv[2]) : 4096;
    int iters = argc > 3 ? atoi(argv[3]) : 300;
    if (rows <= 0 || cols <= 0 || rows % 128 || cols % 8 || iters <= 0) {
        fprintf(stderr, "usage: pair-replica [rows (multiple of 128)] [cols (multiple of 8)] [iterations]\n");
        return 2;
    }
    long n = (long) rows * (cols / 8);
    uint8_t *ab = aligned_alloc(64, n), *sg = aligned_alloc(64, n), TA[256], TB[256];
    float *u = aligned_alloc(64, sizeof(float) * cols), *z0 = aligned_alloc(64, sizeof(float) * rows);
    float *z1 = aligned_alloc(64, sizeof(float) * rows);
    float *tab = aligned_alloc(64, sizeof(float) * (cols / 8) * 128), *st = aligned_alloc(64, sizeof(float) * ((cols / 8 + SPAN - 1) / SPAN * 32 + 32));
    if (!ab || !sg || !u || !z0 || !z1 || !tab || !st) { fprintf(stderr, "out of memory\n"); return 1; }
    constants();
    srand(1);
    for (long i = 0; i < n; i++) { ab[i] = rand(); sg[i] = rand(); }
    for (int i = 0; i < 256; i++) { TA[i] = rand(); TB[i] = rand(); }
    for (int i = 0; i < cols; i++) u[i] = (float) rand() / RAND_MAX * 4 - 2;

    product(pair_wrap, ab, sg, rows, cols, u, tab, st, TA, TB, z0);
    product(pair_nowrap, ab, sg, rows, cols, u, tab, st, TA, TB, z1);
    if (memcmp(z0, z1, sizeof(float) * rows) != 0) { fprintf(stderr, "wrap and no-wrap sums differ\n"); return 1; }

    const char *names[2] = {"with the index wrap (as C2 emits)", "without the index wrap"};
    pair_fn fns[2] = {pair_wrap, pair_nowrap};
    double best[2] = {1e30, 1e30};
    for (int it = 0; it < iters; it++)
        for (int k = 0; k < 2; k++) { /* alternate, so that both see the same machine */
            double t0 = now();
            product(fns[k], ab, sg, rows, cols, u, tab, st, TA, TB, k ? z1 : z0);
            double d = now() - t0;
            if (d < best[k]) best[k] = d;
        }
    for (int k = 0; k < 2; k++)
        printf("%dx%d 2-bit, C replica %s, 1 thread: best %.1f us, %.2f G weights/s\n", rows, cols, names[k],
               best[k] * 1e6, (double) rows * cols / best[k] / 1e9);
    printf("%dx%d wrap / no wrap: %.3f\n", rows, cols, best[0] / best[1]);
    return 0;
}
