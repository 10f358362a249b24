/* listdir: opendir/readdir/rewinddir/closedir.
 *
 * usage: listdir DIR...
 * Prints every entry (sorted by name, since readdir order is the file
 * system's business) with its type from d_type (or lstat when d_type is
 * DT_UNKNOWN), and checks that a rewinddir pass sees the same count. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ent {
	char name[256];
	char type;
};

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static char type_of(const char *dir, const struct dirent *d)
{
	switch (d->d_type) {
	case DT_REG:
		return 'f';
	case DT_DIR:
		return 'd';
	case DT_LNK:
		return 'l';
	case DT_CHR:
		return 'c';
	case DT_BLK:
		return 'b';
	case DT_FIFO:
		return 'p';
	case DT_SOCK:
		return 's';
	default:
		break;
	}
	char path[600];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
	if (lstat(path, &st) != 0)
		return '?';
	if (S_ISREG(st.st_mode))
		return 'f';
	if (S_ISDIR(st.st_mode))
		return 'd';
	if (S_ISLNK(st.st_mode))
		return 'l';
	return 'o';
}

int main(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++) {
		const char *p = argv[i];
		DIR *dir = opendir(p);
		if (!dir) {
			printf("%s: opendir: error: %s\n", p, strerror(errno));
			status = 1;
			continue;
		}
		size_t cap = 16, n = 0;
		struct ent *v = malloc(cap * sizeof *v);
		struct dirent *d;
		errno = 0;
		while ((d = readdir(dir)) != NULL) {
			if (n == cap) {
				cap *= 2;
				v = realloc(v, cap * sizeof *v);
			}
			snprintf(v[n].name, sizeof v[n].name, "%s", d->d_name);
			v[n].type = type_of(p, d);
			n++;
		}
		if (errno)
			printf("%s: readdir: error: %s\n", p, strerror(errno));
		rewinddir(dir);
		size_t again = 0;
		while (readdir(dir) != NULL)
			again++;
		closedir(dir);
		qsort(v, n, sizeof *v, cmp);
		printf("%s: %zu entries (rewinddir pass agrees: %d)\n", p, n, again == n);
		for (size_t j = 0; j < n; j++)
			printf("  %c %s\n", v[j].type, v[j].name);
		free(v);
	}
	return status;
}
