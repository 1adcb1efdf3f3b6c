/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define AW_LOOP_BATCH 64

int
aw_loop_init(struct aw_loop *l)
{
	l->stop = false;
	l->dead = NULL;
	l->on_hup = NULL;
	l->hup_arg = NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -1 : 0;
}

static void
reap(struct aw_loop *l)
{
	while (l->dead != NULL) {
		struct aw_handler *h = l->dead;

		l->dead = h->next_dead;
		if (h->destroy != NULL)
			h->destroy(h);
	}
}

void
aw_loop_fini(struct aw_loop *l)
{
	reap(l);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

static int
ctl(struct aw_loop *l, int op, struct aw_handler *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	if (epoll_ctl(l->epfd, op, h->fd, &ev) < 0)
		return -1;
	h->events = events;
	return 0;
}

int
aw_loop_add(struct aw_loop *l, struct aw_handler *h, uint32_t events)
{
	h->dead = false;
	h->next_dead = NULL;
	return ctl(l, EPOLL_CTL_ADD, h, events);
}

int
aw_loop_mod(struct aw_loop *l, struct aw_handler *h, uint32_t events)
{
	if (h->events == events)
		return 0;
	return ctl(l, EPOLL_CTL_MOD, h, events);
}

void
aw_loop_kill(struct aw_loop *l, struct aw_handler *h)
{
	if (h->dead)
		return;
	if (h->fd >= 0) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
		close(h->fd);
		h->fd = -1;
	}
	h->dead = true;
	h->next_dead = l->dead;
	l->dead = h;
}

int
aw_loop_run_once(struct aw_loop *l, int timeout_ms)
{
	struct epoll_event evs[AW_LOOP_BATCH];
	int n = epoll_wait(l->epfd, evs, AW_LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct aw_handler *h = evs[i].data.ptr;

		if (!h->dead)
			h->fn(h, evs[i].events);
	}
	reap(l);
	return n;
}

static void
sig_event(struct aw_handler *h, uint32_t events)
{
	struct signalfd_siginfo si;
	struct aw_loop *l = h->ctx;

	(void)events;
	while (read(h->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP)
			l->stop = true;
		else if (l->on_hup != NULL)
			l->on_hup(l->hup_arg);
	}
}

void
aw_loop_on_hup(struct aw_loop *l, void (*fn)(void *arg), void *arg)
{
	l->on_hup = fn;
	l->hup_arg = arg;
}

int
aw_loop_watch_signals(struct aw_loop *l, struct aw_handler *h)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	h->fn = sig_event;
	h->destroy = NULL;
	if (h->fd < 0 || aw_loop_add(l, h, EPOLLIN) < 0)
		return -1;
	h->ctx = l;
	return 0;
}

uint64_t
aw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double
aw_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
aw_backoff_init(struct aw_backoff *b, uint32_t min_ms, uint32_t max_ms)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	b->cur_ms = b->min_ms;
}

uint32_t
aw_backoff_next(struct aw_backoff *b)
{
	uint32_t d = b->cur_ms - (uint32_t)((uint64_t)b->cur_ms * (uint32_t)(rand() % 26) / 100);

	b->cur_ms = b->cur_ms > b->max_ms / 2 ? b->max_ms : b->cur_ms * 2;
	return d;
}

void
aw_backoff_reset(struct aw_backoff *b)
{
	b->cur_ms = b->min_ms;
}
