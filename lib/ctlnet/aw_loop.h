/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_loop — a small epoll event loop for the control daemons (mapd, agent,
 * registrar), plus a monotonic clock and a backoff timer.
 *
 * Contract: one loop per thread; every call on a loop comes from that thread.
 * A handler is embedded in the caller's object. aw_loop_kill() unregisters it
 * at once and calls its destroy function only after the current dispatch
 * round, so an event already fetched for a killed handler is skipped instead
 * of touching freed memory.
 */
#ifndef AW_LOOP_H
#define AW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct aw_handler;
typedef void (*aw_handler_fn)(struct aw_handler *h, uint32_t events);
typedef void (*aw_destroy_fn)(struct aw_handler *h);

struct aw_handler {
	int fd;
	uint32_t events;        /* EPOLLIN | EPOLLOUT ... as registered */
	aw_handler_fn fn;
	aw_destroy_fn destroy;  /* may be NULL */
	void *ctx;              /* the owner's, untouched by the loop */
	bool dead;
	struct aw_handler *next_dead;
};

struct aw_loop {
	int epfd;
	bool stop;
	struct aw_handler *dead; /* killed during this round */
	void (*on_hup)(void *arg); /* SIGHUP, from the loop's thread; NULL: ignored */
	void *hup_arg;
};

int aw_loop_init(struct aw_loop *l);
void aw_loop_fini(struct aw_loop *l);
/* Register h (fd, fn, destroy set by the caller) for events. 0 or -1 (errno). */
int aw_loop_add(struct aw_loop *l, struct aw_handler *h, uint32_t events);
int aw_loop_mod(struct aw_loop *l, struct aw_handler *h, uint32_t events);
/* Unregister and close h->fd now; destroy(h) after the current round. */
void aw_loop_kill(struct aw_loop *l, struct aw_handler *h);
/* Wait up to timeout_ms (-1: no limit) and dispatch. Returns events handled or -1. */
int aw_loop_run_once(struct aw_loop *l, int timeout_ms);

/* Block SIGTERM/SIGINT/SIGHUP, ignore SIGPIPE, and watch them through a
 * signalfd on h (caller-owned storage): SIGTERM or SIGINT sets l->stop;
 * SIGHUP calls the aw_loop_on_hup() function (never stops the loop). 0 or -1. */
int aw_loop_watch_signals(struct aw_loop *l, struct aw_handler *h);
/* What SIGHUP does: fn(arg) on the loop's thread, from aw_loop_run_once(). */
void aw_loop_on_hup(struct aw_loop *l, void (*fn)(void *arg), void *arg);

/* Monotonic milliseconds. */
uint64_t aw_now_ms(void);
/* Wall-clock seconds since the epoch, with fraction. */
double aw_wall_s(void);

/* Exponential backoff with jitter: delays min_ms, 2*min_ms, ... up to max_ms. */
struct aw_backoff {
	uint32_t min_ms, max_ms, cur_ms;
};
void aw_backoff_init(struct aw_backoff *b, uint32_t min_ms, uint32_t max_ms);
/* The next delay (75..100 % of the current step), then doubles the step. */
uint32_t aw_backoff_next(struct aw_backoff *b);
void aw_backoff_reset(struct aw_backoff *b);

#endif /* AW_LOOP_H */
