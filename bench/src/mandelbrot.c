/* Floating point: Mandelbrot set escape counts on a grid. */
#include "common.h"

int main(int argc, char **argv)
{
    long size = scale_arg(argc, argv, 600);
    const int maxit = 200;
    uint64_t sum = 0;
    long total = 0;
    for (long py = 0; py < size; py++) {
        double ci = -1.25 + 2.5 * (double)py / (double)size;
        uint64_t row = 0;
        for (long px = 0; px < size; px++) {
            double cr = -2.0 + 2.5 * (double)px / (double)size;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int it = 0;
            while (it < maxit && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            total += it;
            row = mix(row, (uint64_t)it ^ dbits(zr2 + zi2));
        }
        sum = mix(sum, row);
    }
    sum = mix(sum, (uint64_t)total);
    return report("mandelbrot", sum);
}
