/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-mapd — the service map server (SPEC §7.1): command line, signals,
 * and the event loop. One thread; everything else is in mapd_*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aw_build_config.h"
#include "aw_log.h"
#include "aw_net.h"
#include "aw_sdnotify.h"
#include "mapd.h"
#include "mapd_audit.h"

#define PROG "anyway-mapd"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--listen HOST:PORT ...] [--subscriber-queue BYTES]\n"
		"                   [--max-clients N] [--max-per-source N] [--hello-timeout-s S]\n"
		"                   [--idle-timeout-s S] [--input-budget BYTES]\n"
		"                   [--output-budget BYTES] [--metrics HOST:PORT]\n"
		"                   (--ca FILE --cert FILE --key FILE | --insecure)\n"
		"                   [--acl FILE] [--audit-log FILE] [--log-level LEVEL]\n"
		"                   [--help] [--version]\n"
		"Service map server: takes registrations (soft state with a TTL) and relay\n"
		"entries, pushes a snapshot then versioned changes to subscribers.\n"
		"  --listen HOST:PORT     listen address, IPv4, [IPv6] or name (repeatable;\n"
		"                         default 127.0.0.1:7810)\n"
		"  --subscriber-queue B   bytes of pushes queued for one subscriber (beyond\n"
		"                         its snapshot) before it is disconnected as too\n"
		"                         far behind (default 64 MiB)\n"
		"  --max-clients N        connections at once (default 4096)\n"
		"  --max-per-source N     connections at once from one address (default 64)\n"
		"  --hello-timeout-s S    close a connection that sends no hello within S\n"
		"                         seconds (default 10)\n"
		"  --idle-timeout-s S     after hello, close a connection that sends no line\n"
		"                         for S seconds, or for its longest registered ttl if\n"
		"                         longer (default 60; subscribers answer pings)\n"
		"  --input-budget B       bytes of input buffers, all connections together;\n"
		"                         past it the oldest partial line is dropped\n"
		"                         (default 64 MiB)\n"
		"  --output-budget B      bytes of queued output, all connections together;\n"
		"                         past it the largest queue is dropped (default 256 MiB)\n"
		"  --metrics HOST:PORT    serve OpenMetrics text at http://HOST:PORT/metrics\n"
		"                         (default: off)\n"
		"  --acl FILE             which identity may do what (control/ACL.md);\n"
		"                         re-read on SIGHUP (default: none, all allowed)\n"
		"  --audit-log FILE       append one line per pushed change (reopened on\n"
		"                         SIGHUP; default: the normal log, stderr)\n"
		AW_LOG_USAGE
		AW_TLS_USAGE
		"SIGHUP re-reads --ca/--cert/--key for new connections (a bad set keeps the\n"
		"old one), re-reads --acl (all or nothing) and reopens --audit-log.\n");
}

static int
parse_size(const char *opt, const char *s, unsigned long long min, unsigned long long max,
	   unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || *out < min || *out > max) {
		fprintf(stderr, PROG ": %s: expected an integer %llu..%llu, got '%s'\n", opt, min,
			max, s);
		return -1;
	}
	return 0;
}

struct mapd_files {
	const char *acl, *audit;
};

static int
parse_args(int argc, char **argv, struct mapd *md, const char **listen, int *n_listen,
	   const char **metrics, struct aw_tls_opts *tls, struct mapd_files *files)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"subscriber-queue", required_argument, NULL, 'q'},
		{"max-clients", required_argument, NULL, 'm'},
		{"hello-timeout-s", required_argument, NULL, 't'},
		{"max-per-source", required_argument, NULL, 's'},
		{"idle-timeout-s", required_argument, NULL, 'i'},
		{"input-budget", required_argument, NULL, 'I'},
		{"output-budget", required_argument, NULL, 'O'},
		{"metrics", required_argument, NULL, 'M'},
		AW_TLS_LONGOPTS,
		{"acl", required_argument, NULL, 'A'},
		{"audit-log", required_argument, NULL, 'U'},
		{"log-level", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int c;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (aw_tls_opt(tls, c, optarg))
			continue;
		switch (c) {
		case 'l':
			if (*n_listen >= MAPD_MAX_LISTEN) {
				fprintf(stderr, PROG ": --listen: at most %d\n", MAPD_MAX_LISTEN);
				return 2;
			}
			listen[(*n_listen)++] = optarg;
			break;
		case 'q':
			if (parse_size("--subscriber-queue", optarg, 4096, 1ull << 34, &v) < 0)
				return 2;
			md->sub_queue_max = v;
			break;
		case 'm':
			if (parse_size("--max-clients", optarg, 1, 1000000, &v) < 0)
				return 2;
			md->max_clients = (unsigned)v;
			break;
		case 't':
			if (parse_size("--hello-timeout-s", optarg, 1, 3600, &v) < 0)
				return 2;
			md->hello_timeout_ms = v * 1000u;
			break;
		case 's':
			if (parse_size("--max-per-source", optarg, 1, 1000000, &v) < 0)
				return 2;
			md->max_per_source = (unsigned)v;
			break;
		case 'i':
			/* at least two ping periods: subscribers answer pings */
			if (parse_size("--idle-timeout-s", optarg, 2 * MAPD_PING_MS / 1000, 86400, &v) < 0)
				return 2;
			md->idle_timeout_ms = v * 1000u;
			break;
		case 'I':
		case 'O':
			if (parse_size(c == 'I' ? "--input-budget" : "--output-budget", optarg,
				       1u << 20, 1ull << 40, &v) < 0)
				return 2;
			*(c == 'I' ? &md->in_budget : &md->out_budget) = (size_t)v;
			break;
		case 'L':
			if (aw_log_option(PROG, optarg) < 0)
				return 2;
			break;
		case 'M':
			if (aw_hostport_option(PROG, "--metrics", optarg) < 0)
				return 2;
			*metrics = optarg;
			break;
		case 'A':
			files->acl = optarg;
			break;
		case 'U':
			files->audit = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", AW_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* SIGHUP: the place to re-read what may change live: the TLS files (for new
 * connections; a bad set keeps the old one), the ACL (all or nothing), the
 * audit log (reopened). Registrations are state, the other options are fixed
 * at start. */
static void
on_hup(void *arg)
{
	struct mapd *md = arg;
	char err[512];
	bool tls = false;

	if (md->tls != NULL) {
		tls = true;
		if (aw_tls_reload(md->tls, err, sizeof(err)) < 0)
			aw_log(AW_LOG_ERR, "SIGHUP: TLS files not reloaded, the old ones stay: %s", err);
		else
			aw_log(AW_LOG_NOTICE, "SIGHUP: TLS certificate, key and CA reloaded");
	}
	bool acl = mapd_acl_reload(arg);

	if (!mapd_audit_reopen() && !acl && !tls)
		aw_log(AW_LOG_NOTICE, "SIGHUP: nothing to reload (--insecure, no --acl, no --audit-log)");
}

int
main(int argc, char **argv)
{
	static struct mapd md;
	const char *listen[MAPD_MAX_LISTEN], *metrics = NULL;
	struct mapd_files files = {0};
	int n_listen = 0, rc;
	char err[1024];
	struct aw_handler sh;
	struct aw_tls_opts tls = {0};

	aw_log_init(PROG);
	if (mapd_init(&md) < 0) {
		fprintf(stderr, PROG ": epoll: %s\n", strerror(errno));
		return 1;
	}
	rc = parse_args(argc, argv, &md, listen, &n_listen, &metrics, &tls, &files);
	if (rc >= 0)
		return rc;
	if (aw_tls_setup(PROG, &tls, true, &md.tls) < 0)
		return 2;
	if (mapd_acl_start(&md, files.acl, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": --acl %s\n", err);
		return 2;
	}
	if (mapd_audit_open(files.audit, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": --audit-log %s\n", err);
		return 2;
	}
	if (n_listen == 0)
		listen[n_listen++] = "127.0.0.1:7810";
	aw_loop_on_hup(&md.loop, on_hup, &md);
	if (aw_loop_watch_signals(&md.loop, &sh) < 0) {
		aw_log(AW_LOG_ERR, "signalfd: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < n_listen; i++)
		if (mapd_listen(&md, listen[i], err, sizeof(err)) < 0) {
			aw_log(AW_LOG_ERR, "--listen %s", err);
			return strstr(err, "expected") || strstr(err, "not a numeric") ||
					       strstr(err, "cannot resolve")
				       ? 2
				       : 1;
		}
	if (metrics && mapd_metrics_open(&md, metrics, err, sizeof(err)) < 0) {
		aw_log(AW_LOG_ERR, "--metrics %s", err);
		return 1; /* the address was checked with the options: cannot listen */
	}
	for (int i = 0; i < n_listen; i++)
		aw_log(AW_LOG_NOTICE, "listening on %s (%s)", listen[i],
		       md.tls ? "TLS 1.3, mutual authentication" : "plain TCP: insecure");
	aw_sd_notify("READY=1");
	while (!md.loop.stop) {
		int t = mapd_tick(&md, aw_now_ms());
		mapd_audit_flush(); /* this round's changes and expiries */
		if (aw_loop_run_once(&md.loop, t > 1000 ? 1000 : t) < 0) {
			aw_log(AW_LOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
	}
	aw_log(AW_LOG_NOTICE, "stopping");
	aw_sd_notify("STOPPING=1");
	aw_loop_kill(&md.loop, &sh);
	mapd_metrics_close();
	mapd_fini(&md);
	mapd_acl_stop(&md);
	mapd_audit_close();
	return 0;
}
