/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_opts — parsing and validation of anyway-bench's options (see ab_opts.h).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aw_err.h"
#include "ab_opts.h"

enum {
	O_SCENARIO = 256, O_FLOWS, O_PKT_SIZE, O_BURST, O_DURATION, O_PACKETS, O_RATE, O_PERIOD,
	O_LINK_WAIT, O_DRAIN, O_DP_API, O_TEMPLATES, O_DP_CONFIG, O_IN_PROCESS, O_TX_PORT,
	O_SEED, O_SUITE, O_WARMUP, O_CHECK, O_HELP,
};

static const struct option long_opts[] = {
	{"scenario", required_argument, NULL, O_SCENARIO},
	{"flows", required_argument, NULL, O_FLOWS},
	{"pkt-size", required_argument, NULL, O_PKT_SIZE},
	{"burst", required_argument, NULL, O_BURST},
	{"duration", required_argument, NULL, O_DURATION},
	{"packets", required_argument, NULL, O_PACKETS},
	{"rate", required_argument, NULL, O_RATE},
	{"period", required_argument, NULL, O_PERIOD},
	{"link-wait", required_argument, NULL, O_LINK_WAIT},
	{"drain", required_argument, NULL, O_DRAIN},
	{"dp-api", required_argument, NULL, O_DP_API},
	{"templates", required_argument, NULL, O_TEMPLATES},
	{"dp-config", required_argument, NULL, O_DP_CONFIG},
	{"in-process", no_argument, NULL, O_IN_PROCESS},
	{"tx-port", required_argument, NULL, O_TX_PORT},
	{"seed", required_argument, NULL, O_SEED},
	{"suite", required_argument, NULL, O_SUITE},
	{"warmup", required_argument, NULL, O_WARMUP},
	{"check", no_argument, NULL, O_CHECK},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

void
ab_opts_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- --scenario NAME [options]\n"
		"       %s --help | --version\n\n"
		"testpmd-style traffic generator and sink for anyway-dataplane (bench/README.md).\n"
		"  --scenario NAME   plain, pipeline, asrs-established, asrs-new, asrs-redirect,\n"
		"                    trs-capsule, trs-signaling, gateway-in, gateway-out, mixed\n"
		"  --flows N         distinct flows, 1..%u (default 64)\n"
		"  --pkt-size B      frame length without FCS, 60..%u (default 64); gateway-*:\n"
		"                    the inner frame (Ethernet + inner IP packet)\n"
		"  --burst N         packets per burst, 1..%u (default 32)\n"
		"  --duration S      seconds of traffic, 0.1..86400 (default 5)\n"
		"  --packets N       stop after N generated packets instead (1..2^48)\n"
		"  --rate PPS        offered packets per second, 0 = as fast as possible (default 0)\n"
		"  --period S        periodic stats every S seconds, 0 = none (default 1)\n"
		"  --link-wait S     wait up to S seconds for every port's link (default 10)\n"
		"  --drain S         collect in-flight packets for S seconds after TX stops (default 0.2)\n"
		"  --dp-api SOCKET   data plane JSON API: its drops by reason in the summary\n"
		"  --templates DIR   directory holding <scenario>.pcap (default: next to the binary)\n"
		"  --in-process      run the data plane's burst functions in this process\n"
		"  --dp-config FILE  data plane config for --in-process (required there)\n"
		"  --tx-port ID      port the generator sends on (default 0)\n"
		"  --seed N          seed of the random flow order (default 1)\n"
		"  --suite 1|2       TRS cipher suite the paths use (trs-signaling, gateway-*;\n"
		"                    default 1)\n"
		"  --warmup N        asrs-new in process: the first N of --packets open their\n"
		"                    sessions untimed (default min(8192, --packets / 4))\n"
		"  --check           validate options, scenario and template, then exit\n",
		prog, prog, AB_MAX_FLOWS, AB_MAX_PKT_SIZE, AB_MAX_BURST);
}

/* Unsigned integer in [lo, hi], whole string, decimal. */
static int
parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
	  size_t errlen)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] == '\0' || s[0] == '-' || s[0] == '+')
		return aw_errf(err, errlen, "--%s: expected an integer %llu..%llu, got '%s'", opt,
			    (unsigned long long)lo, (unsigned long long)hi, s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < lo || v > hi)
		return aw_errf(err, errlen, "--%s: expected an integer %llu..%llu, got '%s'", opt,
			    (unsigned long long)lo, (unsigned long long)hi, s);
	*out = v;
	return 0;
}

static int
parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out, char *err,
	  size_t errlen)
{
	uint64_t v;
	if (parse_u64(opt, s, lo, hi, &v, err, errlen) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Seconds as a decimal number in [lo, hi]. */
static int
parse_secs(const char *opt, const char *s, double lo, double hi, double *out, char *err,
	   size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < lo || v > hi)
		return aw_errf(err, errlen, "--%s: expected seconds %g..%g, got '%s'", opt, lo, hi, s);
	*out = v;
	return 0;
}

static void
defaults(struct ab_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->flows = 64;
	o->pkt_size = 64;
	o->burst = 32;
	o->duration_s = 5;
	o->period_s = 1;
	o->link_wait_s = 10;
	o->drain_s = 0.2;
	o->seed = 1;
	o->suite = 1;
}

/* One option; -1 with err set on a bad value. */
static int
one(struct ab_opts *o, int c, const char *a, char *err, size_t errlen)
{
	switch (c) {
	case O_SCENARIO: o->scenario = a; return 0;
	case O_FLOWS: return parse_u32("flows", a, 1, AB_MAX_FLOWS, &o->flows, err, errlen);
	case O_PKT_SIZE:
		return parse_u32("pkt-size", a, 60, AB_MAX_PKT_SIZE, &o->pkt_size, err, errlen);
	case O_BURST: return parse_u32("burst", a, 1, AB_MAX_BURST, &o->burst, err, errlen);
	case O_DURATION: return parse_secs("duration", a, 0.1, 86400, &o->duration_s, err, errlen);
	case O_PACKETS:
		return parse_u64("packets", a, 1, 1ull << 48, &o->packets, err, errlen);
	case O_RATE:
		return parse_u64("rate", a, 0, 1000000000ull, &o->rate_pps, err, errlen);
	case O_PERIOD: return parse_secs("period", a, 0, 3600, &o->period_s, err, errlen);
	case O_LINK_WAIT: return parse_secs("link-wait", a, 0, 600, &o->link_wait_s, err, errlen);
	case O_DRAIN: return parse_secs("drain", a, 0, 60, &o->drain_s, err, errlen);
	case O_DP_API: o->dp_api = a; return 0;
	case O_TEMPLATES: o->templates = a; return 0;
	case O_DP_CONFIG: o->dp_config = a; return 0;
	case O_IN_PROCESS: o->in_process = true; return 0;
	case O_CHECK: o->check_only = true; return 0;
	case O_TX_PORT: return parse_u32("tx-port", a, 0, 1023, &o->tx_port, err, errlen);
	case O_SEED: return parse_u64("seed", a, 0, UINT64_MAX, &o->seed, err, errlen);
	case O_SUITE: return parse_u32("suite", a, 1, 2, &o->suite, err, errlen);
	case O_WARMUP:
		o->warmup_given = true;
		return parse_u64("warmup", a, 0, 1ull << 48, &o->warmup, err, errlen);
	default: return aw_errf(err, errlen, "internal: option %d", c);
	}
}

/* Checks between options once all are known. */
static int
cross_checks(const struct ab_opts *o, char *err, size_t errlen)
{
	if (o->scenario == NULL)
		return aw_errf(err, errlen, "--scenario: required (plain, pipeline, asrs-established, "
			    "asrs-new, asrs-redirect, trs-capsule, trs-signaling, gateway-in, "
			    "gateway-out, mixed)");
	if (o->in_process && o->dp_config == NULL)
		return aw_errf(err, errlen, "--dp-config: required with --in-process");
	if (!o->in_process && o->dp_config != NULL)
		return aw_errf(err, errlen, "--dp-config: only with --in-process (through ports the "
			    "data plane is another process)");
	if (o->in_process && o->rate_pps != 0)
		return aw_errf(err, errlen, "--rate: not with --in-process (it runs as fast as the "
			    "data plane goes)");
	if (o->in_process && o->dp_api != NULL)
		return aw_errf(err, errlen, "--dp-api: not with --in-process (the counters are read "
			    "in process)");
	if (!o->in_process && o->warmup_given)
		return aw_errf(err, errlen, "--warmup: only with --in-process (through ports a run "
			    "is timed from its first packet)");
	if (o->dp_api != NULL && strlen(o->dp_api) >= 108)
		return aw_errf(err, errlen, "--dp-api: socket path longer than 107 bytes");
	return 0;
}

int
ab_opts_parse(struct ab_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	int c;

	defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		if (c == O_HELP)
			return 1;
		if (c == '?')
			return aw_errf(err, errlen, "%s: unknown option", argv[optind - 1]);
		if (c == ':')
			return aw_errf(err, errlen, "%s: expected a value", argv[optind - 1]);
		if (one(o, c, optarg, err, errlen) < 0)
			return -1;
	}
	if (optind < argc)
		return aw_errf(err, errlen, "%s: unexpected argument", argv[optind]);
	return cross_checks(o, err, errlen);
}
