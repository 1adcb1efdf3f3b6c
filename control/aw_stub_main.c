/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line front of a control binary whose daemon is not written yet
 * (issue: control plane). It honours --help and --version and refuses to run,
 * so nobody mistakes it for the real thing.
 */
#include <stdio.h>
#include <string.h>

#include "aw_build_config.h"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s [--help] [--version]\n%s\n(not implemented yet)\n",
			       AW_PROG, AW_PROG_SUMMARY);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", AW_PROG, AW_VERSION);
			return 0;
		}
	}
	fprintf(stderr, "%s: not implemented yet (see --help)\n", AW_PROG);
	return 1;
}
