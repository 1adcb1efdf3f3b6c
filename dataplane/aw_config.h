/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_config — the data plane's JSON configuration (SPEC §2.1), loaded with
 * jansson and validated whole before anything starts. Every key is documented
 * in dataplane/CONFIG.md (meaning, default, range, live or restart).
 *
 * Contract: aw_config_load() runs on the main thread after rte_eal_init (it
 * checks port ids and lcore ids against EAL). On error it returns -1 and puts
 * "FILE: key.path: what was expected" in err; the caller exits with code 2.
 * The loaded struct is read-only afterwards, except `raw`, which only the API
 * thread reads (config.get).
 */
#ifndef AW_CONFIG_H
#define AW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_features.h"
#include "aw_inet.h"

#define AW_MAX_PORTS       16
#define AW_MAX_PORT_ADDRS  8
#define AW_MAX_ROUTES      1024
#define AW_MAX_NEIGH_CONF  1024
#define AW_MAX_VIPS        4096
#define AW_MAX_LCORES      64

enum aw_mode { AW_MODE_RTC = 0, AW_MODE_PIPELINE = 1 };

/* api.*: the JSON API server's limits (aw_api.c, dataplane/CONFIG.md). */
#define AW_API_MAX_CREDS 16
struct aw_api_conf {
	uint32_t max_clients;      /* connections at once */
	uint32_t reserved_clients; /* of those, only for trusted peers */
	uint32_t idle_timeout_s;   /* 0: never */
	uint32_t send_timeout_s;   /* output stalled this long: closed */
	uint64_t max_output;       /* bytes queued per connection */
	unsigned n_uids, n_gids;   /* trusted peers (SO_PEERCRED) */
	bool has_socket_gid;       /* api.socket_group: the socket file's group */
	uint32_t socket_gid;
	uint32_t uids[AW_API_MAX_CREDS], gids[AW_API_MAX_CREDS];
};

struct aw_port_conf {
	uint16_t port_id;
	bool has_mac;
	struct aw_mac mac;
	uint16_t mtu;       /* 0: leave the device's */
	uint16_t rx_queues; /* 0: one per lcore that polls it */
	unsigned n_addrs;
	struct aw_prefix addrs[AW_MAX_PORT_ADDRS];
};

struct aw_route_conf {
	struct aw_prefix prefix; /* host bits cleared */
	bool has_via;
	struct aw_addr via;
	int port; /* -1: the port whose connected prefix holds `via` */
};

struct aw_neigh_conf {
	struct aw_addr addr;
	struct aw_mac mac;
	uint16_t port;
};

struct aw_vip_conf {
	struct aw_addr addr;
	bool aarp;
};

struct aw_pipeline_conf {
	unsigned n_rx, n_workers, n_tx;
	unsigned rx[AW_MAX_LCORES], workers[AW_MAX_LCORES], tx[AW_MAX_LCORES];
	uint32_t ring_size;      /* per SPSC ring, power of two */
	uint32_t reorder_size;   /* reorder window, power of two */
	uint32_t gap_timeout_us; /* wait before a missing sequence number is skipped */
};

struct aw_neigh_settings {
	uint32_t max_entries;
	uint32_t reachable_s;       /* a resolved entry is re-probed after this */
	uint32_t probe_interval_ms; /* between ARP / NS retries */
	uint32_t probes;            /* retries before the entry fails */
	uint32_t pending_packets;   /* queued per unresolved next hop */
};

struct aw_config {
	char path[256];
	enum aw_mode mode;
	struct aw_pipeline_conf pipeline;
	unsigned n_ports;
	struct aw_port_conf ports[AW_MAX_PORTS];
	unsigned n_routes;
	struct aw_route_conf *routes;
	unsigned n_neighbors;
	struct aw_neigh_conf *neighbors;
	unsigned n_vips;
	struct aw_vip_conf *vips;
	struct aw_neigh_settings neigh;
	char api_unix[108];
	struct aw_api_conf api;
	char metrics_listen[64]; /* metrics.listen, HOST:PORT; "" when off */
	uint32_t idle_sleep_us; /* 0: poll without sleeping */
	uint32_t burst;         /* RX burst size */
	uint32_t mbufs;         /* mbufs in the pool */
	uint32_t icmp_rate;     /* ICMP errors per second per lcore */
	void *feat_conf[AW_FEAT__COUNT]; /* by feature id (aw_features.h); NULL: off */
	json_t *raw;            /* the file as loaded, for config.get */
};

int aw_config_load(const char *path, struct aw_config *cfg, char *err, size_t errlen);
/*
 * The same without EAL (anyway-dataplane --check-config): every check except
 * that lcore ids are enabled in EAL and port ids name probed devices.
 */
int aw_config_check(const char *path, struct aw_config *cfg, char *err, size_t errlen);
void aw_config_free(struct aw_config *cfg);

/* Parses a VIP object {"addr": ..., "aarp": bool}; used by config and vip.add. */
int aw_config_parse_vip(json_t *obj, const char *path, struct aw_vip_conf *out, char *err,
			size_t errlen);

#endif /* AW_CONFIG_H */
