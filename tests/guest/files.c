/* files: stat, lstat, fstat, readlink, getcwd, chdir, fchdir, openat.
 *
 * usage: files PATH...
 * For each path prints what lstat/stat/fstat say (type, permissions, size,
 * mtime of regular files) and the symlink target; then walks the working
 * directory around /data and prints getcwd each time.
 *
 * No access()/faccessat here: under the oracle (proot 5.1 + qemu 7.2) qemu
 * implements it with the host's faccessat2, which proot does not translate,
 * so the oracle would check host paths. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISCHR(m))
		return "chardev";
	if (S_ISBLK(m))
		return "blockdev";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	return "unknown";
}

static void describe(const char *what, const struct stat *st)
{
	printf("  %s: %s", what, type_name(st->st_mode));
	if (!S_ISLNK(st->st_mode))
		printf(" mode=%04o", (unsigned)(st->st_mode & 07777));
	if (!S_ISDIR(st->st_mode))
		printf(" size=%lld", (long long)st->st_size);
	if (S_ISREG(st->st_mode))
		printf(" nlink=%lu mtime=%lld", (unsigned long)st->st_nlink, (long long)st->st_mtime);
	printf("\n");
}

static void show_cwd(const char *when)
{
	char buf[256];
	if (getcwd(buf, sizeof buf))
		printf("getcwd (%s): %s\n", when, buf);
	else
		printf("getcwd (%s): error: %s\n", when, strerror(errno));
}

static void try_chdir(const char *path)
{
	if (chdir(path) == 0)
		printf("chdir(%s): ok\n", path);
	else
		printf("chdir(%s): error: %s\n", path, strerror(errno));
	show_cwd(path);
}

int main(int argc, char **argv)
{
	show_cwd("start");
	for (int i = 1; i < argc; i++) {
		const char *p = argv[i];
		struct stat st, lst, fst;
		printf("%s:\n", p);
		if (lstat(p, &lst) != 0) {
			printf("  lstat: error: %s\n", strerror(errno));
			continue;
		}
		describe("lstat", &lst);
		if (S_ISLNK(lst.st_mode)) {
			char target[256];
			ssize_t n = readlink(p, target, sizeof target - 1);
			if (n >= 0) {
				target[n] = 0;
				printf("  readlink: %s (%zd bytes, lstat size matches: %d)\n", target, n,
				       (long long)n == (long long)lst.st_size);
			} else {
				printf("  readlink: error: %s\n", strerror(errno));
			}
		}
		int stat_ok = stat(p, &st) == 0;
		if (!stat_ok)
			printf("  stat: error: %s\n", strerror(errno));
		else
			describe("stat", &st);
		int fd = open(p, O_RDONLY);
		if (fd < 0) {
			printf("  open: error: %s\n", strerror(errno));
			continue;
		}
		if (fstat(fd, &fst) != 0) {
			printf("  fstat: error: %s\n", strerror(errno));
		} else {
			describe("fstat", &fst);
			printf("  fstat same inode as stat: %d\n",
			       stat_ok && fst.st_ino == st.st_ino && fst.st_dev == st.st_dev);
		}
		close(fd);
	}

	/* Not-a-directory and missing components. */
	struct stat st;
	if (stat("/data/small.txt/x", &st) != 0)
		printf("stat(/data/small.txt/x): error: %s\n", strerror(errno));
	if (stat("/data/nope/x", &st) != 0)
		printf("stat(/data/nope/x): error: %s\n", strerror(errno));

	/* Working directory. */
	try_chdir("/data");
	if (stat("small.txt", &st) == 0)
		printf("stat(small.txt) relative: size=%lld\n", (long long)st.st_size);
	try_chdir("dir/sub");
	try_chdir("..");
	try_chdir("../../data/./dir/");
	try_chdir("/data/small.txt");
	try_chdir("/data/missing");
	try_chdir("/");

	/* openat relative to a directory fd, fchdir. */
	int dfd = open("/data/dir", O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		printf("open(/data/dir, O_DIRECTORY): error: %s\n", strerror(errno));
		return 0;
	}
	int fd = openat(dfd, "a.txt", O_RDONLY);
	if (fd >= 0) {
		char buf[64];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		printf("openat(/data/dir, a.txt): read %zd bytes: %s", n, buf);
		close(fd);
	} else {
		printf("openat(/data/dir, a.txt): error: %s\n", strerror(errno));
	}
	if (fstatat(dfd, "sub", &st, 0) == 0)
		printf("fstatat(/data/dir, sub): %s\n", type_name(st.st_mode));
	if (fchdir(dfd) == 0)
		show_cwd("fchdir(/data/dir)");
	close(dfd);
	int bad = open("/data/small.txt", O_RDONLY | O_DIRECTORY);
	printf("open(/data/small.txt, O_DIRECTORY): %s\n", bad < 0 ? strerror(errno) : "opened?!");
	return 0;
}
