/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_inet.h"
#include "aw_err.h"
#include "aw_hex.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>

int
aw_addr_parse(const char *s, struct aw_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return aw_errf(err, errlen, "empty address%s", "");
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, out->b) != 1)
			return aw_errf(err, errlen, "'%s' is not an IPv6 address", s);
		out->family = AW_AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, out->b) != 1)
		return aw_errf(err, errlen, "'%s' is not an IPv4 address (dotted quad)", s);
	out->family = AW_AF_INET4;
	return 0;
}

int
aw_prefix_parse(const char *s, bool require_len, struct aw_prefix *out, char *err,
		size_t errlen)
{
	char buf[AW_ADDR_STRLEN];
	const char *slash;
	size_t alen;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return aw_errf(err, errlen, "missing prefix%s", "");
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return aw_errf(err, errlen, "'%s' is not an address/length prefix", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (aw_addr_parse(buf, &out->addr, err, errlen) < 0)
		return -1;
	if (slash == NULL) {
		if (require_len)
			return aw_errf(err, errlen, "'%s' lacks a prefix length (/N)", s);
		out->len = (uint8_t)aw_family_bits(out->addr.family);
		return 0;
	}
	const char *p = slash + 1;
	if (*p == '\0' || strlen(p) > 3)
		return aw_errf(err, errlen, "'%s' has a bad prefix length", s);
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return aw_errf(err, errlen, "'%s' has a non-numeric prefix length", s);
	unsigned long len = strtoul(p, NULL, 10);
	if (len > aw_family_bits(out->addr.family)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "prefix length %lu exceeds %u in '%s'", len,
				 aw_family_bits(out->addr.family), s);
		return -1;
	}
	out->len = (uint8_t)len;
	return 0;
}

int
aw_network_parse(const char *s, struct aw_prefix *out, char *err, size_t errlen)
{
	struct aw_prefix net;
	char buf[AW_ADDR_STRLEN];

	if (aw_prefix_parse(s, true, out, err, errlen) < 0)
		return -1;
	net = *out;
	aw_prefix_mask(&net);
	if (!aw_addr_eq(&net.addr, &out->addr)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "'%s' has host bits set; did you mean %s?", s,
				 aw_prefix_format(&net, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

int
aw_mac_parse(const char *s, struct aw_mac *out, char *err, size_t errlen)
{
	if (s == NULL || strlen(s) != 17)
		return aw_errf(err, errlen, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)",
			    s ? s : "");
	for (int i = 0; i < 6; i++) {
		int hi = aw_hex_digit((unsigned char)s[i * 3]);
		int lo = aw_hex_digit((unsigned char)s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return aw_errf(err, errlen,
				    "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
		out->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

const char *
aw_addr_format(const struct aw_addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family == AW_AF_INET4 ? AF_INET : AF_INET6, a->b, buf,
		      (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

const char *
aw_prefix_format(const struct aw_prefix *p, char *buf, size_t len)
{
	char a[AW_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", aw_addr_format(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

const char *
aw_mac_format(const struct aw_mac *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2], m->b[3],
		 m->b[4], m->b[5]);
	return buf;
}

bool
aw_prefix_contains(const struct aw_prefix *p, const struct aw_addr *addr)
{
	unsigned full = p->len / 8, rem = p->len % 8;

	if (p->addr.family != addr->family)
		return false;
	if (memcmp(p->addr.b, addr->b, full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (p->addr.b[full] & mask) == (addr->b[full] & mask);
}

void
aw_prefix_mask(struct aw_prefix *p)
{
	unsigned full = p->len / 8, rem = p->len % 8;

	if (full < 16) {
		if (rem)
			p->addr.b[full++] &= (uint8_t)(0xff << (8 - rem));
		memset(p->addr.b + full, 0, 16 - full);
	}
	if (p->addr.family == AW_AF_INET4)
		memset(p->addr.b + 4, 0, 12);
}
