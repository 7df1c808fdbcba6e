// How steady this machine's two vCPUs are over time, outside the JVM: two threads (or one) run either independent
// AVX-512 FMA chains ("fma": the vector units) or sums over a private 512 MiB array each ("read": memory bandwidth),
// and report their combined rate per 100 ms window. Used to tell the host's moods from e8q's (docs/kernels.md,
// "End to end").
//   gcc -O2 -march=native -pthread -o /tmp/host-probe bench/native/host-probe.c
//   /tmp/host-probe fma|read [threads=2] [windows=600]
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WINDOWS 6000
#define FLOATS (128L << 20)

static int windows = 600, read_mode = 0;
static double rate[2][MAX_WINDOWS];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *fma_work(int id) {
    __m512 a0 = _mm512_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
    for (int w = 0; w < windows; w++) {
        double t0 = now();
        long n = 0;
        while (now() - t0 < 0.1) {
            for (int i = 0; i < 1000; i++) {
                a0 = _mm512_fmadd_ps(a0, m, c); a1 = _mm512_fmadd_ps(a1, m, c); a2 = _mm512_fmadd_ps(a2, m, c);
                a3 = _mm512_fmadd_ps(a3, m, c); a4 = _mm512_fmadd_ps(a4, m, c); a5 = _mm512_fmadd_ps(a5, m, c);
                a6 = _mm512_fmadd_ps(a6, m, c); a7 = _mm512_fmadd_ps(a7, m, c);
            }
            n += 8000;
        }
        rate[id][w] = n / (now() - t0) / 1e9; // G FMA instructions per second
    }
    float s[16];
    _mm512_storeu_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                      _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7))));
    if (s[0] == 42) printf("!"); // keeps the chains live
    return 0;
}

static void *read_work(int id) {
    float *a = aligned_alloc(64, FLOATS * sizeof(float));
    if (!a) { fprintf(stderr, "host-probe: out of memory\n"); exit(1); }
    for (long i = 0; i < FLOATS; i++) a[i] = 1e-9f * (i & 1023);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    long pos = 0;
    for (int w = 0; w < windows; w++) {
        double t0 = now();
        long bytes = 0;
        while (now() - t0 < 0.1) {
            for (int k = 0; k < 4096; k += 64) {
                s0 = _mm512_add_ps(s0, _mm512_load_ps(a + pos + k));
                s1 = _mm512_add_ps(s1, _mm512_load_ps(a + pos + k + 16));
                s2 = _mm512_add_ps(s2, _mm512_load_ps(a + pos + k + 32));
                s3 = _mm512_add_ps(s3, _mm512_load_ps(a + pos + k + 48));
            }
            pos = pos + 4096 >= FLOATS ? 0 : pos + 4096;
            bytes += 4096 * sizeof(float);
        }
        rate[id][w] = bytes / (now() - t0) / 1e9; // GB/s
    }
    float s[16];
    _mm512_storeu_ps(s, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    if (s[0] == 42) printf("!");
    free(a);
    return 0;
}

static void *work(void *arg) {
    int id = (int)(long)arg;
    return read_mode ? read_work(id) : fma_work(id);
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "fma") && strcmp(argv[1], "read"))) {
        fprintf(stderr, "usage: host-probe fma|read [threads=2] [windows=600]\n");
        return 2;
    }
    read_mode = !strcmp(argv[1], "read");
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    windows = argc > 3 ? atoi(argv[3]) : 600;
    if (threads < 1 || threads > 2 || windows < 1 || windows > MAX_WINDOWS) {
        fprintf(stderr, "host-probe: threads must be 1 or 2 and windows 1..%d\n", MAX_WINDOWS);
        return 2;
    }
    pthread_t t[2];
    for (int i = 0; i < threads; i++) pthread_create(&t[i], 0, work, (void *)(long)i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
    double *sum = malloc(windows * sizeof(double));
    for (int w = 0; w < windows; w++) sum[w] = rate[0][w] + (threads > 1 ? rate[1][w] : 0);
    printf("%s, %d thread(s), %d windows of 100 ms, %s per window:\n", argv[1], threads, windows,
           read_mode ? "GB/s" : "G FMA/s");
    for (int w = 0; w < windows; w++) printf("%.1f%c", sum[w], w % 20 == 19 || w == windows - 1 ? '\n' : ' ');
    qsort(sum, windows, sizeof(double), cmp);
    printf("min %.1f, p10 %.1f, median %.1f, p90 %.1f, max %.1f\n", sum[0], sum[windows / 10], sum[windows / 2],
           sum[windows * 9 / 10], sum[windows - 1]);
    free(sum);
    return 0;
}
