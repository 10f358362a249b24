/* sysinfo: uname, ids, auxv, sysconf, rlimits, isatty, getrandom.
 * Host-dependent values are printed as booleans. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
	struct utsname u;
	if (uname(&u) != 0) {
		printf("uname: error: %s\n", strerror(errno));
		return 1;
	}
	printf("uname: sysname=%s machine=%s\n", u.sysname, u.machine);
	printf("uname: release starts with a digit: %d, version nonempty: %d, nodename nonempty: %d\n",
	       u.release[0] >= '0' && u.release[0] <= '9', u.version[0] != 0, u.nodename[0] != 0);

	char host[256];
	printf("gethostname ok: %d\n", gethostname(host, sizeof host) == 0);

	pid_t pid = getpid();
	printf("getpid > 0: %d, getppid >= 0: %d, gettid == getpid: %d\n", pid > 0, getppid() >= 0,
	       (long)syscall(SYS_gettid) == (long)pid);
	printf("uid == euid: %d, gid == egid: %d\n", getuid() == geteuid(), getgid() == getegid());

	printf("sysconf(_SC_PAGESIZE)=%ld getpagesize()=%d\n", sysconf(_SC_PAGESIZE), getpagesize());
	printf("sysconf(_SC_NPROCESSORS_ONLN) >= 1: %d\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
	printf("sysconf(_SC_CLK_TCK)=%ld\n", sysconf(_SC_CLK_TCK));

	unsigned long hw = getauxval(AT_HWCAP);
	unsigned long imafdc = 0;
	for (const char *c = "imafdc"; *c; c++)
		imafdc |= 1UL << (*c - 'a');
	printf("auxv: AT_PAGESZ=%lu AT_HWCAP has IMAFDC: %d AT_RANDOM set: %d AT_PHDR set: %d AT_ENTRY set: %d AT_SECURE=%lu\n",
	       getauxval(AT_PAGESZ), (hw & imafdc) == imafdc, getauxval(AT_RANDOM) != 0,
	       getauxval(AT_PHDR) != 0, getauxval(AT_ENTRY) != 0, getauxval(AT_SECURE));

	struct rlimit rl;
	printf("getrlimit(RLIMIT_STACK) ok: %d, RLIMIT_NOFILE soft >= 64: %d\n",
	       getrlimit(RLIMIT_STACK, &rl) == 0,
	       getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 64);

	printf("isatty: stdin=%d stdout=%d stderr=%d\n", isatty(0), isatty(1), isatty(2));

	unsigned char r1[16], r2[16];
	ssize_t n1 = getrandom(r1, sizeof r1, 0), n2 = getrandom(r2, sizeof r2, 0);
	printf("getrandom 16 bytes twice: %d, different: %d\n", n1 == 16 && n2 == 16,
	       memcmp(r1, r2, 16) != 0);
	return 0;
}
