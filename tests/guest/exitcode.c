/* exitcode: exit with the status given in argv[1].
 *
 * usage: exitcode STATUS [exit|_exit|return]   (default: exit)
 * Prints one line first (flushed, so _exit loses nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: exitcode STATUS [exit|_exit|return]\n");
		return 2;
	}
	int status = atoi(argv[1]);
	const char *how = argc > 2 ? argv[2] : "exit";
	printf("exitcode: status %d via %s\n", status, how);
	fflush(stdout);
	if (strcmp(how, "_exit") == 0)
		_exit(status);
	if (strcmp(how, "return") == 0)
		return status;
	exit(status);
}
