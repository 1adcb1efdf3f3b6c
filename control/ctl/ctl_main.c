/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the global options, then the command words to ctl_dispatch
 * (see ctl.h for the contract).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "aw_build_config.h"
#include "ctl.h"

/* Parses the options; returns -1 to go on, else an exit code. */
static int
parse_opts(int argc, char **argv, struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"mapd", required_argument, NULL, 'm'},
		{"agent", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"stats", no_argument, NULL, 'S'},
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		AW_TLS_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	long long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:m:a:jt:i:c:hV", longopts, NULL)) != -1) {
		if (aw_tls_opt(&o->tls, c, optarg))
			continue;
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'm': o->mapd = optarg; o->mapd_given = true; break;
		case 'a': o->agent = optarg; break;
		case 'j': o->json = true; break;
		case 't':
			if (ctl_parse_int(optarg, "--timeout", 1, 3600000, &v) != CTL_OK)
				return CTL_USAGE;
			o->timeout_ms = (int)v;
			break;
		case 'S': o->stats = true; break;
		case 'i':
			if (ctl_parse_int(optarg, "-i", 1, 3600, &v) != CTL_OK)
				return CTL_USAGE;
			o->interval_s = (int)v;
			break;
		case 'c':
			if (ctl_parse_int(optarg, "-c", 1, 1000000000, &v) != CTL_OK)
				return CTL_USAGE;
			o->count = v;
			break;
		case 'h': ctl_help(stdout); return CTL_OK;
		case 'V': printf(CTL_PROG " %s\n", AW_VERSION); return CTL_OK;
		case ':':
			return ctl_usage_error("option %s needs a value", argv[optind - 1]);
		default:
			return ctl_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o->count > 0 && o->interval_s == 0)
		return ctl_usage_error("-c needs -i SECONDS");
	return -1;
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = {
		.socket = CTL_DEFAULT_SOCKET,
		.mapd = CTL_DEFAULT_MAPD,
		.agent = CTL_DEFAULT_AGENT,
		.timeout_ms = CTL_DEFAULT_TIMEOUT_MS,
	};
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return ctl_usage_error("no command given");
	signal(SIGPIPE, SIG_IGN); /* a peer that goes away is a write error */
	argc -= optind;
	argv += optind;
	rc = ctl_dispatch(&o, argc, argv);
	fflush(stdout);
	return rc;
}
