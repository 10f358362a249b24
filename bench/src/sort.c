/* Integer: sorting (quicksort, merge sort and libc qsort) of random keys. */
#include "common.h"

#define N 100000

static uint32_t a[N], b[N], tmp[N];

static void quicksort(uint32_t *v, long lo, long hi)
{
    while (lo < hi) {
        uint32_t p = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) {
                uint32_t t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
}

static void mergesort(uint32_t *v, long n)
{
    for (long w = 1; w < n; w *= 2) {
        for (long lo = 0; lo < n; lo += 2 * w) {
            long mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
            while (i < mid) tmp[k++] = v[i++];
            while (j < hi) tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

static int cmp(const void *x, const void *y)
{
    uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;
    return (p > q) - (p < q);
}

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 4);
    uint64_t sum = 0;
    for (long r = 0; r < reps; r++) {
        for (long i = 0; i < N; i++) a[i] = (uint32_t)rng_next();
        memcpy(b, a, sizeof a);
        quicksort(a, 0, N - 1);
        mergesort(b, N);
        for (long i = 0; i < N; i++)
            if (a[i] != b[i]) return report("sort-MISMATCH", i);
        for (long i = 0; i < N; i++) b[i] = (uint32_t)rng_next() % 1000;
        qsort(b, N, sizeof *b, cmp);
        for (long i = 0; i < N; i += 97) sum = mix(sum, a[i] ^ ((uint64_t)b[i] << 32));
    }
    return report("sort", sum);
}
