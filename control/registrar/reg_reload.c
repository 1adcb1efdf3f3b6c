/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_reload — SIGHUP for anyway-registrar: re-read the --config file and
 * apply it all or nothing.
 *
 * Called from the main thread only (the loop's SIGHUP hook). A file that does
 * not load changes nothing. Otherwise the check thread is stopped (woken and
 * joined at once; checks in flight are abandoned), services gone
 * from the file are deregistered if they were registered, services kept
 * (same service, address and port) keep their health and registration and
 * are registered again at once when a value (drain included) changed — a
 * drain set in the file takes effect at once (a changed check of a
 * registered service keeps it registered until `fall` failures), new ones start
 * like at start-up, and the check thread starts again with the new list.
 * Services given with --service flags have nothing to re-read.
 */
#include <stdio.h>
#include <string.h>

#include "aw_log.h"
#include "reg.h"

static int
find(const struct reg_svc *v, int n, const struct reg_svc *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].r.service, s->r.service) == 0 && v[i].r.port == s->r.port &&
		    aw_addr_eq(&v[i].r.addr, &s->r.addr))
			return i;
	return -1;
}

static bool
same_check(const struct reg_svc *a, const struct reg_svc *b)
{
	return memcmp(&a->ck, &b->ck, sizeof(a->ck)) == 0; /* both zeroed before filling */
}

static bool
same_values(const struct reg_svc *a, const struct reg_svc *b)
{
	return a->r.priority == b->r.priority && a->r.weight == b->r.weight && a->r.ttl == b->r.ttl &&
	       a->drain == b->drain;
}

void
reg_reload(struct reg *rg)
{
	static struct reg_svc fresh[REG_MAX_SVC];
	int n = 0, removed = 0, kept = 0;

	if (rg->config_path[0] == '\0') {
		aw_log(AW_LOG_NOTICE, "SIGHUP: nothing to reload (services given as flags)");
		return;
	}
	if (reg_load_file(rg->config_path, fresh, &n) < 0) {
		aw_log(AW_LOG_ERR, "SIGHUP: %s not reloaded: keeping the %d services running",
		       rg->config_path, rg->n_svc);
		return;
	}
	reg_checks_stop(rg);
	for (int i = 0; i < rg->n_svc; i++) {
		struct reg_svc *old = &rg->svc[i];
		int j = find(fresh, n, old);

		if (j < 0) {
			if (old->seen == 1)
				reg_send_all(rg, old, true);
			removed++;
			continue;
		}
		kept++;
		/* a changed check of a registered service: registered until `fall` failures */
		int h = atomic_load(&old->healthy);
		if (!same_check(old, &fresh[j]))
			h = old->seen == 1 ? 1 : -1;
		atomic_store(&fresh[j].healthy, h);
		fresh[j].seen = old->seen;
		fresh[j].next_renew_ms = same_values(old, &fresh[j]) ? old->next_renew_ms : 0;
	}
	memcpy(rg->svc, fresh, sizeof(fresh[0]) * (size_t)n);
	rg->n_svc = n;
	aw_log(AW_LOG_NOTICE, "SIGHUP: reloaded %s: %d services (%d kept, %d added, %d removed)",
	       rg->config_path, n, kept, n - kept, removed);
	if (reg_checks_start(rg) < 0) {
		aw_log(AW_LOG_ERR, "SIGHUP: cannot restart the health checks; stopping");
		rg->loop.stop = true;
	}
}
