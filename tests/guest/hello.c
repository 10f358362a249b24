/* hello: argv and FRISCY_TEST* environment.
 *
 * Prints argc, every argv element in brackets, and the environment variables
 * whose names start with FRISCY_TEST, sorted by strcmp (runners and qemu do
 * not agree on envp order, so the order is made stable here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
	printf("hello, world\n");
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
	printf("argv[argc] is NULL: %d\n", argv[argc] == NULL);

	size_t n = 0;
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "FRISCY_TEST", 11) == 0)
			n++;
	char **vars = malloc((n + 1) * sizeof *vars);
	if (!vars)
		return 99;
	size_t k = 0;
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "FRISCY_TEST", 11) == 0)
			vars[k++] = *e;
	qsort(vars, n, sizeof *vars, cmp);
	printf("FRISCY_TEST* variables: %zu\n", n);
	for (size_t i = 0; i < n; i++)
		printf("env: [%s]\n", vars[i]);
	free(vars);

	const char *g = getenv("FRISCY_TEST_GREETING");
	printf("getenv(FRISCY_TEST_GREETING)=%s%s%s\n", g ? "[" : "", g ? g : "(null)", g ? "]" : "");
	printf("envp == environ: %d\n", envp == environ);
	return 0;
}
