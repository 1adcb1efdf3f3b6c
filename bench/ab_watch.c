/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_watch — phase bounds and signals for anyway-bench (see ab_watch.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ab_watch.h"

#define TICK_NS 100000000ull
#define NS 1000000000ull

static volatile bool *stop_flag;
static const char *volatile phase = "start-up";
static volatile uint64_t deadline_ns;  /* 0: the phase has no bound */
static volatile uint64_t bound_ns;     /* the phase's bound, for the message */
static volatile sig_atomic_t got_sig;
static volatile uint64_t sig_ns;   /* the signal, or the phase entered after it */
static const char *volatile sig_phase = "";

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);  /* async-signal-safe */
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* write(2) of a few strings: usable in a signal handler */
static void
say(const char *a, const char *b, const char *c)
{
	const char *part[3] = {a, b, c};

	for (int i = 0; i < 3; i++)
		if (part[i] != NULL && write(STDERR_FILENO, part[i], strlen(part[i])) < 0)
			return;
}

static void
on_signal(int sig)
{
	if (got_sig != 0) {
		say("anyway-bench: second signal during ", phase, ": exiting now\n");
		_exit(128 + sig);
	}
	sig_ns = now_ns();
	sig_phase = phase;
	got_sig = sig;
	*stop_flag = true;
}

static void *
watchdog(void *arg)
{
	const struct timespec tick = {.tv_nsec = TICK_NS};
	char msg[256];

	(void)arg;
	for (;;) {
		nanosleep(&tick, NULL);
		uint64_t now = now_ns(), dl = deadline_ns;
		int sig = got_sig;
		if (sig != 0 && now - sig_ns > AB_WATCH_GRACE_S * NS) {
			snprintf(msg, sizeof(msg), "anyway-bench: signal %d received during %s; "
				 "%s did not end within %d s of it: exiting\n", sig, sig_phase,
				 phase, AB_WATCH_GRACE_S);
			say(msg, NULL, NULL);
			_exit(128 + sig);
		}
		if (dl != 0 && now > dl) {
			snprintf(msg, sizeof(msg), "anyway-bench: %s did not end within %.0f s "
				 "(its bound): giving up\n", phase, (double)bound_ns / NS);
			say(msg, NULL, NULL);
			_exit(1);
		}
	}
	return NULL;
}

int
ab_watch_start(volatile bool *stop)
{
	struct sigaction sa;
	pthread_t t;

	stop_flag = stop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	if (pthread_create(&t, NULL, watchdog, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

void
ab_watch_phase(const char *name, double bound_s)
{
	deadline_ns = 0;
	if (got_sig != 0)
		sig_ns = now_ns();  /* moving on towards the exit: grace again */
	phase = name;
	bound_ns = (uint64_t)(bound_s * (double)NS);
	if (bound_s > 0)
		deadline_ns = now_ns() + bound_ns;
}

void
ab_watch_alive(double bound_s)
{
	bound_ns = (uint64_t)(bound_s * (double)NS);
	deadline_ns = now_ns() + bound_ns;
}

int
ab_watch_signal(void)
{
	return got_sig;
}

const char *
ab_watch_signal_phase(void)
{
	return sig_phase;
}
