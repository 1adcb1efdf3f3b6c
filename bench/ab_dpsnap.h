/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_dpsnap — the data plane's stats read at the moment the timed TX part
 * ends, so that its idle share covers the same time as the generator's
 * (bench/README.md "Every RESULT names its bottleneck"), not the drain
 * after it. A control thread asks the API when marked; the lcore goes on
 * draining meanwhile (a pause there would let the data plane's TX rings
 * fill: drops and loss the run did not cause).
 *
 * Contract: start, mark and take from the lcore that runs the traffic loop;
 * mark any number of times (the first counts); take once, after start
 * succeeded. The thread only calls ab_dp_stats, so the lcore calls no
 * ab_dp_stats between start and take (its reply buffer is static).
 */
#ifndef AB_DPSNAP_H
#define AB_DPSNAP_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct ab_dpsnap {
	const char *api;
	pthread_t th;
	sem_t go;
	bool marked;
	json_t *stats; /* the answer (NULL: none), written by the thread */
	uint64_t tsc;  /* when the answer came (TSC), written by the thread */
};

/* Starts the thread that waits for the mark. -1 (message on stderr) when it
 * cannot run. */
int ab_dpsnap_start(struct ab_dpsnap *s, const char *api);
/* The timed part ended now: the thread reads the stats. Costs one sem_post. */
void ab_dpsnap_mark(struct ab_dpsnap *s);
/* Marks (when not yet), waits for the thread and returns its stats (the
 * caller json_decref's them; NULL when the API did not answer) and in *tsc
 * when they came. */
json_t *ab_dpsnap_take(struct ab_dpsnap *s, uint64_t *tsc);

#endif /* AB_DPSNAP_H */
