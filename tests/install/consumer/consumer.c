/* A program built against an installed libbeyla (tests/install/check_install.sh): the
 * header, the library and its version, and a capability probe that only reads files. */
#include <stdio.h>
#include <string.h>

#include <beyla/beyla.h>

int main(void) {
	const char *v = beyla_version_string();
	if (!v || !*v) {
		fprintf(stderr, "no version string\n");
		return 1;
	}
	BEYLA_OPTS(beyla_caps_opts, opts, .files_only = true);
	struct beyla_caps *caps = beyla_caps_probe(&opts);
	if (!caps) {
		perror("beyla_caps_probe");
		return 1;
	}
	size_t n = beyla_caps_count(caps);
	beyla_caps_free(caps);
	if (n == 0) {
		fprintf(stderr, "the probe found no items\n");
		return 1;
	}
	printf("libbeyla %s, %zu capability items\n", v, n);
	return 0;
}
