// Counts heap allocations, for the steady-state allocation tests and benchmarks.
//
// Per thread: Tests/RTPTests/AllocationTests.swift (and the other *AllocationTests) find
// tincan_thread_allocation_count with dlsym; loaded with LD_PRELOAD by
// scripts/measure-rtp-allocations.
//
// Whole process, over a window of a running command (scripts/bench-pipeline): with
// TINCAN_ALLOCATION_WINDOW="START,END" (seconds after the process started) and
// TINCAN_ALLOCATION_OUT=FILE, a sampler thread reads the process-wide count at START and at
// END and writes "START_COUNT END_COUNT SECONDS" to FILE (the sampler itself allocates
// nothing until it writes).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static __thread long count;
static long total;  // process-wide, relaxed atomics

long tincan_thread_allocation_count(void) { return count; }
long tincan_process_allocation_count(void) { return __atomic_load_n(&total, __ATOMIC_RELAXED); }

static inline void counted(void) {
    count++;
    __atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n) { counted(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { counted(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { counted(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { counted(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { counted(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    counted();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

static double window_start, window_end;
static char window_out[4096];

static void sleep_until(const struct timespec *origin, double seconds) {
    struct timespec at = *origin;
    at.tv_sec += (time_t)seconds;
    at.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (at.tv_nsec >= 1000000000L) { at.tv_sec++; at.tv_nsec -= 1000000000L; }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {}
}

static void *sampler(void *arg) {
    const struct timespec *origin = arg;
    sleep_until(origin, window_start);
    long a = tincan_process_allocation_count();
    sleep_until(origin, window_end);
    long b = tincan_process_allocation_count();
    FILE *f = fopen(window_out, "w");
    if (f) {
        fprintf(f, "%ld %ld %.3f\n", a, b, window_end - window_start);
        fclose(f);
    }
    return NULL;
}

__attribute__((constructor)) static void start_window(void) {
    const char *w = getenv("TINCAN_ALLOCATION_WINDOW"), *out = getenv("TINCAN_ALLOCATION_OUT");
    if (!w || !out || sscanf(w, "%lf,%lf", &window_start, &window_end) != 2 || window_end <= window_start) return;
    snprintf(window_out, sizeof window_out, "%s", out);
    static struct timespec origin;
    clock_gettime(CLOCK_MONOTONIC, &origin);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, sampler, &origin);
    pthread_attr_destroy(&attr);
}
