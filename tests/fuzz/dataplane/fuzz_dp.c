/* SPDX-License-Identifier: BSD-3-Clause */
#include "fuzz_dp.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>

void
fuzz_dp_start(const char *tag, const char *config_json, struct aw_config *cfg,
	      struct aw_dp *dp)
{
	char prefix[64], path[64], err[512];

	snprintf(prefix, sizeof(prefix), "--file-prefix=awf%s%d", tag, (int)getpid());
	snprintf(path, sizeof(path), "/tmp/awf%s%d.json", tag, (int)getpid());
	char *argv[] = {"fuzz", "-l", "0", "--no-huge", "-m", "256", "--no-pci", prefix,
			"--vdev=net_null0", "--vdev=net_null1", "--no-telemetry",
			"--log-level=error", NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		exit(77);
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(config_json, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fuzz setup: cannot write %s\n", path);
		exit(1);
	}
	int rc = aw_config_load(path, cfg, err, sizeof(err));
	unlink(path);
	if (rc < 0 || aw_dp_init(dp, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		exit(1);
	}
}
