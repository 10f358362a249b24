/* memory: the heap a static program uses (brk and mmap through malloc),
 * plus direct mmap/mprotect/munmap. Prints only checksums and booleans. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NSMALL 3000

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 16777619u;
	}
	return h;
}

static int check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

int main(void)
{
	int bad = 0;
	char *brk0 = sbrk(0);

	/* Many small blocks (brk heap in both libcs). */
	static unsigned char *small[NSMALL];
	static size_t sizes[NSMALL];
	for (int i = 0; i < NSMALL; i++) {
		sizes[i] = (size_t)(i * 37 % 1000) + 1;
		small[i] = malloc(sizes[i]);
		if (!small[i]) {
			printf("malloc(%zu) failed\n", sizes[i]);
			return 1;
		}
		memset(small[i], i & 0xff, sizes[i]);
	}
	int intact = 1;
	for (int i = 0; i < NSMALL; i++)
		for (size_t j = 0; j < sizes[i]; j++)
			if (small[i][j] != (unsigned char)(i & 0xff))
				intact = 0;
	bad |= check("small blocks intact", intact);
	char *brk1 = sbrk(0);
	printf("brk grew after small mallocs: %d\n", brk1 > brk0);
	for (int i = 1; i < NSMALL; i += 2) {
		free(small[i]);
		small[i] = NULL;
	}
	int grown = 1;
	for (int i = 0; i < NSMALL; i += 2) {
		unsigned char *p = realloc(small[i], sizes[i] * 3);
		if (!p) {
			grown = 0;
			break;
		}
		for (size_t j = 0; j < sizes[i]; j++)
			if (p[j] != (unsigned char)(i & 0xff))
				grown = 0;
		small[i] = p;
	}
	bad |= check("realloc keeps contents", grown);
	for (int i = 0; i < NSMALL; i += 2)
		free(small[i]);

	/* A large block (mmap in both libcs), touched on every page. */
	size_t big = 48u << 20;
	unsigned char *b = malloc(big);
	if (!b) {
		printf("malloc(48 MiB) failed\n");
		return 1;
	}
	for (size_t off = 0; off < big; off += 4096)
		b[off] = (unsigned char)(off >> 12);
	uint32_t h = 2166136261u;
	for (size_t off = 0; off < big; off += 4096)
		h = fnv(h, &b[off], 1);
	printf("48 MiB block page checksum: %08x\n", (unsigned)h);
	memset(b, 0x5a, big);
	int all5a = b[0] == 0x5a && b[big / 2] == 0x5a && b[big - 1] == 0x5a;
	bad |= check("48 MiB memset", all5a);
	free(b);

	/* calloc must return zeroed memory, also when it reuses freed memory. */
	unsigned char *z = calloc(1, 4u << 20);
	int zero = z != NULL;
	for (size_t i = 0; zero && i < (4u << 20); i += 512)
		if (z[i])
			zero = 0;
	bad |= check("calloc 4 MiB zeroed", zero);
	free(z);

	/* realloc of an mmapped chunk (glibc uses mremap). */
	unsigned char *r = malloc(1u << 20);
	for (size_t i = 0; i < (1u << 20); i++)
		r[i] = (unsigned char)(i * 7);
	r = realloc(r, 16u << 20);
	int kept = r != NULL;
	for (size_t i = 0; kept && i < (1u << 20); i++)
		if (r[i] != (unsigned char)(i * 7))
			kept = 0;
	if (kept)
		r[(16u << 20) - 1] = 1;
	bad |= check("realloc 1 MiB -> 16 MiB keeps contents", kept);
	free(r);

	/* Alignment. */
	void *a64 = NULL, *a4k = NULL;
	int al = posix_memalign(&a64, 64, 100) == 0 && posix_memalign(&a4k, 4096, 10000) == 0 &&
		 ((uintptr_t)a64 % 64) == 0 && ((uintptr_t)a4k % 4096) == 0;
	bad |= check("posix_memalign 64 and 4096", al);
	free(a64);
	free(a4k);

	/* Direct anonymous mappings. */
	size_t len = 1u << 20;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int mok = m != MAP_FAILED;
	if (mok) {
		int zeroed = 1;
		for (size_t i = 0; i < len; i += 4096)
			if (m[i])
				zeroed = 0;
		for (size_t i = 0; i < len; i++)
			m[i] = (unsigned char)(i ^ (i >> 8));
		printf("mmap 1 MiB checksum: %08x\n", (unsigned)fnv(2166136261u, m, len));
		mok = zeroed && munmap(m, len) == 0;
	}
	bad |= check("mmap anonymous 1 MiB, zeroed, munmap", mok);

	unsigned char *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pok = ro != MAP_FAILED && ro[100] == 0 && mprotect(ro, 8192, PROT_READ | PROT_WRITE) == 0;
	if (pok) {
		ro[8191] = 9;
		pok = ro[8191] == 9 && munmap(ro, 8192) == 0;
	}
	bad |= check("mmap PROT_READ then mprotect RW", pok);

	/* madvise(MADV_DONTNEED): private anonymous pages read as zeros again
	 * (only the pages advised); MAP_SHARED memory keeps its bytes. */
	unsigned char *dn = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int dok = dn != MAP_FAILED && sh != MAP_FAILED;
	if (dok) {
		memset(dn, 0x5a, 3 * 4096);
		memset(sh, 0x33, 4096);
		dok = madvise(dn + 4096, 4096, MADV_DONTNEED) == 0 && dn[4096] == 0 && dn[8191] == 0 &&
		      dn[4095] == 0x5a && dn[8192] == 0x5a;
		dok = dok && madvise(sh, 4096, MADV_DONTNEED) == 0 && sh[10] == 0x33;
		dn[4096] = 7;
		dok = dok && dn[4096] == 7;
		errno = 0;
		dok = dok && madvise(dn + 1, 4096, MADV_DONTNEED) == -1 && errno == EINVAL;
		/* (Unmapped memory is ENOMEM on Linux and here, but qemu-user
		 * returns 0: checked by the core's unit tests instead.) */
		munmap(dn, 3 * 4096);
		munmap(sh, 4096);
	}
	bad |= check("madvise DONTNEED zeroes private pages, keeps shared; EINVAL", dok);

	long ps = sysconf(_SC_PAGESIZE);
	printf("page size: %ld\n", ps);
	return bad;
}
