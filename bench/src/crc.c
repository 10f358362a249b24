/* Integer: CRC-32 (table driven) and CRC-32C (bitwise) over a buffer. */
#include "common.h"

#define BUF (1 << 18)

static uint8_t buf[BUF];
static uint32_t table[256];

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
    }
    return ~c;
}

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 70);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        table[i] = c;
    }
    for (long i = 0; i < BUF; i++) buf[i] = (uint8_t)rng_next();
    uint64_t sum = 0;
    for (long r = 0; r < reps; r++) {
        buf[r % BUF] ^= (uint8_t)r;
        sum = mix(sum, crc32(buf, BUF));
        sum = mix(sum, crc32c_bitwise(buf, BUF / 8));
    }
    return report("crc", sum);
}
