/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_log — leveled, journald-aware, condensed log lines (contract in aw_log.h). */
#include "aw_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_prog[64] = "anyway";
static int log_journal;
static enum aw_log_level log_level = AW_LOG_INFO;
static int log_fd = STDERR_FILENO;

static const char *const level_names[8] = {
	[AW_LOG_ERR] = "error",	  [AW_LOG_WARNING] = "warning", [AW_LOG_NOTICE] = "notice",
	[AW_LOG_INFO] = "info",	  [AW_LOG_DEBUG] = "debug",
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
aw_log_init(const char *prog)
{
	const char *js = getenv("JOURNAL_STREAM");

	snprintf(log_prog, sizeof(log_prog), "%s", prog);
	log_journal = js != NULL && js[0] != '\0';
}

void
aw_log_set_fd(int fd)
{
	log_fd = fd;
}

void
aw_log_set_level(enum aw_log_level l)
{
	log_level = l;
}

enum aw_log_level
aw_log_get_level(void)
{
	return log_level;
}

int
aw_log_parse_level(const char *s, enum aw_log_level *out)
{
	static const struct {
		const char *name;
		enum aw_log_level l;
	} names[] = {{"error", AW_LOG_ERR},	  {"err", AW_LOG_ERR},	   {"warning", AW_LOG_WARNING},
		     {"warn", AW_LOG_WARNING},	  {"notice", AW_LOG_NOTICE}, {"info", AW_LOG_INFO},
		     {"debug", AW_LOG_DEBUG}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].l;
			return 0;
		}
	return -1;
}

int
aw_log_option(const char *prog, const char *arg)
{
	enum aw_log_level l;

	if (aw_log_parse_level(arg, &l) < 0) {
		fprintf(stderr, "%s: --log-level: expected " AW_LOG_LEVELS ", got '%.40s'\n", prog, arg);
		return -1;
	}
	log_level = l;
	return 0;
}

/* One line, one write(2): lines of several threads never interleave. */
static void
emit(enum aw_log_level l, const char *msg)
{
	char line[AW_LOG_LINE_MAX + 96];
	int n;

	if (l > log_level)
		return;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s\n", (int)l, msg);
	else
		n = snprintf(line, sizeof(line), "%s: %s: %s\n", log_prog, level_names[l], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(log_fd, line, (size_t)n);
}

static void
format(char *buf, const char *fmt, va_list ap)
{
	vsnprintf(buf, AW_LOG_LINE_MAX, fmt, ap);
	for (char *p = buf; *p != '\0'; p++) /* one event, one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void
aw_log(enum aw_log_level l, const char *fmt, ...)
{
	char msg[AW_LOG_LINE_MAX];
	va_list ap;

	if (l > log_level)
		return;
	va_start(ap, fmt);
	format(msg, fmt, ap);
	va_end(ap);
	emit(l, msg);
}

void
aw_log_rep_flush(struct aw_log_rep *r)
{
	char msg[AW_LOG_LINE_MAX + 64];

	if (r->repeats > 0) {
		snprintf(msg, sizeof(msg), "%.*s (repeated %u times in %llu s)", AW_LOG_LINE_MAX - 64,
			 r->last, r->repeats,
			 (unsigned long long)((now_ms() - r->first_ms + 999) / 1000));
		emit(r->level, msg);
	}
	r->repeats = 0;
	r->last[0] = '\0';
}

void
aw_log_rep(struct aw_log_rep *r, enum aw_log_level l, const char *fmt, ...)
{
	char msg[AW_LOG_LINE_MAX];
	uint64_t now = now_ms();
	va_list ap;

	va_start(ap, fmt);
	format(msg, fmt, ap);
	va_end(ap);
	if (r->last[0] != '\0' && strcmp(msg, r->last) == 0 && l == r->level) {
		r->repeats++;
		if (now - r->first_ms < AW_LOG_REP_WINDOW_MS)
			return;
		aw_log_rep_flush(r); /* a summary a window, then start counting again */
		r->first_ms = now;
		memcpy(r->last, msg, sizeof(msg));
		r->level = l;
		return;
	}
	aw_log_rep_flush(r);
	emit(l, msg);
	memcpy(r->last, msg, sizeof(msg));
	r->level = l;
	r->first_ms = now;
}

void
aw_log_rl(struct aw_log_rl *r, enum aw_log_level l, const char *fmt, ...)
{
	char msg[AW_LOG_LINE_MAX];
	uint64_t now = now_ms();
	va_list ap;

	if (r->window_ms == 0 || now - r->window_ms >= AW_LOG_RL_WINDOW_MS) {
		if (r->suppressed > 0) {
			snprintf(msg, sizeof(msg), "%u similar messages suppressed in %u s", r->suppressed,
				 AW_LOG_RL_WINDOW_MS / 1000u);
			emit(AW_LOG_WARNING, msg);
		}
		r->window_ms = now ? now : 1;
		r->n = r->suppressed = 0;
	}
	if (r->n >= AW_LOG_RL_BURST) {
		r->suppressed++;
		return;
	}
	r->n++;
	va_start(ap, fmt);
	format(msg, fmt, ap);
	va_end(ap);
	emit(l, msg);
}
