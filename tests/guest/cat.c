/* cat: read files twice, with open/read/lseek/close and with stdio.
 *
 * usage: cat [-s] FILE...   ("-" reads standard input; -s: summaries only)
 * The read pass copies the contents to stdout (unless -s) and prints a
 * summary line; the stdio pass reads lines with fgets and prints a summary.
 * Errors go to stderr as "cat: PATH: CALL: strerror(errno)"; the exit status
 * is 1 if anything failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 16777619u;
	}
	return h;
}

static int read_pass(const char *path, int summary_only)
{
	int is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "cat: %s: open: %s\n", path, strerror(errno));
		return 1;
	}
	unsigned char buf[1000]; /* deliberately not a power of two */
	long long total = 0;
	uint32_t h = 2166136261u;
	ssize_t r;
	int status = 0;
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		if (!summary_only)
			fwrite(buf, 1, (size_t)r, stdout);
		total += r;
		h = fnv(h, buf, (size_t)r);
	}
	if (r < 0) {
		fprintf(stderr, "cat: %s: read: %s\n", path, strerror(errno));
		status = 1;
	}
	fflush(stdout);
	if (!is_stdin) {
		/* lseek on a directory is file-system specific: only after good reads. */
		if (status == 0) {
			off_t end = lseek(fd, 0, SEEK_END);
			printf("[read] %s: lseek(SEEK_END)=%lld\n", path, (long long)end);
		}
		if (close(fd) != 0) {
			fprintf(stderr, "cat: %s: close: %s\n", path, strerror(errno));
			status = 1;
		}
	}
	printf("[read] %s: %lld bytes fnv1a=%08x\n", path, total, (unsigned)h);
	return status;
}

static int stdio_pass(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cat: %s: fopen: %s\n", path, strerror(errno));
		return 1;
	}
	char line[256];
	long lines = 0, pieces = 0;
	long long bytes = 0;
	uint32_t h = 2166136261u;
	char first[64] = "";
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		if (pieces == 0) {
			snprintf(first, sizeof first, "%.*s", (int)strcspn(line, "\n"), line);
		}
		pieces++;
		bytes += (long long)l;
		if (l && line[l - 1] == '\n')
			lines++;
		h = fnv(h, line, l);
	}
	int status = 0;
	if (ferror(f)) {
		fprintf(stderr, "cat: %s: fgets: %s\n", path, strerror(errno));
		status = 1;
	}
	long size = -1;
	if (status == 0 && fseek(f, 0, SEEK_END) == 0)
		size = ftell(f);
	fclose(f);
	printf("[stdio] %s: %ld lines, %ld fgets calls, %lld bytes, fnv1a=%08x, ftell(end)=%ld\n",
	       path, lines, pieces, bytes, (unsigned)h, size);
	printf("[stdio] %s: first line: [%s]\n", path, first);
	return status;
}

int main(int argc, char **argv)
{
	int i = 1, summary_only = 0, status = 0;
	if (i < argc && strcmp(argv[i], "-s") == 0) {
		summary_only = 1;
		i++;
	}
	if (i == argc) {
		fprintf(stderr, "usage: cat [-s] FILE...\n");
		return 2;
	}
	for (; i < argc; i++) {
		status |= read_pass(argv[i], summary_only);
		if (strcmp(argv[i], "-") != 0)
			status |= stdio_pass(argv[i]);
		fflush(stdout);
	}
	return status;
}
