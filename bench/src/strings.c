/* Memory: C string functions (strlen, strchr, strcmp, strstr, strcpy, strcat). */
#include "common.h"

#define NSTR 2048

static char pool[NSTR][128];
static char work[NSTR * 64];

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 200);
    uint64_t sum = 0;
    for (int i = 0; i < NSTR; i++) {
        int len = 8 + (int)(rng_next() % 110);
        for (int k = 0; k < len; k++) pool[i][k] = (char)('a' + rng_next() % 8);
        pool[i][len] = 0;
    }
    for (long r = 0; r < reps; r++) {
        for (int i = 0; i < NSTR; i++) {
            const char *s = pool[i], *t = pool[(i + r + 1) % NSTR];
            sum += strlen(s);
            const char *p = strchr(s, 'h');
            sum += p ? (uint64_t)(p - s) : 1000;
            int c = strcmp(s, t);
            sum += (uint64_t)((c > 0) - (c < 0) + 1);
            char needle[4] = {s[r % 5], s[r % 5 + 1], s[r % 5 + 2], 0};
            const char *q = strstr(t, needle);
            sum = mix(sum, q ? (uint64_t)(q - t) : 77);
        }
        work[0] = 0;
        size_t used = 0;
        for (int i = 0; i < NSTR / 4; i++) {
            strcpy(work + used, pool[(i * 7 + r) % NSTR]);
            used += strlen(work + used);
            strcat(work + used, ",");
            used++;
        }
        sum = mix(sum, used);
        sum = mix(sum, (uint64_t)(strrchr(work, 'a') - work));
    }
    return report("strings", sum);
}
