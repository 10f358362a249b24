/* Memory: memcpy, memmove, memset and memcmp over many sizes and alignments. */
#include "common.h"

#define BUF (1 << 20)

static uint8_t src[BUF + 64], dst[BUF + 64];

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 260);
    uint64_t sum = 0;
    for (long i = 0; i < BUF; i++) src[i] = (uint8_t)rng_next();
    for (long r = 0; r < reps; r++) {
        memcpy(dst + (r & 7), src + (r % 5), BUF);
        memset(dst + (r % 13), (int)r, BUF / 2);
        memmove(dst + 3, dst + 1, BUF / 4);
        memmove(dst + 1, dst + 9, BUF / 4);
        for (long n = 1; n < 4096; n = n * 3 + 1) {
            for (long off = 0; off + n < BUF; off += BUF / 8 + n) {
                memcpy(dst + off + 1, src + off, n);
                sum += (uint64_t)memcmp(dst + off + 1, src + off + (n & 1), n) + 7;
            }
        }
        for (long i = 0; i < BUF; i += 4093) sum = mix(sum, dst[i]);
    }
    return report("memops", sum);
}
