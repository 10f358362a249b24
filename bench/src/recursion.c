/* Integer: recursion (naive Fibonacci, Ackermann, N-queens backtracking). */
#include "common.h"

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static long ack(long m, long n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static long queens(int n, int row, uint32_t cols, uint32_t d1, uint32_t d2)
{
    if (row == n) return 1;
    long c = 0;
    uint32_t avail = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (avail) {
        uint32_t bit = avail & -avail;
        avail ^= bit;
        c += queens(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return c;
}

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 7);
    uint64_t sum = 0;
    for (long r = 0; r < reps; r++) {
        sum = mix(sum, fib(27 + (int)(r & 1)));
        sum = mix(sum, ack(2, 2000 + r));
        sum = mix(sum, queens(10, 0, 0, 0, 0));
    }
    return report("recursion", sum);
}
