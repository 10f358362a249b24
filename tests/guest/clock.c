/* clock: time(), clock_gettime, gettimeofday, nanosleep, gmtime/localtime
 * of a fixed time. Prints only booleans and fixed-time conversions. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
	time_t t = time(NULL);
	printf("time() plausible (2020..2100): %d\n", t > 1577836800 && t < 4102444800LL);

	struct timespec rt, m1, m2, res, cpu;
	printf("clock_gettime(REALTIME) ok: %d\n", clock_gettime(CLOCK_REALTIME, &rt) == 0);
	printf("REALTIME within 2 s of time(): %d\n", llabs((long long)rt.tv_sec - (long long)t) <= 2);
	printf("REALTIME tv_nsec in range: %d\n", rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000L);

	struct timeval tv;
	printf("gettimeofday ok: %d\n", gettimeofday(&tv, NULL) == 0);
	printf("gettimeofday within 2 s of REALTIME: %d, tv_usec in range: %d\n",
	       llabs((long long)tv.tv_sec - (long long)rt.tv_sec) <= 2,
	       tv.tv_usec >= 0 && tv.tv_usec < 1000000L);

	printf("clock_gettime(MONOTONIC) ok: %d\n", clock_gettime(CLOCK_MONOTONIC, &m1) == 0);
	int nondecreasing = 1;
	struct timespec prev = m1, cur;
	for (int i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &cur);
		if (ns(&cur) < ns(&prev))
			nondecreasing = 0;
		prev = cur;
	}
	printf("MONOTONIC non-decreasing over 1000 reads: %d\n", nondecreasing);

	struct timespec req = {0, 20 * 1000 * 1000}, rem;
	printf("nanosleep(20 ms) ok: %d\n", nanosleep(&req, &rem) == 0);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	long long slept = ns(&m2) - ns(&m1);
	printf("MONOTONIC advanced >= 20 ms and < 20 s: %d\n",
	       slept >= 20000000LL && slept < 20000000000LL);

	printf("clock_getres(MONOTONIC) ok and <= 1 ms: %d\n",
	       clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
		       res.tv_nsec <= 1000000L);
	printf("clock_gettime(PROCESS_CPUTIME_ID) ok: %d\n",
	       clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0);
	printf("clock() >= 0: %d\n", clock() >= 0);

	time_t fixed = 1700000000;
	struct tm g, l;
	char buf[64];
	gmtime_r(&fixed, &g);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a %j", &g);
	printf("gmtime(1700000000): %s\n", buf);
	localtime_r(&fixed, &l); /* no /etc/localtime and no TZ in the image: UTC */
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &l);
	printf("localtime(1700000000): %s\n", buf);
	printf("timegm round trip: %d\n", timegm(&g) == fixed);
	return 0;
}
