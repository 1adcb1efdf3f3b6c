/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_jw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
aw_jw_init(struct aw_jw *w)
{
	memset(w, 0, sizeof(*w));
}

void
aw_jw_free(struct aw_jw *w)
{
	free(w->buf);
	aw_jw_init(w);
}

void
aw_jw_reset(struct aw_jw *w)
{
	w->len = 0;
	w->oom = false;
	if (w->buf != NULL)
		w->buf[0] = '\0';
}

static bool
room(struct aw_jw *w, size_t n)
{
	if (w->len + n + 1 <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < w->len + n + 1)
		cap *= 2;
	char *p = realloc(w->buf, cap);
	if (p == NULL) {
		w->oom = true;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

void
aw_jw_raw(struct aw_jw *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void
aw_jw_lit(struct aw_jw *w, const char *s)
{
	aw_jw_raw(w, s, strlen(s));
}

void
aw_jw_str(struct aw_jw *w, const char *s)
{
	size_t n = strlen(s);

	if (!room(w, 6 * n + 2))
		return;
	char *o = w->buf + w->len;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20) {
			o += sprintf(o, "\\u%04x", c);
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	*o = '\0';
	w->len = (size_t)(o - w->buf);
}

void
aw_jw_u64(struct aw_jw *w, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	aw_jw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* One octet in decimal at o; returns the end. */
static char *
octet(char *o, unsigned v)
{
	if (v >= 100)
		*o++ = (char)('0' + v / 100);
	if (v >= 10)
		*o++ = (char)('0' + v / 10 % 10);
	*o++ = (char)('0' + v % 10);
	return o;
}

void
aw_jw_addr(struct aw_jw *w, const struct aw_addr *a)
{
	char buf[AW_ADDR_STRLEN + 2], *o = buf;

	*o++ = '"';
	if (a->family == AW_AF_INET4) {
		for (int i = 0; i < 4; i++) {
			if (i)
				*o++ = '.';
			o = octet(o, a->b[i]);
		}
	} else {
		aw_addr_format(a, o, AW_ADDR_STRLEN);
		o += strlen(o);
	}
	*o++ = '"';
	aw_jw_raw(w, buf, (size_t)(o - buf));
}

void
aw_jw_dest(struct aw_jw *w, const struct aw_addr *addr, uint16_t port, uint16_t priority,
	   uint16_t weight)
{
	aw_jw_lit(w, "{\"addr\":");
	aw_jw_addr(w, addr);
	aw_jw_lit(w, ",\"port\":");
	aw_jw_u64(w, port);
	aw_jw_lit(w, ",\"priority\":");
	aw_jw_u64(w, priority);
	aw_jw_lit(w, ",\"weight\":");
	aw_jw_u64(w, weight);
	aw_jw_lit(w, "}");
}
