/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-bench: EAL options, then the bench's own (ab_opts.h); loads the
 * scenario's traffic template and runs it through ports or in process.
 * Exit codes: 0 traffic ran, 1 runtime failure, 2 usage, option or
 * scenario error (including a scenario this build cannot run, and in
 * process a config whose tables cannot hold --flows), 3 traffic ran but the
 * run is INVALID (the data plane dropped packets for a reason other than
 * tx_full: bench/README.md "Valid runs"), 128 + N when signal N (SIGINT,
 * SIGTERM) stopped the run (its numbers, if printed, are partial). Every
 * phase is bounded and signals end every phase (ab_watch.h).
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "ab_opts.h"
#include "ab_run.h"
#include "ab_scen.h"
#include "ab_tmpl.h"
#include "ab_traffic.h"
#include "ab_watch.h"
#include "aw_build_config.h"

#define PROG "anyway-bench"

#define EAL_INIT_BOUND_S 300  /* a loaded machine, valgrind (callgrind.sh): generous */
#define SHUTDOWN_BOUND_S 30

static volatile bool stop;

/* --help / --version without EAL. 0 when one was handled. */
static int
early(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ab_opts_usage(stdout, PROG);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", PROG, AW_VERSION);
			return 0;
		}
	}
	return -1;
}

/* Options and scenario, checked before EAL starts. 0 or 2. */
static int
check_args(struct ab_opts *o, int argc, char **argv, const struct ab_scen **s)
{
	char err[512];
	int rc = ab_opts_parse(o, argc, argv, err, sizeof(err));

	if (rc == 1) {
		ab_opts_usage(stdout, PROG);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 2;
	}
	*s = ab_scen_find(o->scenario);
	if (*s == NULL) {
		fprintf(stderr, "%s: --scenario: expected one of %s, got '%s'\n", PROG,
			ab_scen_names(), o->scenario);
		return 2;
	}
	if ((*s)->missing != NULL) {
		fprintf(stderr, "%s: --scenario %s: %s\n", PROG, (*s)->name, (*s)->missing);
		return 2;
	}
	return 0;
}

/* <templates dir>/<scenario><suffix>; default dir: "templates" next to the binary. */
static void
template_path(const struct ab_opts *o, const char *suffix, char *out, size_t len)
{
	char buf[PATH_MAX];

	if (o->templates != NULL) {
		snprintf(out, len, "%s/%s%s", o->templates, o->scenario, suffix);
		return;
	}
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(out, len, "%s/templates/%s%s", dirname(buf), o->scenario, suffix);
}

/* Template and setup frames, and the checks between them and the options. */
static int
load_input(const struct ab_opts *o, const struct ab_scen *s, struct ab_input *in)
{
	char tpath[PATH_MAX + 64], path[PATH_MAX + 64], err[512];

	in->tail_gap = s->sign ? 16 : 0; /* the TRS tag after the stamp */
	template_path(o, ".pcap", tpath, sizeof(tpath));
	if (ab_tmpl_load(&in->t, tpath, o->pkt_size, AB_STAMP_LEN + in->tail_gap, s->trs_port,
			 err, sizeof(err)) < 0)
		goto bad;
	if (s->setup) {
		template_path(o, ".bind.pcap", path, sizeof(path));
		if (ab_bind_init(&in->bind, &in->t, path, o->flows, o->suite, err,
				 sizeof(err)) < 0)
			goto bad;
	}
	if (s->gw) {
		template_path(o, ".outer.pcap", path, sizeof(path));
		if (ab_gw_init(&in->gw, s->gw == AB_GW_IN, &in->t, path, o->flows, o->suite,
			       &in->setup[0], err, sizeof(err)) < 0)
			goto bad;
	}
	if (s->new_per_packet && (o->packets == 0 || o->packets > o->flows)) {
		snprintf(err, sizeof(err), "--packets: scenario %s opens a session per packet: "
			 "give --packets N with N <= --flows (%u)", s->name, o->flows);
		goto bad;
	}
	if (o->warmup_given && !s->new_per_packet) {
		snprintf(err, sizeof(err), "--warmup: scenario %s warms up on its own (one untimed "
			 "pass over --flows); --warmup is for asrs-new", s->name);
		goto bad;
	}
	if (o->warmup_given && o->warmup >= o->packets) {
		snprintf(err, sizeof(err), "--warmup: %" PRIu64 " untimed packets leave none of "
			 "--packets (%" PRIu64 ") to time: give N < --packets", o->warmup,
			 o->packets);
		goto bad;
	}
	if (s->sign && !o->check_only &&
	    ab_signer_init(&in->signer, o->flows, o->suite, err, sizeof(err)) < 0)
		goto bad;
	printf("%s: scenario %s, template %s: ok\n", PROG, s->name, tpath);
	return 0;
bad:
	fprintf(stderr, "%s: %s\n", PROG, err);
	return 2;
}

/* The app's part of argv: what follows "--", or nothing. */
static int
app_argv(int argc, char **argv, char ***out)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = argv[0];
			*out = argv + i;
			return argc - i;
		}
	*out = argv;
	return 1;
}

int
main(int argc, char **argv)
{
	static struct ab_opts o;
	static struct ab_input in;
	const struct ab_scen *s = NULL;
	char **aargv;
	int aargc, rc;

	aargc = app_argv(argc, argv, &aargv);
	if (early(aargc, aargv) == 0 || (aargc == 1 && early(argc, argv) == 0))
		return 0;
	rc = check_args(&o, aargc, aargv, &s);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (ab_watch_start(&stop) < 0) {
		fprintf(stderr, "%s: cannot start the watchdog thread\n", PROG);
		return 1;
	}
	ab_watch_phase("loading the templates", 0);
	rc = load_input(&o, s, &in);
	if (rc != 0 || o.check_only || stop)
		goto out;
	fflush(stdout);
	ab_watch_phase("EAL initialisation", EAL_INIT_BOUND_S);
	if (rte_eal_init(argc - aargc, argv) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", PROG,
			rte_strerror(rte_errno));
		rc = 2;
		goto out;
	}
	rc = o.in_process ? ab_run_in_process(&o, s, &in, &stop)
			  : ab_run_ports(&o, s, &in, &stop);
	ab_watch_phase("EAL cleanup", SHUTDOWN_BOUND_S);
	rte_eal_cleanup();
out:
	ab_signer_free(&in.signer);
	ab_gw_free(&in.gw);
	ab_bind_free(&in.bind);
	ab_raw_free(&in.setup[0]);
	ab_raw_free(&in.setup[1]);
	if (ab_watch_signal() != 0) {
		fprintf(stderr, "%s: stopped by signal %d (received during %s)%s\n", PROG,
			ab_watch_signal(), ab_watch_signal_phase(),
			rc == 0 || rc == 3 ? ": the numbers above are partial" : "");
		return 128 + ab_watch_signal();
	}
	return rc;
}
