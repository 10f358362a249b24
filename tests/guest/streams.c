/* streams: standard output and standard error through stdio, perror,
 * write(2) and dprintf, including a large stderr payload. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	printf("stdout: line 1\n");
	fflush(stdout);
	fprintf(stderr, "stderr: line 1\n");
	errno = ENOENT;
	perror("stderr: perror");
	const char raw[] = "stderr: raw write(2)\n";
	ssize_t n = write(2, raw, sizeof raw - 1);
	dprintf(2, "stderr: dprintf %d %s\n", 42, "ok");
	printf("stdout: write(2) returned %zd\n", n);

	errno = 0;
	ssize_t bad = write(99, "x", 1);
	printf("stdout: write(99) = %zd (%s)\n", bad, strerror(errno));

	/* 5000 lines, about 100 KB, in one stdio stream. */
	for (int i = 0; i < 5000; i++)
		fprintf(stderr, "stderr bulk line %05d: the quick brown fox jumps over the lazy dog\n", i);
	fflush(stderr);

	/* A single large write on stdout. */
	static char block[70000];
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	ssize_t w = write(1, block, sizeof block);
	printf("\nstdout: write(70000) returned %zd\n", w);
	fputs("stderr: last line\n", stderr);
	printf("stdout: last line\n");
	return 0;
}
