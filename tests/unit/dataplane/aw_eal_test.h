/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL for unit tests of data-plane tables: one lcore, no hugepages, no PCI,
 * a file prefix of its own, so tests run anywhere and in parallel; no shared
 * config (--no-shconf), and the then empty runtime folder under
 * /var/run/dpdk removed at exit, so tests leave nothing behind. */
#ifndef AW_EAL_TEST_H
#define AW_EAL_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include <unistd.h>

#include <rte_eal.h>

static inline void
aw_test_eal_rmdir(void)
{
	rmdir(rte_eal_get_runtime_dir()); /* empty with --no-shconf */
}

static inline void
aw_test_eal_init(void)
{
	static char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=awut%d", (int)getpid());
	char *argv[] = {"test", "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", prefix,
			"--no-telemetry", "--log-level=error", NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		exit(77); /* meson: skipped */
	}
	atexit(aw_test_eal_rmdir);
}

#endif
