/* Floating point: dense double matrix multiply (naive i-k-j loop). */
#include "common.h"

#define N 160

static double a[N][N], b[N][N], c[N][N];

int main(int argc, char **argv)
{
    long reps = scale_arg(argc, argv, 10);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (double)((int)(rng_next() % 2001) - 1000) / 256.0;
            b[i][j] = (double)((int)(rng_next() % 2001) - 1000) / 512.0;
        }
    uint64_t sum = 0;
    for (long r = 0; r < reps; r++) {
        memset(c, 0, sizeof c);
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                double x = a[i][k];
                for (int j = 0; j < N; j++) c[i][j] += x * b[k][j];
            }
        double t = 0;
        for (int i = 0; i < N; i++) t += c[i][(i + r) % N];
        sum = mix(sum, dbits(t));
        a[r % N][(r * 7) % N] += 1.0 / 3.0;
    }
    for (int i = 0; i < N; i += 7)
        for (int j = 0; j < N; j += 5) sum = mix(sum, dbits(c[i][j]));
    return report("matmul", sum);
}
