/* Integer: hashing (FNV-1a, a murmur-style mixer) and an open-addressing
 * hash table (insert, lookup, delete-free churn). */
#include "common.h"

#define BUF (1 << 16)
#define TAB (1 << 17)

static uint8_t buf[BUF];
static uint64_t keys[TAB];
static uint32_t vals[TAB];

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t murmur_mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

static void put(uint64_t k, uint32_t v)
{
    uint64_t i = murmur_mix(k) & (TAB - 1);
    while (keys[i] && keys[i] != k) i = (i + 1) & (TAB - 1);
    keys[i] = k;
    vals[i] = v;
}

static uint32_t get(uint64_t k)
{
    uint64_t i = murmur_mix(k) & (TAB - 1);
    while (keys[i]) {
        if (keys[i] == k) return vals[i];
        i = (i + 1) & (TAB - 1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 14);
    uint64_t sum = 0;
    for (long i = 0; i < BUF; i++) buf[i] = (uint8_t)rng_next();
    for (long r = 0; r < reps; r++) {
        for (long off = 0; off < 64; off++) sum = mix(sum, fnv1a(buf + off, BUF - 64));
        memset(keys, 0, sizeof keys);
        for (uint32_t i = 0; i < TAB / 2; i++) put(rng_next() | 1, i);
        uint64_t s = rng_state;
        for (long i = 0; i < TAB / 2; i++) {
            uint64_t k = murmur_mix(s + i) | 1;
            sum += get(k);
        }
        for (long i = 0; i < TAB; i += 7) sum = mix(sum, keys[i] ^ vals[i]);
    }
    return report("hash", sum);
}
