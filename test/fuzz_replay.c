/*
 * fuzz_replay.c - main() for the replay build of a fuzz target: runs every
 * file of the target's corpus (seeds and the regression inputs of crashes
 * found and fixed) through LLVMFuzzerTestOneInput once, so that `make test`
 * checks them with any compiler and without libFuzzer.
 *
 * Usage: fuzz_NAME [FILE|DIR]...; with no argument, FUZZ_CORPUS (the
 * target's test/corpus/NAME, set by mk/test.mk). A crash, a sanitizer
 * report or an abort() of the target ends the program without its summary
 * line, which test/run.sh counts as a failure; the file being replayed is
 * named first on stderr by the signal handler.
 */
#include "test/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS must name the target's corpus directory"
#endif

/* Optional in a target, as in libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static char current[4096];

static void on_fatal(int sig)
{
	static const char msg[] = "fuzz replay: died while replaying ";

	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, current, strlen(current));
	(void)!write(2, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* exactly len bytes on the heap: a read past the input is caught by ASan */
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read it\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Every file of dir, in name order; the count replayed, or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, skip_entry, alphasort);
	long done = 0;

	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (done >= 0 && replay_file(path) == 0)
			done++;
		else
			done = -1;
		free(list[i]);
	}
	free(list);
	return done;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char *def[] = { (char *)FUZZ_CORPUS };
	char **paths = argc > 1 ? argv + 1 : def;
	int npaths = argc > 1 ? argc - 1 : 1;
	long total = 0;
	bool bad = false;

	signal(SIGABRT, on_fatal);
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		long n;

		if (stat(paths[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", paths[i], strerror(errno));
			bad = true;
			continue;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(paths[i]) : replay_file(paths[i]) == 0 ? 1 : -1;
		if (n < 0)
			bad = true;
		else
			total += n;
	}
	if (total == 0) {
		fprintf(stderr, "%s: no input found (a corpus directory must hold at least one)\n",
			name);
		bad = true;
	}
	if (!bad)
		printf("%s: all %ld inputs replayed\n", name, total);
	printf("%s: %d passed, %d failed\n", name, bad ? 0 : 1, bad ? 1 : 0);
	return bad ? 1 : 0;
}
