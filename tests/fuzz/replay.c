/* Runs fuzz_session's entry on files, without libFuzzer: the seed corpus
 * and every input the fuzzer ever crashed on (tests/fuzz/regressions/)
 * replay in the plain test suite, under the sanitizers in CI. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	uint8_t buf[1 << 16];
	size_t  n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int
main(int argc, char **argv)
{
	int files = 0, rc = 0;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		if (d == NULL) {
			rc |= replay_file(argv[i]);
			files++;
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.'
			    || strcmp(e->d_name, "README.md") == 0) {
				continue;
			}
			char path[4096];
			snprintf(
			    path, sizeof(path), "%s/%s", argv[i], e->d_name);
			rc |= replay_file(path);
			files++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return rc != 0 || files == 0;
}
