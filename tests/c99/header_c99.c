/* Compiled with -std=c99 -pedantic -Werror: the public header must be plain C99. */
#include <beyla/beyla.h>

int main(void) {
	struct beyla_caps_opts opts = BEYLA_OPTS_INIT(beyla_caps_opts);
	struct beyla_caps *caps;
	opts.no_mount_tracefs = true;
	caps = beyla_caps_probe(&opts);
	beyla_caps_free(caps);
	{
		struct beyla_metrics_opts mopts = BEYLA_OPTS_INIT(beyla_metrics_opts);
		struct beyla_metric_point pt = BEYLA_OPTS_INIT(beyla_metric_point);
		(void)mopts;
		(void)pt;
	}
	return 0;
}
