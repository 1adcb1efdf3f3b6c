/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the data plane's JSON configuration loader (aw_config_load,
 * dataplane/CONFIG.md) on arbitrary files, with EAL up (--no-huge, two
 * net_null ports: port and lcore ids are checked against it). A refused file
 * must come with an error line; an accepted one must load again, unchanged in
 * its parsed parts, from its own JSON as written back (cfg->raw), and free
 * without a leak. The input is the file, given to the loader as
 * /proc/self/fd/N of one memfd.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "aw_config.h"
#include "aw_features.h"
#include "fuzz_dp.h"
#include "../fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static int memfd = -1;
static char path[64];
static unsigned long n_ok, n_err;

static void
summary(void)
{
	printf("fuzz_config: %lu configs accepted, %lu refused\n", n_ok, n_err);
}

static void
setup(void)
{
	fuzz_eal_start("c");
	memfd = memfd_create("awfuzzcfg", 0);
	if (memfd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	atexit(summary);
}

static int
load(const void *buf, size_t n, struct aw_config *cfg, char *err, size_t errlen)
{
	if (ftruncate(memfd, 0) != 0 || (n > 0 && pwrite(memfd, buf, n, 0) != (ssize_t)n)) {
		perror("memfd write");
		exit(1);
	}
	memset(cfg, 0, sizeof(*cfg));
	return aw_config_load(path, cfg, err, errlen);
}

/* The same features are on in both. */
static int
same_features(const struct aw_config *a, const struct aw_config *b)
{
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if ((a->feat_conf[f] == NULL) != (b->feat_conf[f] == NULL))
			return 0;
	return 1;
}

/* The parts of two configs that do not hold pointers must be equal. */
static int
same(const struct aw_config *a, const struct aw_config *b)
{
	return a->mode == b->mode && a->n_ports == b->n_ports && a->n_routes == b->n_routes &&
	       a->n_neighbors == b->n_neighbors && a->n_vips == b->n_vips &&
	       memcmp(a->ports, b->ports, sizeof(a->ports)) == 0 &&
	       memcmp(&a->pipeline, &b->pipeline, sizeof(a->pipeline)) == 0 &&
	       memcmp(&a->neigh, &b->neigh, sizeof(a->neigh)) == 0 && a->burst == b->burst &&
	       a->mbufs == b->mbufs && a->icmp_rate == b->icmp_rate &&
	       a->idle_sleep_us == b->idle_sleep_us && same_features(a, b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_config cfg, again;
	char err[1024];

	if (memfd < 0)
		setup();
	if (size > 64 * 1024)
		return 0;
	err[0] = '\0';
	if (load(data, size, &cfg, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort(); /* a refusal without its reason */
		aw_config_free(&cfg);
		n_err++;
		return 0;
	}
	n_ok++;
	char *text = json_dumps(cfg.raw, JSON_COMPACT);
	if (text == NULL)
		abort();
	if (load(text, strlen(text), &again, err, sizeof(err)) != 0 || !same(&cfg, &again)) {
		fprintf(stderr, "fuzz_config: accepted config refused or changed on reload: %s\n",
			err);
		abort();
	}
	free(text);
	aw_config_free(&again);
	aw_config_free(&cfg);
	return 0;
}

static const char *const seeds_txt[] = {
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\","
	"\"2001:db8:1::1/64\"]},{\"port\":1,\"mtu\":1280,\"addrs\":[\"10.2.0.1/24\"]}],"
	"\"routes\":[{\"prefix\":\"0.0.0.0/0\",\"via\":\"10.2.0.254\"}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0}],"
	"\"vips\":[{\"addr\":\"203.0.113.10\",\"aarp\":true},{\"addr\":\"2001:db8:100::10\"}],"
	"\"neighbor_cache\":{\"max_entries\":64,\"pending_packets\":4},"
	"\"icmp_rate_per_s\":1000}",
	"{\"ports\":[{\"port\":0,\"addrs\":[\"10.1.0.1/24\"]},{\"port\":1,\"addrs\":"
	"[\"10.2.0.1/24\"]}],\"vips\":[{\"addr\":\"203.0.113.10\"}],"
	"\"asrs\":{\"service_prefix6\":\"2001:db8:a5::/64\",\"max_sessions\":64,"
	"\"snat_ports\":{\"min\":1024,\"max\":1100},\"timeouts\":{\"tcp_syn\":1,\"udp\":1}},"
	"\"listeners\":[{\"vip\":\"203.0.113.10\",\"proto\":\"tcp\",\"port\":80,"
	"\"service\":\"asrs://a/b\"}],\"services\":[{\"service\":\"asrs://a/b\","
	"\"destinations\":[{\"addr\":\"10.2.0.2\",\"port\":80}]}]}",
	"{\"ports\":[{\"port\":0,\"addrs\":[\"10.1.0.1/24\"]}],\"trs\":{\"max_paths\":64},"
	"\"relays\":[{\"path_id\":\"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\",\"tunnel_key\":"
	"\"1111111111111111111111111111111111111111111111111111111111111111\",\"suite\":2,"
	"\"rate\":{\"pps\":100,\"burst\":3000}}]}",
};

AW_FUZZ_TEXT_SEEDS(seeds_txt)
