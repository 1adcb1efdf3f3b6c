/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-registrar — registers services with map servers while their health
 * checks pass (SPEC §7.1): the loop. Renewal every ttl/3 while passing; a
 * failing check deregisters at once (the map moves traffic now, not when the
 * TTL runs out); SIGTERM deregisters everything and exits 0; SIGHUP re-reads --config
 * (reg_reload.c).
 */
#include <stdio.h>
#include <string.h>

#include "aw_log.h"
#include "aw_sdnotify.h"
#include "reg.h"

#define PROG "anyway-registrar"

static void
service_round(struct reg *rg, struct reg_svc *s, uint64_t now)
{
	int h = atomic_load(&s->healthy);
	char ab[AW_ADDR_STRLEN];

	if (h != s->seen && h >= 0) {
		aw_addr_format(&s->r.addr, ab, sizeof(ab));
		aw_log(h ? AW_LOG_NOTICE : AW_LOG_WARNING, "%s %s port %u: health check %s", s->r.service,
		       ab, s->r.port,
		       h ? (s->drain ? "passes: registering drained (weight 0)" : "passes: registering")
			 : s->seen == 1 ? "fails: deregistering" : "fails: not registering");
		if (h == 0 && s->seen == 1)
			reg_send_all(rg, s, true);
		s->seen = h;
		s->next_renew_ms = now; /* register now when passing */
	}
	if (s->seen == 1 && now >= s->next_renew_ms) {
		reg_send_all(rg, s, false);
		uint64_t every = (uint64_t)s->r.ttl * 1000u / 3u;
		s->next_renew_ms = now + (every ? every : 1);
	}
}

/* SIGHUP: re-read --config (reg_reload.c) and the TLS files (new connections;
 * a bad set keeps the old one). */
static void
on_hup(void *arg)
{
	struct reg *rg = arg;
	char err[512];

	reg_reload(rg);
	if (rg->tls != NULL && aw_tls_reload(rg->tls, err, sizeof(err)) < 0)
		fprintf(stderr, PROG ": SIGHUP: TLS files not reloaded, the old ones stay: %s\n", err);
	else if (rg->tls != NULL)
		fprintf(stderr, PROG ": SIGHUP: TLS certificate, key and CA reloaded\n");
}

int
main(int argc, char **argv)
{
	static struct reg rg;
	struct aw_handler sigh;
	bool exit_now;

	snprintf(rg.name, sizeof(rg.name), PROG);
	rg.check_interval_ms = 1000;
	aw_log_init(PROG);
	if (aw_loop_init(&rg.loop) < 0) {
		perror(PROG ": epoll");
		return 1;
	}
	if (reg_parse_args(&rg, argc, argv, &exit_now) < 0)
		return 2;
	if (exit_now)
		return 0;
	aw_loop_on_hup(&rg.loop, on_hup, &rg);
	if (reg_checks_global_init() < 0 || aw_loop_watch_signals(&rg.loop, &sigh) < 0 ||
	    reg_checks_start(&rg) < 0) {
		perror(PROG ": start");
		return 1;
	}
	aw_sd_notify("READY=1");
	while (!rg.loop.stop) {
		uint64_t now = aw_now_ms();

		for (int i = 0; i < rg.n_mapd; i++)
			reg_mapd_tick(&rg, &rg.mapd[i], now);
		for (int i = 0; i < rg.n_svc; i++)
			service_round(&rg, &rg.svc[i], now);
		if (aw_loop_run_once(&rg.loop, 50) < 0)
			break;
	}
	aw_log(AW_LOG_NOTICE, "stopping: deregistering");
	aw_sd_notify("STOPPING=1");
	reg_checks_stop(&rg);
	reg_shutdown(&rg, 2000);
	aw_loop_kill(&rg.loop, &sigh);
	aw_loop_fini(&rg.loop);
	aw_tls_free(rg.tls);
	return 0;
}
