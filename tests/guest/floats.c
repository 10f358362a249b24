/* floats: printf of doubles and floats, libm, rounding modes, FP exception
 * flags and float<->int conversions. Values are read through volatile
 * variables so that the arithmetic happens at run time. */
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vals[] = {
	0.0, -0.0, 1.0, 0.1, 1.0 / 3.0, 2.5, 3.5, -2.5, 0.5, 1.5, 123456789.125, 1e15 + 0.3,
	3.141592653589793, 2.718281828459045, 1e-5, 1e-300, 1e300, 4.9e-324, DBL_MIN, DBL_MAX,
	INFINITY, -INFINITY, NAN,
};

static void flags(const char *what)
{
	int f = fetestexcept(FE_ALL_EXCEPT);
	printf("%-24s inexact=%d underflow=%d overflow=%d divbyzero=%d invalid=%d\n", what,
	       !!(f & FE_INEXACT), !!(f & FE_UNDERFLOW), !!(f & FE_OVERFLOW), !!(f & FE_DIVBYZERO),
	       !!(f & FE_INVALID));
}

int main(void)
{
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		double v = vals[i];
		printf("%%f=%f %%.3f=%.3f %%.0f=%.0f %%g=%g %%.17g=%.17g %%e=%e %%.2E=%.2E\n", v, v, v,
		       v, v, v, v);
	}
	volatile float f1 = 0.1f, f3 = 3.0f;
	printf("float: 0.1f=%.9g 1/3f=%.9g sqrtf(2)=%.9g fmaf=%.9g\n", (double)f1,
	       (double)(1.0f / f3), (double)sqrtf(2.0f), (double)fmaf(f1, 10.0f, -1.0f));

	volatile double one = 1.0, ten = 10.0, two = 2.0, half = 0.5, m1 = -1.0, tenth = 0.1;
	printf("libm: sin(1)=%.17g cos(1)=%.17g tan(1)=%.17g\n", sin(one), cos(one), tan(one));
	printf("libm: exp(1)=%.17g log(10)=%.17g log2(10)=%.17g log10(2)=%.17g\n", exp(one),
	       log(ten), log2(ten), log10(two));
	printf("libm: pow(2,0.5)=%.17g sqrt(2)=%.17g cbrt(10)=%.17g hypot(1,2)=%.17g\n",
	       pow(two, half), sqrt(two), cbrt(ten), hypot(one, two));
	printf("libm: atan2(1,-1)=%.17g fma(0.1,10,-1)=%.17g floor(-0.5)=%g ceil(-0.5)=%g\n",
	       atan2(one, m1), fma(tenth, ten, m1), floor(-half), ceil(-half));
	printf("libm: fmin(NaN,1)=%g fmax(-0,0)=%g copysign(1,-0)=%g signbit(-0)=%d\n",
	       fmin((double)NAN, one), fmax(-0.0, 0.0), copysign(one, -0.0), !!signbit(-0.0));

	volatile double big = 1e30, neg = -1e30, nan = NAN, mhalf = -2.5, x27 = 2.7;
	printf("conv: (long)-2.7=%ld (int)2.7=%d (unsigned)2.7=%u (long)-2.5=%ld\n", (long)-x27,
	       (int)x27, (unsigned)x27, (long)mhalf);
	printf("conv: (int)1e30=%d (int)-1e30=%d (long)1e30=%ld (unsigned long)-1e30=%lu (int)NaN=%d\n",
	       (int)big, (int)neg, (long)big, (unsigned long)neg, (int)nan);
	volatile int64_t i64 = INT64_MAX;
	volatile uint64_t u64 = UINT64_MAX;
	printf("conv: (double)INT64_MAX=%.17g (double)UINT64_MAX=%.17g (float)16777217=%.9g\n",
	       (double)i64, (double)u64, (double)(float)16777217);

	static const struct {
		int mode;
		const char *name;
	} modes[] = {
		{FE_TONEAREST, "nearest"},
		{FE_UPWARD, "upward"},
		{FE_DOWNWARD, "downward"},
		{FE_TOWARDZERO, "towardzero"},
	};
	volatile double r25 = 2.5, rm25 = -2.5, third = 1.0 / 3.0;
	for (size_t i = 0; i < 4; i++) {
		if (fesetround(modes[i].mode) != 0) {
			printf("fesetround(%s) failed\n", modes[i].name);
			continue;
		}
		printf("round %-10s rint(2.5)=%g rint(-2.5)=%g llrint(2.5)=%lld 1/3=%.17g 2/3*3=%.17g fegetround ok=%d\n",
		       modes[i].name, rint(r25), rint(rm25), llrint(r25), one / 3.0, third * 2 * 3,
		       fegetround() == modes[i].mode);
	}
	fesetround(FE_TONEAREST);

	volatile double zero = 0.0, tiny = DBL_MIN, huge = DBL_MAX, r;
	feclearexcept(FE_ALL_EXCEPT);
	flags("cleared:");
	r = one / 3.0;
	flags("1/3:");
	feclearexcept(FE_ALL_EXCEPT);
	r = one / zero;
	flags("1/0:");
	feclearexcept(FE_ALL_EXCEPT);
	r = sqrt(m1);
	flags("sqrt(-1):");
	feclearexcept(FE_ALL_EXCEPT);
	r = huge * 2.0;
	flags("DBL_MAX*2:");
	feclearexcept(FE_ALL_EXCEPT);
	r = tiny / 1e10;
	flags("DBL_MIN/1e10:");
	feclearexcept(FE_ALL_EXCEPT);
	r = zero / zero;
	flags("0/0:");
	(void)r;

	errno = 0;
	double s1 = strtod("0x1.8p3", NULL);
	double s2 = strtod("1e-400", NULL);
	int e2 = errno;
	double s3 = strtod("  -12.5e2xyz", NULL);
	double s4 = atof("nan");
	printf("strtod: 0x1.8p3=%g 1e-400=%g (ERANGE=%d) -12.5e2=%g nan-is-nan=%d inf=%g\n", s1, s2,
	       e2 == ERANGE, s3, isnan(s4), strtod("-inf", NULL));
	char buf[64];
	snprintf(buf, sizeof buf, "%.40f", 0.1);
	printf("snprintf %%.40f of 0.1: %s\n", buf);
	return 0;
}
