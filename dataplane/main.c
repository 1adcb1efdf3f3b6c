/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-dataplane: EAL, configuration, ports, tables, lcores, API; clean stop
 * on SIGINT/SIGTERM (lcores stopped, TX flushed, ports closed so pcap files are
 * complete, API socket removed); SIGPIPE ignored (an API client gone before
 * its reply is the API server's business, not fatal). SIGHUP is blocked in
 * every thread before EAL starts its lcores and is taken by one small thread
 * (sigtimedwait), so it never interrupts a packet lcore: the data plane has
 * nothing to reload live (the configuration changes through the API), so it
 * logs "SIGHUP: nothing to reload" and keeps running. Exit codes: 0 clean stop,
 * 1 runtime failure, 2 usage or configuration error. --check-config FILE
 * validates without EAL. rte_pdump_init at start (dpdk-dumpcap),
 * rte_pdump_uninit at stop.
 */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_pdump.h>

#include "aw_api.h"
#include "aw_build_config.h"
#include "aw_dp_init.h"
#include "aw_feature.h"
#include "aw_lcore.h"
#include "aw_log.h"
#include "aw_sdnotify.h"
#include "aw_stats.h"

#define PROG "anyway-dataplane"

static volatile bool *stop_flag;
static bool pdump_on; /* rte_pdump_init done: rte_pdump_uninit at stop */

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s [EAL options] -- --config FILE [--log-level LEVEL]\n"
		   "       %s --check-config FILE\n"
		   "       %s --help | --version\n\n"
		   "DPDK data plane of anyway; features:",
		   PROG, PROG, PROG);
	for (unsigned i = 0; i < AW_FEAT__COUNT; i++)
		fprintf(f, " %s", aw_features[i]->name);
	fprintf(f, "\n"
		   "  --config FILE   JSON configuration (see dataplane/CONFIG.md)\n"
		   "  --check-config FILE\n"
		   "                  validate FILE without starting EAL; exit 0 and a summary,\n"
		   "                  or the error and exit 2 (as at start). Not checked: that\n"
		   "                  port ids name probed devices, that lcore ids are enabled\n"
		   "                  in EAL, and what only fails when starting (memory,\n"
		   "                  devices, the API socket path)\n"
		   "  --log-level L   its own lines (on stdout): " AW_LOG_LEVELS "\n"
		   "                  (default info; EAL's --log-level is separate)\n"
		   "  --help          this text\n"
		   "  --version       print the version\n");
}

/* --help / --version work without EAL: before "--", or with no "--" at all. */
static int
early_options(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", PROG, AW_VERSION);
			return 0;
		}
	}
	return -1;
}

/*
 * --check-config FILE (anywhere, EAL options ignored): validates without EAL.
 * -1 when absent, else the exit code.
 */
static int
check_config(int argc, char **argv)
{
	static struct aw_config cfg;
	char err[512] = "";
	int i = 1;

	while (i < argc && strcmp(argv[i], "--check-config") != 0)
		i++;
	if (i == argc)
		return -1;
	if (i + 2 != argc) {
		fprintf(stderr, "%s: --check-config FILE takes exactly one file, last\n", PROG);
		return 2;
	}
	if (aw_config_check(argv[i + 1], &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 2;
	}
	printf("%s: %s: config OK: %s mode, %u port(s), %u route(s), %u neighbor(s), %u VIP(s);"
	       " features on:",
	       PROG, argv[i + 1], cfg.mode == AW_MODE_PIPELINE ? "pipeline" : "rtc", cfg.n_ports,
	       cfg.n_routes, cfg.n_neighbors, cfg.n_vips);
	unsigned n_on = 0;
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (cfg.feat_conf[f] != NULL) {
			printf(" %s", aw_features[f]->name);
			n_on++;
		}
	printf("%s; port and lcore ids not checked (no EAL)\n", n_on ? "" : " none");
	aw_config_free(&cfg);
	return 0;
}

static const char *
app_options(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"log-level", required_argument, NULL, 'L'},
					     {NULL, 0, NULL, 0}};
	const char *config = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c == 'c') {
			config = optarg;
			continue;
		}
		if (c == 'L') {
			if (aw_log_option(PROG, optarg) < 0)
				return NULL;
			continue;
		}
		fprintf(stderr, "%s: unknown or incomplete option '%s'\n", PROG,
			argv[optind - 1]);
		return NULL;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", PROG, argv[optind]);
		return NULL;
	}
	if (config == NULL)
		fprintf(stderr, "%s: --config FILE is required (after '--')\n", PROG);
	return config;
}

static void
on_signal(int sig)
{
	(void)sig;
	if (stop_flag != NULL)
		*stop_flag = true;
}

/* SIGHUP: blocked everywhere, answered here (see the top comment). */
static atomic_bool hup_quit;

static void *
hup_thread(void *arg)
{
	sigset_t set;
	struct timespec wait = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	while (!hup_quit)
		if (sigtimedwait(&set, NULL, &wait) == SIGHUP) {
			aw_log(AW_LOG_NOTICE, "SIGHUP: nothing to reload");
		}
	return NULL;
}

/* Block SIGHUP in this thread (and so in every thread created later) and
 * start its thread. 0 or -1. */
static int
hup_start(pthread_t *t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    pthread_create(t, NULL, hup_thread, NULL) != 0) {
		fprintf(stderr, "%s: cannot start the SIGHUP thread\n", PROG);
		return -1;
	}
	return 0;
}

static void
hup_stop(pthread_t t)
{
	hup_quit = true;
	pthread_join(t, NULL);
}

static void
print_ports(const struct aw_dp *dp)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct aw_port *p = &dp->ports[i];
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		aw_log(AW_LOG_INFO, "port %u (%s) mac %s mtu %u rxq %u txq %u", p->port_id, p->name,
		       mac, p->mtu, p->n_rxq, p->n_txq);
	}
}

/*
 * Packet capture for dpdk-dumpcap / dpdk-pdump (secondary processes): the
 * primary serves their enable requests over EAL multi-process (the runtime
 * directory's mp_socket), and they map its hugepage files. --in-memory,
 * --no-shconf and --no-huge leave them nothing to attach to: said once at
 * start. Not fatal: the data plane runs without capture.
 */
static void
pdump_start(void)
{
	char mp[PATH_MAX];

	if (rte_pdump_init() != 0) {
		aw_log(AW_LOG_WARNING, "packet capture (dpdk-dumpcap) unavailable: %s",
		       rte_strerror(rte_errno));
		return;
	}
	pdump_on = true;
	snprintf(mp, sizeof(mp), "%s/mp_socket", rte_eal_get_runtime_dir());
	if (!rte_eal_has_hugepages() || access(mp, F_OK) != 0)
		aw_log(AW_LOG_WARNING, "packet capture (dpdk-dumpcap) unavailable: it needs hugepages"
				       " and shared files (no --in-memory, --no-shconf or --no-huge)");
}

/* Everything between a loaded config and running lcores. 1: runtime error. */
static int
start(struct aw_dp *dp, struct aw_api *api, char *err, size_t errlen)
{
	pdump_start();
	if (aw_dp_init(dp, dp->cfg, err, errlen) < 0 || aw_api_start(api, dp, err, errlen) < 0)
		return 1;
	aw_telemetry_register(dp);
	print_ports(dp);
	aw_log(AW_LOG_NOTICE, "%s mode, %u lcore(s), api %s: ready",
	       dp->cfg->mode == AW_MODE_PIPELINE ? "pipeline" : "rtc", dp->n_ctx, api->path);
	return 0;
}

static void
cleanup(struct aw_dp *dp, struct aw_api *api)
{
	aw_api_stop(api);
	if (pdump_on)
		rte_pdump_uninit();
	aw_dp_fini(dp);
}

int
main(int argc, char **argv)
{
	static struct aw_config cfg;
	static struct aw_dp dp;
	static struct aw_api api = {.listen_fd = -1};
	char err[512] = "";
	const char *config;
	pthread_t hup;
	int ret;

	aw_log_init(PROG);
	aw_log_set_fd(STDOUT_FILENO); /* its events on stdout, errors on stderr */
	if ((strcmp(argv[argc > 1 ? 1 : 0], "--") == 0 || !strstr(argv[0], "--")) &&
	    argc == 2 && early_options(argc, argv) == 0)
		return 0;
	ret = check_config(argc, argv);
	if (ret >= 0)
		return ret;
	if (hup_start(&hup) < 0)
		return 1;
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		hup_stop(hup);
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", PROG,
			rte_strerror(rte_errno));
		return 2;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)PROG;
	if (early_options(argc, argv) == 0) {
		rte_eal_cleanup();
		hup_stop(hup);
		return 0;
	}
	config = app_options(argc, argv);
	if (config == NULL || aw_config_load(config, &cfg, err, sizeof(err)) < 0) {
		if (config != NULL)
			fprintf(stderr, "%s: %s\n", PROG, err);
		else
			usage(stderr);
		rte_eal_cleanup();
		hup_stop(hup);
		return 2;
	}
	dp.cfg = &cfg;
	stop_flag = &dp.stop;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN); /* a peer gone before its reply: EPIPE, not death */
	ret = start(&dp, &api, err, sizeof(err));
	if (ret == 0) {
		aw_sd_notifyf("READY=1\nSTATUS=api %s", api.path);
		rte_eal_mp_remote_launch(aw_lcore_main, &dp, CALL_MAIN);
		rte_eal_mp_wait_lcore();
		aw_log(AW_LOG_NOTICE, "stopping");
		aw_sd_notify("STOPPING=1");
	} else {
		fprintf(stderr, "%s: %s\n", PROG, err);
	}
	cleanup(&dp, &api);
	aw_config_free(&cfg);
	rte_eal_cleanup();
	hup_stop(hup);
	return ret;
}
