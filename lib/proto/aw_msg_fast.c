/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_fast — a decoder for the messages that arrive by the hundred
 * thousand: the map server's "service" push (at anyway-agent) and register /
 * deregister (at anyway-mapd), read straight from the line into struct aw_msg
 * without building a jansson tree (which cost about two thirds of the agent's
 * and of the map server's instructions per update).
 *
 * It is a strict subset of aw_msg_decode: it accepts only those messages when
 * their strings are plain printable ASCII (no escapes) and their numbers are
 * plain non-negative integers of at most 18 digits, with every check of the general
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

/* An IPv4 or IPv6 address string, as aw_msg_get_addr takes it. */
static bool
plain_addr(struct cur *c, struct aw_addr *a)
{
	char buf[AW_ADDR_STRLEN];
	const char *s;
	size_t n;

	if (!plain_str(c, &s, &n) || n == 0 || n >= sizeof(buf) || memchr(s, ' ', n) != NULL)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return aw_addr_parse(buf, a, NULL, 0) == 0;
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
		const char *k;
		size_t kn;
		unsigned bit;

		if (!plain_str(c, &k, &kn) || !eat(c, ':'))
			return false;
		if (key_is(k, kn, "addr")) {
			if (!plain_addr(c, &d->addr))
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

/* The members a fast-decoded message may have, as parsed so far. */
enum {
	F_OP = 1 << 0,
	F_VERSION = 1 << 1,
	F_SERVICE = 1 << 2,
	F_SID = 1 << 3,
	F_DESTS = 1 << 4,
	F_ADDR = 1 << 5,
	F_PORT = 1 << 6,
	F_PRIORITY = 1 << 7,
	F_WEIGHT = 1 << 8,
	F_TTL = 1 << 9,
	SVC_ALL = F_OP | F_VERSION | F_SERVICE | F_SID | F_DESTS,
	REG_REQ = F_OP | F_SERVICE | F_ADDR | F_PORT, /* deregister */
	REG_ALL = REG_REQ | F_PRIORITY | F_WEIGHT | F_TTL,
};

struct fields {
	const char *op, *service;
	size_t op_len, service_len;
	uint64_t version, port, priority, weight, ttl;
	struct aw_addr addr;
	uint8_t sid[8];
	uint32_t n;
	struct aw_msg_dest d[AW_MSG_MAX_DESTS];
};

static bool
plain_sid(struct cur *c, uint8_t sid[8])
{
	const char *s;
	size_t n;

	if (!plain_str(c, &s, &n) || n != 16)
		return false;
	for (size_t i = 0; i < 16; i++)
		if (aw_hex_digit((unsigned char)s[i]) < 0)
			return false;
	for (size_t i = 0; i < 8; i++)
		sid[i] = (uint8_t)(aw_hex_digit((unsigned char)s[2 * i]) << 4 |
				   aw_hex_digit((unsigned char)s[2 * i + 1]));
	return true;
}

/* One member, checked as every message that has it wants it; its F_ bit, or 0
 * to decline. */
static unsigned
member(struct cur *c, struct fields *f)
{
	const char *k;
	size_t kn;

	if (!plain_str(c, &k, &kn) || !eat(c, ':'))
		return 0;
	if (key_is(k, kn, "op"))
		return plain_str(c, &f->op, &f->op_len) ? F_OP : 0;
	if (key_is(k, kn, "version"))
		return plain_uint(c, (uint64_t)INT64_MAX, &f->version) ? F_VERSION : 0;
	if (key_is(k, kn, "service"))
		return plain_str(c, &f->service, &f->service_len) && f->service_len > 0 &&
		       f->service_len <= AW_MSG_URI_MAX ? F_SERVICE : 0;
	if (key_is(k, kn, "sid"))
		return plain_sid(c, f->sid) ? F_SID : 0;
	if (key_is(k, kn, "destinations"))
		return dests(c, f->d, &f->n) ? F_DESTS : 0;
	if (key_is(k, kn, "addr"))
		return plain_addr(c, &f->addr) ? F_ADDR : 0;
	if (key_is(k, kn, "port"))
		return plain_uint(c, UINT16_MAX, &f->port) && f->port >= 1 ? F_PORT : 0;
	if (key_is(k, kn, "priority"))
		return plain_uint(c, UINT16_MAX, &f->priority) ? F_PRIORITY : 0;
	if (key_is(k, kn, "weight"))
		return plain_uint(c, UINT16_MAX, &f->weight) ? F_WEIGHT : 0;
	if (key_is(k, kn, "ttl"))
		return plain_uint(c, AW_MSG_TTL_MAX, &f->ttl) && f->ttl >= 1 ? F_TTL : 0;
	return 0;
}

static bool
service_push(const struct fields *f, struct aw_msg *m)
{
	uint64_t sid = 0;

	memcpy(m->u.svc.service, f->service, f->service_len); /* zero-padded: m was zeroed */
	for (int i = 0; i < 8; i++)
		sid = sid << 8 | f->sid[i];
	m->u.svc.sid = aw_msg_sid(m->u.svc.service);
	if (sid != m->u.svc.sid)
		return false;
	if (f->n > 0) {
		m->u.svc.dests = malloc(f->n * sizeof(f->d[0]));
		if (m->u.svc.dests == NULL)
			return false;
		memcpy(m->u.svc.dests, f->d, f->n * sizeof(f->d[0]));
	}
	m->u.svc.n_dests = f->n;
	m->type = AW_MSG_SERVICE;
	m->has_version = true;
	m->version = f->version;
	return true;
}

/* register (every member) or deregister (priority, weight, ttl optional: 0). */
static void
registration(const struct fields *f, enum aw_msg_type type, struct aw_msg *m)
{
	struct aw_msg_reg *r = &m->u.reg;

	memcpy(r->service, f->service, f->service_len);
	r->addr = f->addr;
	r->port = (uint16_t)f->port;
	r->priority = (uint16_t)f->priority;
	r->weight = (uint16_t)f->weight;
	r->ttl = (uint32_t)f->ttl;
	m->type = type;
}

static bool
message(struct cur *c, struct aw_msg *m)
{
	struct fields f;
	unsigned seen = 0;

	f.n = 0;
	f.version = f.priority = f.weight = f.ttl = 0;
	if (!eat(c, '{'))
		return false;
	do {
		unsigned bit = member(c, &f);

		if (bit == 0 || (seen & bit))
			return false;
		seen |= bit;
	} while (eat(c, ','));
	if (!eat(c, '}'))
		return false;
	skip_ws(c);
	if (c->p != c->end || !(seen & F_OP))
		return false;
	if (key_is(f.op, f.op_len, "service"))
		return seen == SVC_ALL && service_push(&f, m);
	if (key_is(f.op, f.op_len, "register") && seen == REG_ALL) {
		registration(&f, AW_MSG_REGISTER, m);
		return true;
	}
	if (key_is(f.op, f.op_len, "deregister") && (seen & ~REG_ALL) == 0 &&
	    (seen & REG_REQ) == REG_REQ) {
		registration(&f, AW_MSG_DEREGISTER, m);
		return true;
	}
	return false;
}

int
aw_msg_decode_fast(const char *line, size_t len, struct aw_msg *out)
{
	struct cur c = {line, line + len};

	memset(out, 0, sizeof(*out));
	if (message(&c, out))
		return 1;
	memset(out, 0, sizeof(*out));
	return 0;
}
