/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg — anyway-registrar's objects: the services it registers, each with its
 * health check, and its connections to the map servers.
 *
 * Threads: the main thread runs the loop and owns everything except
 * reg_svc.healthy, which the health-check thread (reg_check.c) writes and the
 * main thread reads (an atomic int). Checks never block the loop.
 */
#ifndef REG_H
#define REG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_conn.h"
#include "aw_loop.h"
#include "aw_msg.h"
#include "aw_net.h"
#include "aw_tls.h"

#define REG_MAX_SVC 256
#define REG_MAX_MAPD 16
#define REG_CHECK_TIMEOUT_MS 2000

enum reg_check { CHECK_NONE, CHECK_TCP, CHECK_HTTP };

struct reg_svc {
	struct aw_msg_reg r;
	enum reg_check check;
	char http_path[256];
	atomic_int healthy; /* -1 not checked yet, 0 failing, 1 passing (check thread writes) */
	int seen;           /* the value the main thread acted on */
	uint64_t next_renew_ms;
};

struct reg_link;

struct reg_mapd {
	char name[64];
	struct aw_sockaddr addr;
	struct reg_link *link;
	bool up;
	uint64_t retry_at_ms, connect_ms;
	struct aw_backoff bo;
	uint64_t sent, errors;
};

struct reg {
	struct aw_loop loop;
	char name[AW_MSG_NAME_MAX + 1];
	struct reg_svc svc[REG_MAX_SVC];
	int n_svc;
	struct reg_mapd mapd[REG_MAX_MAPD];
	int n_mapd;
	uint32_t check_interval_ms;
	atomic_bool stop_checks;
	char config_path[4096]; /* --config FILE, re-read on SIGHUP; "" with --service */
	struct aw_tls_opts tls_opts;
	struct aw_tls *tls; /* to the map servers; NULL: plain TCP (--insecure) */
};

/* reg_config.c: flags and the JSON file; errors printed, -1 (usage error). */
int reg_parse_args(struct reg *rg, int argc, char **argv, bool *exit_now);
/* Services of a --config file into out[] (REG_MAX_SVC), *n_out counted up. */
int reg_load_file(const char *path, struct reg_svc *out, int *n_out);

/* reg_reload.c: SIGHUP (main thread): re-read --config, all or nothing. */
void reg_reload(struct reg *rg);

/* reg_check.c */
int reg_checks_start(struct reg *rg);
void reg_checks_stop(struct reg *rg);

/* reg_mapd.c */
void reg_mapd_init(struct reg_mapd *m);
void reg_mapd_tick(struct reg *rg, struct reg_mapd *m, uint64_t now);
/* Send register (or deregister) of svc to every connected map server. */
void reg_send_all(struct reg *rg, const struct reg_svc *s, bool deregister);
/* Deregister everything and close, waiting at most timeout_ms for the replies. */
void reg_shutdown(struct reg *rg, uint32_t timeout_ms);

#endif /* REG_H */
