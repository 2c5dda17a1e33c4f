/*
 * fma_peak.c: the machine's float32 fused-multiply-add peak, per core and with several cores.
 *
 * Each thread runs a loop of independent FMAs on 256-bit (8-float) registers: ACC accumulators,
 * more than the FMA latency times the number of FMA pipes (Zen 3: 4 cycles x 2 pipes = 8), so
 * the loop is bound by FMA throughput alone. FLOPs = 2 per lane per FMA.
 *
 * Each thread times itself with its own CPU-time clock (CLOCK_THREAD_CPUTIME_ID), so time the
 * scheduler gives to other processes on a shared machine does not count: the figure is what the
 * core does while this thread runs on it. The total for T threads is the sum of the threads'
 * rates. The best of REPS short repetitions is reported.
 *
 * Build and run:  gcc -O3 -march=native -pthread -o fma_peak fma_peak.c && ./fma_peak [threads]
 * Prints one CSV line: threads,gflops_total,gflops_per_core
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 12
#define ITERS 20000000L       /* per thread and repetition: 12 FMAs x 8 lanes x 2 = 192 FLOP each */
#define REPS 20

typedef struct { double gflops; float sink; } result;

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *fma_loop(void *arg) {
    result *r = arg;
    __m256 acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_ps((float) i);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    double t0 = cpu_now();
    for (long it = 0; it < ITERS; it++) {
        for (int i = 0; i < ACC; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);   /* acc = acc*a + b */
    }
    double sec = cpu_now() - t0;
    float s = 0;                                  /* use the result, so the loop stays */
    for (int i = 0; i < ACC; i++) {
        float lane[8];
        _mm256_storeu_ps(lane, acc[i]);
        s += lane[0];
    }
    r->sink = s;
    r->gflops = (double) ITERS * ACC * 8 * 2 / sec / 1e9;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "fma_peak: threads must be 1..256\n");
        return 2;
    }
    double best = 0;
    for (int rep = 0; rep < REPS; rep++) {
        pthread_t tid[256];
        result res[256];
        for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, fma_loop, &res[t]);
        for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
        double total = 0;
        for (int t = 0; t < threads; t++) total += res[t].gflops;
        if (total > best) best = total;
        if (res[0].sink == 12345.0f) printf("!");    /* never true */
    }
    printf("%d,%.2f,%.2f\n", threads, best, best / threads);
    return 0;
}
