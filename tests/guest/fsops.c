/* fsops: file system changes, one small operation after another.
 *
 * usage: fsops OP ARG... [+ OP ARG...]...
 *   ls DIR            the names in DIR, sorted, with a type letter (f d l o)
 *   cat FILE          copy FILE to stdout
 *   write FILE TEXT   create or truncate FILE (0644) and write TEXT
 *   append FILE TEXT  open FILE with O_APPEND and write TEXT
 *   mkdir DIR         rmdir DIR         rm FILE         mv FROM TO
 *   symlink TARGET PATH                 readlink PATH
 *   truncate FILE LEN stat PATH (type and size; lstat)
 *   fill FILE MIB     write MIB MiB to FILE in 1 MiB writes; prints how many
 *                     went in and, if one failed, why (not a failure: the
 *                     tests use it to fill the writable layer)
 *   tmpdir            mkdtemp /tmp/fsops.XXXXXX and chdir into it (its
 *                     name is not printed, so runs compare)
 *   rmtmp             chdir out of the tmpdir and remove it
 * Operations run in order; the first failure prints "fsops: OP ARG:
 * strerror(errno)" to stderr and exits 1. The tests use it as a tiny shell
 * for host directory mounts (tests/tests/mounts.rs). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[64];

static int fail(const char *op, const char *arg)
{
	fprintf(stderr, "fsops: %s %s: %s\n", op, arg, strerror(errno));
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_ls(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return fail("ls", dir);
	char *names[512];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 512) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char t = 'o';
		if (lstat(path, &st) == 0)
			t = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
		printf("%c %s\n", t, names[i]);
		free(names[i]);
	}
	return 0;
}

static int do_cat(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("cat", path);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, n, stdout);
	int bad = n < 0;
	close(fd);
	return bad ? fail("cat", path) : 0;
}

static int do_write(const char *op, const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return fail(op, path);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return fail(op, path);
	}
	return close(fd) ? fail(op, path) : 0;
}

/* Run the operation at argv[0]; returns the number of words it used, or
 * -1 after a failure. */
static int do_fill(const char *path, long mib)
{
	static char chunk[1 << 20];
	memset(chunk, 0xab, sizeof chunk);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("fill", path);
	long long done = 0;
	const char *why = NULL;
	while (done < (long long)mib << 20) {
		ssize_t n = write(fd, chunk + done % sizeof chunk, sizeof chunk - done % sizeof chunk);
		if (n < 0) {
			why = strerror(errno);
			break;
		}
		done += n;
	}
	close(fd);
	if (why)
		printf("fill %s: %lld MiB, then %s\n", path, done >> 20, why);
	else
		printf("fill %s: %lld MiB\n", path, done >> 20);
	return 0;
}

static int op(int argc, char **argv)
{
	const char *o = argv[0];
	const char *a = argc > 1 ? argv[1] : "";
	const char *b = argc > 2 ? argv[2] : "";
	int need = 2;
	int bad = 0;
	if (!strcmp(o, "tmpdir") || !strcmp(o, "rmtmp"))
		need = 1;
	else if (!strcmp(o, "write") || !strcmp(o, "append") || !strcmp(o, "mv") ||
		 !strcmp(o, "symlink") || !strcmp(o, "truncate") || !strcmp(o, "fill"))
		need = 3;
	if (argc < need) {
		fprintf(stderr, "fsops: %s needs %d argument(s)\n", o, need - 1);
		return -1;
	}
	if (!strcmp(o, "ls"))
		bad = do_ls(a);
	else if (!strcmp(o, "cat"))
		bad = do_cat(a);
	else if (!strcmp(o, "write"))
		bad = do_write(o, a, b, O_TRUNC);
	else if (!strcmp(o, "append"))
		bad = do_write(o, a, b, O_APPEND);
	else if (!strcmp(o, "mkdir"))
		bad = mkdir(a, 0755) ? fail(o, a) : 0;
	else if (!strcmp(o, "rmdir"))
		bad = rmdir(a) ? fail(o, a) : 0;
	else if (!strcmp(o, "rm"))
		bad = unlink(a) ? fail(o, a) : 0;
	else if (!strcmp(o, "mv"))
		bad = rename(a, b) ? fail(o, a) : 0;
	else if (!strcmp(o, "symlink"))
		bad = symlink(a, b) ? fail(o, b) : 0;
	else if (!strcmp(o, "truncate"))
		bad = truncate(a, atol(b)) ? fail(o, a) : 0;
	else if (!strcmp(o, "fill"))
		bad = do_fill(a, atol(b));
	else if (!strcmp(o, "readlink")) {
		char t[4096];
		ssize_t n = readlink(a, t, sizeof t - 1);
		if (n < 0) {
			bad = fail(o, a);
		} else {
			t[n] = 0;
			printf("%s -> %s\n", a, t);
		}
	} else if (!strcmp(o, "stat")) {
		struct stat st;
		if (lstat(a, &st)) {
			bad = fail(o, a);
		} else {
			const char *t = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "symlink" : "other";
			if (S_ISREG(st.st_mode))
				printf("%s: %s, %lld bytes\n", a, t, (long long)st.st_size);
			else
				printf("%s: %s\n", a, t);
		}
	} else if (!strcmp(o, "tmpdir")) {
		strcpy(tmp, "/tmp/fsops.XXXXXX");
		if (!mkdtemp(tmp) || chdir(tmp))
			bad = fail(o, "/tmp");
	} else if (!strcmp(o, "rmtmp")) {
		if (chdir("/") || rmdir(tmp))
			bad = fail(o, "/tmp");
	} else {
		fprintf(stderr, "fsops: unknown operation %s\n", o);
		return -1;
	}
	fflush(stdout);
	return bad ? -1 : need;
}

int main(int argc, char **argv)
{
	int i = 1;
	while (i < argc) {
		int end = i;
		while (end < argc && strcmp(argv[end], "+"))
			end++;
		int used = op(end - i, argv + i);
		if (used < 0)
			return 1;
		if (used != end - i) {
			fprintf(stderr, "fsops: %s: too many arguments\n", argv[i]);
			return 1;
		}
		i = end + 1;
	}
	return 0;
}
