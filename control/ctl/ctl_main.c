/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: command line, usage, dispatch (see ctl.h for the contract).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_build_config.h"
#include "ctl.h"

static const char usage_text[] =
	"usage: " CTL_PROG " [OPTIONS] COMMAND [ARGS...]\n"
	"Operator CLI for anyway-dataplane, anyway-mapd and anyway-agent.\n"
	"\n"
	"Options (anywhere on the line):\n"
	"  -s, --socket PATH    data plane API socket (default " CTL_DEFAULT_SOCKET ")\n"
	"  -m, --mapd HOST:PORT map server (default " CTL_DEFAULT_MAPD "); also makes\n"
	"                       'services' and 'relay add/del' go to the map server\n"
	"  -a, --agent PATH     agent status socket (default " CTL_DEFAULT_AGENT ")\n"
	"  -j, --json           print the raw JSON reply lines instead of tables\n"
	"  -t, --timeout MS     connect / reply timeout in milliseconds (default 5000)\n"
	"  -h, --help           this text;  -V, --version  the version\n"
	"\n"
	"Data plane (--socket):\n"
	"  ping | stats | config\n"
	"  vips | vip list | vip add ADDR [aarp] | vip del ADDR\n"
	"  listeners | listener add VIP tcp|udp PORT SERVICE | listener del VIP tcp|udp PORT\n"
	"  services | service set URI [dest ADDR:PORT [priority N] [weight W]]... |\n"
	"      service del URI\n"
	"  sessions [limit N]                       (default limit 1000)\n"
	"  relays [limit N] | relay get PATH_ID |\n"
	"      relay add PATH_ID TUNNEL_KEY [suite 1|2] [idle S] [bind S] | relay del PATH_ID\n"
	"Map server (--mapd):\n"
	"  services | service get URI | subscribers | relay add ... | relay del PATH_ID\n"
	"  register URI ADDR PORT [priority N] [weight W] [ttl S]   (defaults 0, 100, 30)\n"
	"  deregister URI ADDR PORT\n"
	"Agent (--agent):\n"
	"  status\n"
	"\n"
	"Exit codes: 0 ok, 1 connection or API error, 2 usage error.\n";

int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, CTL_PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see " CTL_PROG " --help)\n");
	return CTL_USAGE;
}

int
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, CTL_PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return CTL_ERR;
}

int
ctl_parse_int(const char *s, const char *what, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return ctl_usage_error("%s: expected an integer %lld..%lld, got '%s'", what, min,
				       max, s);
	*out = v;
	return CTL_OK;
}

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
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	long long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:m:a:jt:hV", longopts, NULL)) != -1) {
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
		case 'h': fputs(usage_text, stdout); return CTL_OK;
		case 'V': printf(CTL_PROG " %s\n", AW_VERSION); return CTL_OK;
		case ':':
			return ctl_usage_error("option %s needs a value", argv[optind - 1]);
		default:
			return ctl_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
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
	bool handled;
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return ctl_usage_error("no command given");
	signal(SIGPIPE, SIG_IGN); /* a peer that goes away is a write error */
	argc -= optind;
	argv += optind;
	rc = ctl_cmd_mapd(&o, argc, argv, &handled);
	if (!handled)
		rc = ctl_cmd_dataplane(&o, argc, argv, &handled);
	if (!handled)
		return ctl_usage_error("unknown command '%s'", argv[0]);
	fflush(stdout);
	return rc;
}
