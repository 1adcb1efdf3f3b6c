/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-agent — subscribes to map servers and applies the merged map to the
 * data plane (SPEC §7.2): command line, the loop, the order of work in each
 * round (read everything that arrived, then apply it as one batch).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "aw_sdnotify.h"
#include "aw_sockperm.h"
#include "aw_build_config.h"

#define PROG "anyway-agent"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --mapd HOST:PORT [--mapd HOST:PORT ...] [--dataplane PATH]\n"
		"                    [--status PATH] [--name NAME] [--stale-s S]\n"
		"                    [--restart-grace-s S] [--metrics HOST:PORT]\n"
		"                    (--ca FILE --cert FILE --key FILE | --insecure)\n"
		"                    [--status-group GROUP] [--log-level LEVEL]\n"
		"                    [--instance-id ID --underlay ADDR]\n"
		"                    [--bird-socket PATH --bird-protocol NAME] [--drain-timeout-s S]\n"
		"                    [--help] [--version]\n"
		"Subscribes to map servers, merges them (a destination is present while any\n"
		"has it) and applies the result to the data plane's JSON API.\n"
		"  --mapd HOST:PORT   a map server, IPv4, [IPv6] or name (repeatable, up to %d;\n"
		"                     default port 7810)\n"
		"  --dataplane PATH   data plane API socket (default /run/anyway/dataplane.sock)\n"
		"  --status PATH      this agent's status socket (default /run/anyway/agent.sock)\n"
		"  --status-group G   group of the status socket, a name or gid (mode 0660;\n"
		"                     default: the agent's own group)\n"
		"  --name NAME        name sent in hello (default anyway-agent)\n"
		"  --stale-s S        forget a lost map server's view after S seconds while\n"
		"                     another one is connected (default 30; with none\n"
		"                     connected the last state is always kept)\n"
		"  --restart-grace-s S after a map server restarted, withdraw nothing it\n"
		"                     had for S seconds after its start, while its\n"
		"                     registrars come back (default 15 = the registrars'\n"
		"                     default ttl 30 / 3 + their 5 s reconnect backoff)\n"
		"  --metrics HOST:PORT serve OpenMetrics text at http://HOST:PORT/metrics\n"
		AW_LOG_USAGE
		"                     (default: off)\n"
		"  --instance-id ID   join the cluster as member ID (SPEC 8): registered with\n"
		"                     every map server, member lists applied with cluster.set\n"
		"  --underlay ADDR    this instance's underlay address (with --instance-id)\n"
		"  --bird-socket PATH BIRD 2's control socket; with --bird-protocol NAME (a\n"
		"                     static protocol of the VIP routes) the agent enables it\n"
		"                     while healthy and disables it otherwise (SPEC 8)\n"
		"  --drain-timeout-s S drain reports drained after S s even with sessions\n"
		"                     left (default 300)\n"
		AW_TLS_USAGE,
		AGENT_MAX_MAPD);
}

static int
parse_name(const char *s, char *out, size_t n)
{
	size_t l = strlen(s);

	if (l == 0 || l >= n)
		return -1;
	for (size_t i = 0; i < l; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return -1;
	memcpy(out, s, l + 1);
	return 0;
}

static int
add_mapd(struct agent *ag, const char *s)
{
	char err[160];
	struct agent_mapd *m;

	if (ag->n_mapd >= AGENT_MAX_MAPD) {
		fprintf(stderr, PROG ": --mapd: at most %d map servers\n", AGENT_MAX_MAPD);
		return -1;
	}
	m = &ag->mapd[ag->n_mapd];
	if (aw_hostport_parse(s, 7810, &m->addr, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": --mapd %s\n", err);
		return -1;
	}
	snprintf(m->name, sizeof(m->name), "%s", s);
	agent_mapd_init(m, ag);
	ag->n_mapd++;
	return 0;
}

static struct aw_tls_opts tls_opts;

static int
parse_args(int argc, char **argv, struct agent *ag, const char **dp_path, const char **metrics)
{
	static const struct option opts[] = {
		{"mapd", required_argument, NULL, 'm'},  {"dataplane", required_argument, NULL, 'd'},
		{"status", required_argument, NULL, 's'}, {"name", required_argument, NULL, 'n'},
		{"stale-s", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
		{"restart-grace-s", required_argument, NULL, 'G'},
		{"version", no_argument, NULL, 'V'},     {"metrics", required_argument, NULL, 'M'},
		AW_TLS_LONGOPTS,
		{"status-group", required_argument, NULL, 'g'},
		{"instance-id", required_argument, NULL, 'I'},
		{"underlay", required_argument, NULL, 'U'},
		{"bird-socket", required_argument, NULL, 'B'},
		{"bird-protocol", required_argument, NULL, 'P'},
		{"drain-timeout-s", required_argument, NULL, 'D'},
		{"log-level", required_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;
	unsigned long v;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (aw_tls_opt(&tls_opts, c, optarg))
			continue;
		switch (c) {
		case 'm':
			if (add_mapd(ag, optarg) < 0)
				return 2;
			break;
		case 'd':
		case 's':
			if (strlen(optarg) >= 108) {
				fprintf(stderr, PROG ": --%s: path longer than 107 bytes\n",
					c == 'd' ? "dataplane" : "status");
				return 2;
			}
			if (c == 'd')
				*dp_path = optarg;
			else
				snprintf(ag->status_path, sizeof(ag->status_path), "%s", optarg);
			break;
		case 'n':
			if (parse_name(optarg, ag->name, sizeof(ag->name)) < 0) {
				fprintf(stderr, PROG ": --name: expected 1..255 printable characters "
						"without quotes or backslashes\n");
				return 2;
			}
			break;
		case 'S':
		case 'G':
		case 'D':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *optarg == '-' || *end || end == optarg || v > 86400) {
				fprintf(stderr, PROG ": --%s: expected an integer 0..86400, got '%s'\n",
					c == 'S' ? "stale-s" : c == 'G' ? "restart-grace-s" : "drain-timeout-s",
					optarg);
				return 2;
			}
			*(c == 'S' ? &ag->stale_ms : c == 'G' ? &ag->restart_grace_ms
							      : &ag->cluster.drain_timeout_ms) = v * 1000u;
			break;
		case 'g': {
			char why[160];
			if (aw_group_lookup(optarg, &ag->status_gid, why, sizeof(why)) < 0) {
				fprintf(stderr, PROG ": --status-group: %s\n", why);
				return 2;
			}
			ag->status_has_gid = true;
			break;
		}
		case 'I':
			if (agent_cluster_set_id(&ag->cluster, optarg) < 0)
				return 2;
			break;
		case 'U':
			if (agent_cluster_set_underlay(&ag->cluster, optarg) < 0)
				return 2;
			break;
		case 'B':
		case 'P':
			if (agent_bird_set(&ag->bird, c == 'B' ? "socket" : "protocol", optarg) < 0)
				return 2;
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
	if (agent_cluster_check(&ag->cluster) < 0 || agent_bird_check(&ag->bird) < 0)
		return 2;
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (ag->n_mapd == 0) {
		fprintf(stderr, PROG ": --mapd: at least one map server is required\n");
		return 2;
	}
	return -1;
}

static int
next_timeout(const struct agent *ag, uint64_t now)
{
	uint64_t next = now + 200;

	for (int i = 0; i < ag->n_mapd; i++)
		if (ag->mapd[i].state == MAPD_IDLE && ag->mapd[i].retry_at_ms < next)
			next = ag->mapd[i].retry_at_ms;
	if (!ag->dp.up && ag->dp.retry_at_ms < next)
		next = ag->dp.retry_at_ms;
	return next <= now ? 0 : (int)(next - now);
}

/* SIGHUP: the agent's state all comes from the map servers and the data
 * plane; what it re-reads is its TLS files, for the next connections (a bad
 * set keeps the old one). */
static void
on_hup(void *arg)
{
	const struct agent *ag = arg;
	char err[512];

	if (ag->tls == NULL)
		aw_log(AW_LOG_NOTICE, "SIGHUP: nothing to reload (--insecure)");
	else if (aw_tls_reload(ag->tls, err, sizeof(err)) < 0)
		aw_log(AW_LOG_ERR, "SIGHUP: TLS files not reloaded, the old ones stay: %s", err);
	else
		aw_log(AW_LOG_NOTICE, "SIGHUP: TLS certificate, key and CA reloaded");
}

int
main(int argc, char **argv)
{
	static struct agent ag;
	const char *dp_path = "/run/anyway/dataplane.sock", *metrics = NULL;
	struct aw_handler sigh;
	char err[256];
	int rc;

	snprintf(ag.name, sizeof(ag.name), PROG);
	snprintf(ag.status_path, sizeof(ag.status_path), "/run/anyway/agent.sock");
	ag.stale_ms = 30000;
	ag.restart_grace_ms = 15000;
	ag.cluster.drain_timeout_ms = 300000;
	ag.status_h.fd = -1;
	ag.bird.x.h.fd = -1;
	aw_log_init(PROG);
	if (aw_loop_init(&ag.loop) < 0) {
		fprintf(stderr, PROG ": epoll: %s\n", strerror(errno));
		return 1;
	}
	rc = parse_args(argc, argv, &ag, &dp_path, &metrics);
	if (rc >= 0)
		return rc;
	if (aw_tls_setup(PROG, &tls_opts, false, &ag.tls) < 0)
		return 2;
	agent_dp_init(&ag.dp, dp_path, &agent_apply_dp_cbs);
	agent_view_init(&ag.applied);
	aw_strmap_init(&ag.dirty_svcs);
	aw_strmap_init(&ag.dirty_relays);
	aw_strmap_init(&ag.dirty_gateways);
	agent_round_init(&ag.round);
	aw_loop_on_hup(&ag.loop, on_hup, &ag);
	if (aw_loop_watch_signals(&ag.loop, &sigh) < 0) {
		aw_log(AW_LOG_ERR, "signalfd: %s", strerror(errno));
		return 1;
	}
	if (agent_status_open(&ag, err, sizeof(err)) < 0) {
		aw_log(AW_LOG_ERR, "--status %s", err);
		return 1;
	}
	if (metrics && agent_metrics_open(&ag, metrics, err, sizeof(err)) < 0) {
		aw_log(AW_LOG_ERR, "--metrics %s", err);
		agent_status_close(&ag);
		return 1; /* the address was checked with the options: cannot listen */
	}
	ag.startup_until_ms = aw_now_ms() + 2000;
	aw_sd_notify("READY=1");
	while (!ag.loop.stop) {
		uint64_t now = aw_now_ms();

		agent_dp_tick(&ag, now);
		for (int i = 0; i < ag.n_mapd; i++)
			agent_mapd_tick(&ag.mapd[i], now);
		agent_apply(&ag);
		agent_cluster_tick(&ag, aw_now_ms());
		agent_drain_tick(&ag, aw_now_ms());
		agent_bird_tick(&ag, aw_now_ms());
		if (aw_loop_run_once(&ag.loop, next_timeout(&ag, aw_now_ms())) < 0) {
			aw_log(AW_LOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
	}
	aw_log(AW_LOG_NOTICE, "stopping (the data plane keeps what was applied)");
	aw_sd_notify("STOPPING=1");
	agent_metrics_close();
	agent_status_close(&ag);
	agent_bird_stop(&ag); /* withdraw the VIPs first (bounded) */
	agent_cluster_stop(&ag); /* member.deregister, best effort */
	for (int i = 0; i < ag.n_mapd; i++)
		agent_mapd_close(&ag.mapd[i], NULL);
	agent_dp_down(&ag, "agent stopping");
	aw_loop_kill(&ag.loop, &sigh);
	aw_loop_fini(&ag.loop);
	agent_round_free(&ag.round);
	agent_batch_free(&ag.inflight);
	aw_tls_free(ag.tls);
	agent_cluster_free(&ag.cluster);
	json_decref(ag.bird.vips);
	return 0;
}
