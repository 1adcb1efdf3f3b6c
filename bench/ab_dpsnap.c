/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_dpsnap — the data plane's stats at the end of the timed TX part (see
 * ab_dpsnap.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "ab_dpsnap.h"
#include "ab_report.h"

static void *
snap_thread(void *arg)
{
	struct ab_dpsnap *s = arg;

	while (sem_wait(&s->go) != 0 && errno == EINTR)
		;
	s->stats = ab_dp_stats(s->api);
	s->tsc = rte_rdtsc();
	return NULL;
}

int
ab_dpsnap_start(struct ab_dpsnap *s, const char *api)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->api = api;
	if (sem_init(&s->go, 0, 0) != 0) {
		fprintf(stderr, "anyway-bench: data plane snapshot: sem_init: %s\n", strerror(errno));
		return -1;
	}
	/* a control thread: off the lcores' CPUs, as DPDK's own helpers */
	rc = rte_ctrl_thread_create(&s->th, "ab-dpsnap", NULL, snap_thread, s);
	if (rc != 0) {
		fprintf(stderr, "anyway-bench: data plane snapshot: no thread: %s\n", strerror(rc));
		sem_destroy(&s->go);
		return -1;
	}
	return 0;
}

void
ab_dpsnap_mark(struct ab_dpsnap *s)
{
	if (!s->marked) {
		s->marked = true;
		sem_post(&s->go);
	}
}

json_t *
ab_dpsnap_take(struct ab_dpsnap *s, uint64_t *tsc)
{
	ab_dpsnap_mark(s);
	pthread_join(s->th, NULL);
	sem_destroy(&s->go);
	*tsc = s->tsc;
	return s->stats;
}
