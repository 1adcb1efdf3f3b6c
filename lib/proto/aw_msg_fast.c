/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_fast — a decoder for the one message that arrives by the hundred
 * thousand: the map server's "service" push, read straight from the line into
 * struct aw_msg without building a jansson tree (which cost about two thirds
 * of anyway-agent's instructions per push).
 *
 * It is a strict subset of aw_msg_decode: it accepts only a service push whose
 * strings are plain printable ASCII (no escapes) and whose numbers are plain
 * non-negative integers of at most 18 digits, with every check of the general
 * decoder (members, types, ranges, addresses, duplicate destinations, the SID
 * against SHA-256 of the URI). Anything else, every malformed input included,
 * it declines, and aw_msg_decode runs the general decoder on the same line,
 * which accepts it or writes the precise error. So what is decoded, and every
 * error text, is the same with or without this file
 * (lib/proto/test_msg_fast.c checks that, also on mutated lines).
 *
 * Called only by aw_msg_decode; any thread, no state.
 */
#include "aw_msg_priv.h"
#include "aw_hex.h"

#include <stdlib.h>
#include <string.h>

struct cur {
	const char *p, *end;
};

static inline void
skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static inline bool
eat(struct cur *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* Bytes a plain string may hold: printable ASCII but '"' and '\\'. */
static const uint8_t plain[256] = {
	[0x20 ... 0x21] = 1, /* '"' is 0x22 */
	[0x23 ... 0x5b] = 1, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = 1,
};

/* A string of plain printable ASCII ('"' and '\\' excluded): its bytes. */
static bool
plain_str(struct cur *c, const char **s, size_t *n)
{
	if (!eat(c, '"'))
		return false;
	*s = c->p;
	while (c->p < c->end && plain[(unsigned char)*c->p])
		c->p++;
	if (c->p == c->end || *c->p != '"')
		return false;
	*n = (size_t)(c->p - *s);
	c->p++;
	return true;
}

/* A plain integer 0..max (no sign, no leading zero, at most 18 digits). */
static bool
plain_uint(struct cur *c, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *start;

	skip_ws(c);
	start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 19)
		v = v * 10 + (uint64_t)(*c->p++ - '0');
	if (c->p == start || c->p - start > 18 || (*start == '0' && c->p - start > 1) || v > max)
		return false;
	*out = v;
	return true;
}

static bool
key_is(const char *k, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* {"addr":..,"port":..,"priority":..,"weight":..} in any order, each once. */
static bool
dest(struct cur *c, struct aw_msg_dest *d)
{
	unsigned seen = 0;
	uint64_t v;

	if (!eat(c, '{'))
		return false;
	do {
		const char *k, *s;
		size_t kn, sn;
		unsigned bit;

		if (!plain_str(c, &k, &kn) || !eat(c, ':'))
			return false;
		if (key_is(k, kn, "addr")) {
			char buf[AW_ADDR_STRLEN];

			if (!plain_str(c, &s, &sn) || sn == 0 || sn >= sizeof(buf) ||
			    memchr(s, ' ', sn) != NULL)
				return false;
			memcpy(buf, s, sn);
			buf[sn] = '\0';
			if (aw_addr_parse(buf, &d->addr, NULL, 0) < 0)
				return false;
			bit = 1;
		} else if (key_is(k, kn, "port")) {
			if (!plain_uint(c, UINT16_MAX, &v) || v < 1)
				return false;
			d->port = (uint16_t)v;
			bit = 2;
		} else if (key_is(k, kn, "priority")) {
			if (!plain_uint(c, UINT16_MAX, &v))
				return false;
			d->priority = (uint16_t)v;
			bit = 4;
		} else if (key_is(k, kn, "weight")) {
			if (!plain_uint(c, UINT16_MAX, &v))
				return false;
			d->weight = (uint16_t)v;
			bit = 8;
		} else {
			return false;
		}
		if (seen & bit)
			return false;
		seen |= bit;
	} while (eat(c, ','));
	return seen == 15 && eat(c, '}');
}

/* The destination array into d[AW_MSG_MAX_DESTS]; no duplicate addr:port. */
static bool
dests(struct cur *c, struct aw_msg_dest *d, uint32_t *n)
{
	*n = 0;
	if (!eat(c, '['))
		return false;
	if (eat(c, ']'))
		return true;
	do {
		if (*n == AW_MSG_MAX_DESTS || !dest(c, &d[*n]))
			return false;
		for (uint32_t j = 0; j < *n; j++)
			if (d[j].port == d[*n].port && aw_addr_eq(&d[j].addr, &d[*n].addr))
				return false;
		(*n)++;
	} while (eat(c, ','));
	return eat(c, ']');
}

enum { F_OP = 1, F_VERSION = 2, F_SERVICE = 4, F_SID = 8, F_DESTS = 16, F_ALL = 31 };

/* One member of the push; its F_ bit, or 0 to decline. */
static unsigned
member(struct cur *c, struct aw_msg *m, uint8_t sid[8], struct aw_msg_dest *d, uint32_t *n)
{
	const char *k, *s;
	size_t kn, sn;

	if (!plain_str(c, &k, &kn) || !eat(c, ':'))
		return 0;
	if (key_is(k, kn, "op"))
		return plain_str(c, &s, &sn) && key_is(s, sn, "service") ? F_OP : 0;
	if (key_is(k, kn, "version"))
		return plain_uint(c, (uint64_t)INT64_MAX, &m->version) ? F_VERSION : 0;
	if (key_is(k, kn, "service")) {
		if (!plain_str(c, &s, &sn) || sn == 0 || sn > AW_MSG_URI_MAX)
			return 0;
		memcpy(m->u.svc.service, s, sn); /* zero-padded: m was zeroed */
		return F_SERVICE;
	}
	if (key_is(k, kn, "sid")) {
		if (!plain_str(c, &s, &sn) || sn != 16)
			return 0;
		for (size_t i = 0; i < 16; i++)
			if (aw_hex_digit((unsigned char)s[i]) < 0)
				return 0;
		for (size_t i = 0; i < 8; i++)
			sid[i] = (uint8_t)(aw_hex_digit((unsigned char)s[2 * i]) << 4 |
					   aw_hex_digit((unsigned char)s[2 * i + 1]));
		return F_SID;
	}
	if (key_is(k, kn, "destinations"))
		return dests(c, d, n) ? F_DESTS : 0;
	return 0;
}

static bool
service_push(struct cur *c, struct aw_msg *m)
{
	struct aw_msg_dest d[AW_MSG_MAX_DESTS];
	uint8_t b[8];
	uint32_t n = 0;
	unsigned seen = 0;
	uint64_t sid = 0;

	if (!eat(c, '{'))
		return false;
	do {
		unsigned bit = member(c, m, b, d, &n);

		if (bit == 0 || (seen & bit))
			return false;
		seen |= bit;
	} while (eat(c, ','));
	if (seen != F_ALL || !eat(c, '}'))
		return false;
	skip_ws(c);
	if (c->p != c->end)
		return false;
	for (int i = 0; i < 8; i++)
		sid = sid << 8 | b[i];
	m->u.svc.sid = aw_msg_sid(m->u.svc.service);
	if (sid != m->u.svc.sid)
		return false;
	if (n > 0) {
		m->u.svc.dests = malloc(n * sizeof(d[0]));
		if (m->u.svc.dests == NULL)
			return false;
		memcpy(m->u.svc.dests, d, n * sizeof(d[0]));
	}
	m->u.svc.n_dests = n;
	m->type = AW_MSG_SERVICE;
	m->has_version = true;
	return true;
}

int
aw_msg_decode_fast(const char *line, size_t len, struct aw_msg *out)
{
	struct cur c = {line, line + len};

	memset(out, 0, sizeof(*out));
	if (service_push(&c, out))
		return 1;
	memset(out, 0, sizeof(*out));
	return 0;
}
