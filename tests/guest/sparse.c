/* sparse: holes, far writes, fallocate and SEEK_DATA/SEEK_HOLE in a new
 * file under /tmp, printed so that a run on ext4 (the oracle) and on
 * friscy's writable layer compare: sizes, st_blocks, the offsets lseek
 * finds and what reads give.
 *
 * Each part uses its own file with at most four extents, so that ext4
 * keeps the extent list in the inode and st_blocks counts data only.
 * Offsets are multiples of 4 KiB, the block size both sides use. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define K 1024LL
#define M (1024 * K)
#define G (1024 * M)

static char path[64];

static void show(int fd, const char *what)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		printf("%s: fstat: %s\n", what, strerror(errno));
		return;
	}
	printf("%s: size=%lld blocks=%lld\n", what, (long long)st.st_size, (long long)st.st_blocks);
}

static void seek(int fd, int whence, long long off)
{
	errno = 0;
	long long r = lseek(fd, off, whence);
	if (r < 0)
		printf("  %s(%lld) = %s\n", whence == SEEK_DATA ? "data" : "hole", off, strerror(errno));
	else
		printf("  %s(%lld) = %lld\n", whence == SEEK_DATA ? "data" : "hole", off, r);
}

/* A checksum of LEN bytes at OFF and whether they are all zero. */
static void sum(int fd, long long off, long long len)
{
	static unsigned char buf[64 * 1024];
	unsigned long long h = 1469598103934665603ULL;
	long long got = 0;
	int zero = 1;
	while (got < len) {
		long long want = len - got < (long long)sizeof buf ? len - got : (long long)sizeof buf;
		ssize_t n = pread(fd, buf, want, off + got);
		if (n < 0) {
			printf("  pread(%lld): %s\n", off + got, strerror(errno));
			return;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			h = (h ^ buf[i]) * 1099511628211ULL;
			zero &= buf[i] == 0;
		}
		got += n;
	}
	printf("  bytes [%lld, +%lld): read %lld, %s, hash %016llx\n", off, len, got,
	       zero ? "all zero" : "data", h);
}

static void fill(int fd, long long off, long long len, int seed)
{
	static unsigned char buf[64 * 1024];
	for (long long done = 0; done < len;) {
		long long n = len - done < (long long)sizeof buf ? len - done : (long long)sizeof buf;
		for (long long i = 0; i < n; i++)
			buf[i] = (unsigned char)(seed + (done + i) * 7);
		if (pwrite(fd, buf, n, off + done) != n) {
			printf("  pwrite(%lld): %s\n", off + done, strerror(errno));
			return;
		}
		done += n;
	}
}

static int fresh(const char *name)
{
	/* Per process: the oracle's runs (glibc and musl at once) share the
	 * fixture tree's /tmp, and one's unlink would race the other's open. */
	snprintf(path, sizeof path, "/tmp/sparse-%d-%s", (int)getpid(), name);
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void report(const char *what, int r)
{
	printf("  %s = %s\n", what, r == 0 ? "0" : strerror(errno));
}

int main(void)
{
	/* A file of 6 GiB with one byte of data: past what a 32-bit size holds. */
	int fd = fresh("far");
	report("ftruncate(1G)", ftruncate(fd, 1 * G));
	show(fd, "truncated to 1G");
	fill(fd, 5 * G, 1, 'X');
	show(fd, "one byte at 5G");
	seek(fd, SEEK_DATA, 0);
	seek(fd, SEEK_HOLE, 0);
	seek(fd, SEEK_HOLE, 5 * G);
	seek(fd, SEEK_DATA, 5 * G + 1);
	seek(fd, SEEK_DATA, -1);
	sum(fd, 2 * G, 64 * K);
	sum(fd, 5 * G - 4 * K, 4 * K + 1);
	report("ftruncate(6G)", ftruncate(fd, 6 * G));
	seek(fd, SEEK_HOLE, 5 * G);
	show(fd, "grown to 6G");
	/* Mapping all of it takes only the pages that hold data. */
	for (int shared = 0; shared < 2; shared++) {
		unsigned char *m = mmap(NULL, 6 * G, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			printf("  mmap 6G %s: %s\n", shared ? "shared" : "private", strerror(errno));
			continue;
		}
		printf("  mmap 6G %s: [2G]=%d [5G]=%c [6G-1]=%d\n", shared ? "shared" : "private",
		       m[2 * G], m[5 * G], m[6 * G - 1]);
		munmap(m, 6 * G);
	}
	close(fd);
	unlink(path);

	/* Dense data, then a punched hole in its middle. */
	fd = fresh("punch");
	fill(fd, 1 * M, 64 * K, 1);
	show(fd, "64K at 1M");
	seek(fd, SEEK_DATA, 0);
	seek(fd, SEEK_HOLE, 1 * M);
	seek(fd, SEEK_DATA, 1 * M + 100);
	report("punch 16K at 1M+16K",
	       fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 * M + 16 * K, 16 * K));
	show(fd, "punched");
	seek(fd, SEEK_HOLE, 1 * M);
	seek(fd, SEEK_DATA, 1 * M + 16 * K);
	sum(fd, 1 * M, 64 * K);
	report("punch 100 bytes at 1M+40000",
	       fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 * M + 40000, 100));
	show(fd, "partly punched");
	sum(fd, 1 * M, 64 * K);
	report("punch past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * M, 1 * M));
	show(fd, "after punching past the end");
	report("ftruncate(1M+20K)", ftruncate(fd, 1 * M + 20 * K));
	show(fd, "shrunk");
	report("ftruncate(2M)", ftruncate(fd, 2 * M));
	show(fd, "grown again");
	sum(fd, 1 * M, 1 * M);
	close(fd);
	unlink(path);

	/* fallocate reserves: blocks, not data. */
	fd = fresh("alloc");
	report("fallocate 64K at 0", fallocate(fd, 0, 0, 64 * K));
	show(fd, "allocated");
	report("fallocate keep-size 64K at 1M", fallocate(fd, FALLOC_FL_KEEP_SIZE, 1 * M, 64 * K));
	show(fd, "allocated past the end");
	fill(fd, 0, 8 * K, 3);
	show(fd, "written into the reservation");
	sum(fd, 0, 64 * K);
	report("fallocate 4K at 2M", fallocate(fd, 0, 2 * M, 4 * K));
	show(fd, "grown by fallocate");
	sum(fd, 64 * K, 2 * M + 4 * K - 64 * K);
	close(fd);
	unlink(path);

	/* What fallocate and truncate refuse. */
	fd = fresh("errors");
	report("fallocate len 0", fallocate(fd, 0, 0, 0));
	report("fallocate offset -1", fallocate(fd, 0, -1, 10));
	report("punch without keep-size", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
	report("ftruncate(-1)", ftruncate(fd, -1));
	close(fd);
	fd = open(path, O_RDONLY);
	report("fallocate on a read-only fd", fallocate(fd, 0, 0, 10));
	seek(fd, SEEK_DATA, 0);
	seek(fd, SEEK_HOLE, 0);
	close(fd);
	unlink(path);
	int p[2];
	if (pipe(p) == 0) {
		report("fallocate on a pipe", fallocate(p[1], 0, 0, 10));
		close(p[0]);
		close(p[1]);
	}
	return 0;
}
