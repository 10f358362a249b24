/* Integer: sieve of Eratosthenes (byte array) and a bit-packed variant. */
#include "common.h"

#define LIMIT 2000000

static uint8_t composite[LIMIT + 1];
static uint64_t bits[LIMIT / 64 + 1];

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 4);
    uint64_t sum = 0;
    for (long r = 0; r < reps; r++) {
        long n = LIMIT - r * 1000;
        memset(composite, 0, sizeof composite);
        long count = 0;
        for (long i = 2; i <= n; i++) {
            if (composite[i]) continue;
            count++;
            sum = mix(sum, i);
            for (long j = i * i; j <= n; j += i) composite[j] = 1;
        }
        memset(bits, 0, sizeof bits);
        long count2 = 0;
        for (long i = 2; i <= n; i++) {
            if (bits[i >> 6] >> (i & 63) & 1) continue;
            count2++;
            for (long j = i * i; j <= n; j += i) bits[j >> 6] |= 1ull << (j & 63);
        }
        if (count != count2) return report("sieve-MISMATCH", count);
        sum = mix(sum, count);
    }
    return report("sieve", sum);
}
