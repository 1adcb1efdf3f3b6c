/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_jw — a small JSON text writer for the hot paths of the control daemons
 * (the agent's batch calls), where building jansson objects only to dump them
 * costs more than the work itself. The caller writes the structure; this
 * module appends raw text, escaped strings and integers to a growing buffer.
 *
 * Contract: one writer per user, one thread. On out of memory the writer
 * keeps what it has and sets oom; the caller checks oom before using buf.
 */
#ifndef AW_JW_H
#define AW_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_inet.h"

struct aw_jw {
	char *buf; /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool oom;
};

void aw_jw_init(struct aw_jw *w);
void aw_jw_free(struct aw_jw *w);
/* Empty it, keeping the memory. */
void aw_jw_reset(struct aw_jw *w);
void aw_jw_raw(struct aw_jw *w, const char *s, size_t n);
void aw_jw_lit(struct aw_jw *w, const char *s);
/* A JSON string: quotes, escapes for '"', '\\' and control characters. */
void aw_jw_str(struct aw_jw *w, const char *s);
void aw_jw_u64(struct aw_jw *w, uint64_t v);
/* An address as a JSON string, the text aw_addr_format() gives (IPv4 written
 * here digit by digit, IPv6 through aw_addr_format). */
void aw_jw_addr(struct aw_jw *w, const struct aw_addr *a);
/* One destination object as SPEC §7.1 pushes and dataplane/API.md take it:
 * {"addr":A,"port":N,"priority":N,"weight":N}. */
void aw_jw_dest(struct aw_jw *w, const struct aw_addr *addr, uint16_t port, uint16_t priority,
		uint16_t weight);

#endif /* AW_JW_H */
