/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS config keys for abuse resistance (dataplane/CONFIG.md, asrs section):
 *   asrs.snat             addresses, "first-last" ranges and prefixes, spread
 *                         over by the SNAT allocator;
 *   asrs.synproxy         {"default", "secret", "cookie_period_s"}: SYN
 *                         cookies / SYN proxy for TCP listeners;
 *   asrs.new_flow_limit   {"rate", "burst"}: new-flow work per lcore;
 *   listeners[i].synproxy per-listener override of asrs.synproxy.default.
 *
 * Contract: main thread at config load (aw_asrs_conf.c), and the API thread
 * for a listener's key (listener.add).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aw_asrs_priv.h"
#include "aw_hex.h"

/* Splits "first-last" (or "prefix/len") of s into an address list. */
static int
snat_range(struct aw_jctx *c, const char *p, const char *s, struct aw_addr *first,
	   uint64_t *count)
{
	char buf[96], e[128];
	const char *dash = strchr(s, '-');

	*count = 1;
	if (strchr(s, '/') != NULL) {
		struct aw_prefix pf;
		if (aw_network_parse(s, &pf, e, sizeof(e)) < 0)
			return aw_jc_bad(c, p, "%s", e);
		unsigned bits = (pf.addr.family == AW_AF_INET4 ? 32u : 128u) - pf.len;
		if (bits > 7)
			return aw_jc_bad(c, p, "prefix \"%s\" holds more than %d addresses", s,
					 AW_ASRS_MAX_SNAT);
		aw_prefix_mask(&pf);
		*first = pf.addr;
		*count = 1ull << bits;
		return 0;
	}
	if (dash == NULL)
		return aw_jc_parse_addr(c, p, s, first);
	if ((size_t)(dash - s) >= sizeof(buf))
		return aw_jc_bad(c, p, "range \"%s\": first address too long", s);
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = 0;
	struct aw_addr last;
	if (aw_jc_parse_addr(c, p, buf, first) < 0 || aw_jc_parse_addr(c, p, dash + 1, &last) < 0)
		return -1;
	if (first->family != last.family)
		return aw_jc_bad(c, p, "range \"%s\" mixes IPv4 and IPv6", s);
	unsigned alen = first->family == AW_AF_INET4 ? 4 : 16;
	if (memcmp(first->b, last.b, alen) > 0)
		return aw_jc_bad(c, p, "range \"%s\": first address above the last", s);
	/* d = last - first, byte by byte with borrow */
	uint8_t d[16];
	int borrow = 0;
	for (int k = (int)alen - 1; k >= 0; k--) {
		int x = (int)last.b[k] - first->b[k] - borrow;
		borrow = x < 0;
		d[k] = (uint8_t)(x + (borrow ? 256 : 0));
	}
	bool big = d[alen - 1] >= AW_ASRS_MAX_SNAT;
	for (unsigned k = 0; k + 1 < alen; k++)
		big = big || d[k] != 0;
	if (big)
		return aw_jc_bad(c, p, "range \"%s\" holds more than %d addresses", s,
				 AW_ASRS_MAX_SNAT);
	*count = (uint64_t)d[alen - 1] + 1;
	return 0;
}

static void
addr_add(struct aw_addr *a, unsigned k)
{
	unsigned alen = a->family == AW_AF_INET4 ? 4 : 16;

	for (int i = (int)alen - 1; i >= 0 && k != 0; i--) {
		unsigned v = a->b[i] + (k & 0xff);
		a->b[i] = (uint8_t)v;
		k = (k >> 8) + (v >> 8);
	}
}

int
aw_asrs_parse_snat(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (aw_jc_get_array(c, asrs, "asrs", "snat", false, 2 * AW_ASRS_MAX_SNAT, &arr) < 0)
		return -1;
	json_array_foreach (arr, i, v) {
		struct aw_addr a;
		uint64_t n;
		snprintf(p, sizeof(p), "asrs.snat[%zu]", i);
		if (!json_is_string(v))
			return aw_jc_bad(c, p, "expected address, range or prefix string, got %s",
					 aw_jc_type_name(v));
		if (snat_range(c, p, json_string_value(v), &a, &n) < 0)
			return -1;
		unsigned *cnt = a.family == AW_AF_INET4 ? &ac->n_snat4 : &ac->n_snat6;
		struct aw_addr *list = a.family == AW_AF_INET4 ? ac->snat4 : ac->snat6;
		if (*cnt + n > AW_ASRS_MAX_SNAT)
			return aw_jc_bad(c, p, "more than %d SNAT addresses of the family in all",
					 AW_ASRS_MAX_SNAT);
		for (unsigned k = 0; k < n; k++, addr_add(&a, 1)) {
			for (unsigned j = 0; j < *cnt; j++)
				if (aw_addr_eq(&list[j], &a)) {
					char buf[AW_ADDR_STRLEN];
					return aw_jc_bad(c, p, "listed twice: %s",
							 aw_addr_format(&a, buf, sizeof(buf)));
				}
			list[(*cnt)++] = a;
		}
	}
	return 0;
}

static int
get_bool(struct aw_jctx *c, json_t *obj, const char *path, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	char p[96];

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		aw_jc_subpath(p, sizeof(p), path, key);
		return aw_jc_bad(c, p, "expected true or false, got %s", aw_jc_type_name(v));
	}
	*out = json_is_true(v);
	return 0;
}

int
aw_asrs_parse_synproxy(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac)
{
	static const char *const keys[] = {"default", "secret", "cookie_period_s", NULL};
	json_t *o = json_object_get(asrs, "synproxy");
	const char *p = "asrs.synproxy", *hex = NULL;

	ac->synproxy_default = false;
	ac->synproxy_period_s = 64;
	ac->has_synproxy_secret = false;
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return aw_jc_bad(c, p, "expected object {default, secret, cookie_period_s}, got %s",
				 aw_jc_type_name(o));
	if (aw_jc_check_keys(c, o, p, keys) < 0 || get_bool(c, o, p, "default", &ac->synproxy_default) < 0 ||
	    AW_JC_GET_U32(c, o, p, "cookie_period_s", 1, 3600, 64, ac->synproxy_period_s) < 0 ||
	    aw_jc_get_string(c, o, p, "secret", false, &hex) < 0)
		return -1;
	if (hex == NULL)
		return 0;
	if (strlen(hex) != 32)
		return aw_jc_bad(c, "asrs.synproxy.secret", "expected 32 hex digits, got %zu characters",
				 strlen(hex));
	for (unsigned i = 0; i < 16; i++) {
		int h = aw_hex_digit(hex[2 * i]), l = aw_hex_digit(hex[2 * i + 1]);
		if (h < 0 || l < 0)
			return aw_jc_bad(c, "asrs.synproxy.secret", "not a hex digit at position %u",
					 h < 0 ? 2 * i : 2 * i + 1);
		ac->synproxy_secret[i] = (uint8_t)(h << 4 | l);
	}
	ac->has_synproxy_secret = true;
	return 0;
}

int
aw_asrs_parse_new_flow_limit(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac)
{
	static const char *const keys[] = {"rate", "burst", NULL};
	json_t *o = json_object_get(asrs, "new_flow_limit");
	const char *p = "asrs.new_flow_limit";

	ac->new_flow_rate = 0;
	ac->new_flow_burst = 0;
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return aw_jc_bad(c, p, "expected object {rate, burst}, got %s", aw_jc_type_name(o));
	if (aw_jc_check_keys(c, o, p, keys) < 0 ||
	    AW_JC_GET_U32(c, o, p, "rate", 0, 100000000, 0, ac->new_flow_rate) < 0 ||
	    AW_JC_GET_U32(c, o, p, "burst", 0, 100000000, 0, ac->new_flow_burst) < 0)
		return -1;
	if (ac->new_flow_burst == 0)
		ac->new_flow_burst = ac->new_flow_rate / 16 > 64 ? ac->new_flow_rate / 16 : 64;
	return 0;
}

int
aw_asrs_parse_lsn_synproxy(struct aw_jctx *c, json_t *obj, const char *path,
			   struct aw_lsn_conf *out)
{
	bool b = false;

	out->synproxy = -1;
	if (json_object_get(obj, "synproxy") == NULL)
		return 0;
	if (get_bool(c, obj, path, "synproxy", &b) < 0)
		return -1;
	if (b && out->proto != IPPROTO_TCP) {
		char p[96];
		aw_jc_subpath(p, sizeof(p), path, "synproxy");
		return aw_jc_bad(c, p, "only a TCP listener can have a SYN proxy");
	}
	out->synproxy = b ? 1 : 0;
	return 0;
}
