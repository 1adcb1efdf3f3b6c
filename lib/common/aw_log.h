/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_log — the control daemons' log lines (SPEC §11): one line per event on
 * stderr with a level. When stderr is the journal ($JOURNAL_STREAM set, as
 * systemd does for StandardError=journal) each line starts with the
 * sd-daemon priority prefix "<N>" (journald strips it and keeps the level);
 * otherwise it reads "PROG: LEVEL: message". Lines above the level set with
 * aw_log_set_level (--log-level) are not written.
 *
 * Two helpers for lines a peer or a packet can make repeat:
 *   aw_log_rep: a repeated identical line (a reconnect error) is condensed:
 *     printed once, then counted, and "... (repeated N times in S s)" is
 *     written when the text changes, when aw_log_rep_flush is called, or at
 *     most every AW_LOG_REP_WINDOW_MS while it keeps repeating;
 *   aw_log_rl: at most AW_LOG_RL_BURST lines per AW_LOG_RL_WINDOW_MS, then
 *     one "N similar messages suppressed" line per window.
 *
 * Contract: aw_log_init / aw_log_set_level on the main thread before other
 * threads start; aw_log from any thread (one write(2) per line); an
 * aw_log_rep / aw_log_rl state belongs to one thread. No EAL.
 */
#ifndef AW_LOG_H
#define AW_LOG_H

#include <stdint.h>

/* syslog(3) numbers, as the journal wants them. */
enum aw_log_level {
	AW_LOG_ERR = 3,
	AW_LOG_WARNING = 4,
	AW_LOG_NOTICE = 5,
	AW_LOG_INFO = 6,
	AW_LOG_DEBUG = 7,
};

#define AW_LOG_REP_WINDOW_MS 60000u
#define AW_LOG_RL_WINDOW_MS 10000u
#define AW_LOG_RL_BURST 10u
#define AW_LOG_LINE_MAX 1024

/* prog: the name in plain lines; the journal mode comes from $JOURNAL_STREAM. */
void aw_log_init(const char *prog);
void aw_log_set_level(enum aw_log_level l);
/* Where lines go (default stderr; the data plane keeps its events on stdout). */
void aw_log_set_fd(int fd);
enum aw_log_level aw_log_get_level(void);
/* "error", "warning", "notice", "info" or "debug" (also "err", "warn") →
 * 0 and *out; -1 otherwise. */
int aw_log_parse_level(const char *s, enum aw_log_level *out);
#define AW_LOG_LEVELS "error, warning, notice, info or debug"
/* --log-level ARG of program prog: sets the level, or prints
 * "prog: --log-level: expected ..., got 'ARG'" and returns -1 (exit 2). */
int aw_log_option(const char *prog, const char *arg);
#define AW_LOG_USAGE "  --log-level LEVEL      " AW_LOG_LEVELS " (default info)\n"

__attribute__((format(printf, 2, 3))) void aw_log(enum aw_log_level l, const char *fmt, ...);

struct aw_log_rep {
	char last[AW_LOG_LINE_MAX];
	enum aw_log_level level;
	uint64_t first_ms; /* when `last` was first printed */
	uint32_t repeats;  /* not printed since */
};

__attribute__((format(printf, 3, 4))) void aw_log_rep(struct aw_log_rep *r, enum aw_log_level l,
						      const char *fmt, ...);
/* Writes the pending "(repeated ...)" line, if any, and forgets the text. */
void aw_log_rep_flush(struct aw_log_rep *r);

struct aw_log_rl {
	uint64_t window_ms;
	uint32_t n, suppressed;
};

__attribute__((format(printf, 3, 4))) void aw_log_rl(struct aw_log_rl *r, enum aw_log_level l,
						     const char *fmt, ...);

#endif /* AW_LOG_H */
