/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg — anyway-registrar's objects: the services it registers, each with its
 * health check, and its connections to the map servers.
 *
 * Threads: the main thread runs the loop and owns everything except
 * reg_svc.healthy, which the health-check thread (reg_check.c) writes and the
 * main thread reads (an atomic int). Checks never block the loop, and run in
 * parallel with each other (libcurl multi) inside the check thread.
 */
#ifndef REG_H
#define REG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_conn.h"
#include "aw_log.h"
#include "aw_loop.h"
#include "aw_msg.h"
#include "aw_net.h"
#include "aw_tls.h"

#define REG_MAX_SVC 256
#define REG_MAX_MAPD 16
#define REG_CHECK_TIMEOUT_MS 2000 /* default per check */
#define REG_RISE 2                 /* default passes in a row to register */
#define REG_FALL 3                 /* default failures in a row to withdraw */

enum reg_check { CHECK_NONE, CHECK_TCP, CHECK_HTTP, CHECK_HTTPS };

#define REG_MAX_STATUS_RANGES 8
#define REG_BODY_MAX 256

/* How one service is checked (reg_config.c fills it; the check thread reads
 * it while it runs, nobody writes it then). */
struct reg_check_conf {
	enum reg_check kind;
	char http_path[256];
	uint16_t status_lo[REG_MAX_STATUS_RANGES], status_hi[REG_MAX_STATUS_RANGES];
	int n_status;                 /* 0: 200-399 */
	char expect_body[REG_BODY_MAX]; /* "" none; else a substring of the first 64 KiB */
	char ca_file[256];            /* https: CA bundle ("" the system's) */
	bool tls_verify;              /* https: check the certificate and name (default) */
	uint32_t timeout_ms, interval_ms; /* interval 0: --check-interval-ms */
	uint32_t rise, fall;
};

struct reg_svc {
	struct aw_msg_reg r;
	struct reg_check_conf ck;
	bool drain;         /* registered with weight 0: no new flows */
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
	struct aw_log_rep log_rep; /* connection errors, condensed */
	struct aw_log_rl log_rl;   /* replies: rate-limited */
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

/* reg_ckconf.c: the check and drain keys of service object o (a copy)
 * into s, then removed from o; errors printed, -1. */
int reg_ckconf_take(json_t *o, const char *where, struct reg_svc *s);

/* reg_reload.c: SIGHUP (main thread): re-read --config, all or nothing. */
void reg_reload(struct reg *rg);

/* reg_check.c; reg_checks_global_init once in main before any thread. */
int reg_checks_global_init(void);
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
