/* Integer: string formatting and parsing (snprintf, strtol, strtod). */
#include "common.h"

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 27000);
    uint64_t sum = 0;
    char line[256];
    for (long r = 0; r < reps; r++) {
        long v = (long)rng_next() >> (r % 48);
        unsigned u = (unsigned)rng_next();
        double d = (double)(long)(rng_next() % 2000001 - 1000000) / 1024.0;
        int n = snprintf(line, sizeof line, "%ld %08x %-6u|%+.3f %e %s %c%5.1f%%", v, u,
                         u % 1000, d, d * 1e9, (r & 1) ? "odd" : "even", 'a' + (int)(r % 26),
                         d / 7.0);
        sum = mix(sum, (uint64_t)n);
        for (int i = 0; i < n; i++) sum = mix(sum, (uint8_t)line[i]);
        char *end;
        long back = strtol(line, &end, 10);
        unsigned long hx = strtoul(end, &end, 16);
        double dd = strtod(strchr(line, '|') + 1, NULL);
        if (back != v || hx != u) return report("strfmt-MISMATCH", (uint64_t)r);
        sum = mix(sum, dbits(dd));
    }
    return report("strfmt", sum);
}
