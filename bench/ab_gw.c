/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_gw — capsules of the gateway scenarios (see ab_gw.h). Hot path:
 * ab_gw_inner, ab_gw_seal and ab_gw_open, a burst at a time.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "ab_gw.h"
#include "aw_be.h"
#include "aw_err.h"
#include "aw_trs_crypto.h"
#include "aw_trs_msg.h"

#define L3_OFF   14u
#define L4_OFF   (14u + 20u)
#define MSG_OFF  AB_GW_OUTER_LEN
#define CHUNK    64u
#define PORT_SPAN 64512u /* as ab_traffic.c: source ports 1024..65535 */

uint32_t
ab_gw_max_pkt(unsigned suite)
{
	uint32_t pt = AB_GW_MTU - 28;

	while (pt > 0 && 28 + aw_trs_sealed_len(suite, pt) > AB_GW_MTU)
		pt--;
	return pt + L3_OFF;
}

static inline uint32_t
get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static inline void
ip_cksum(uint8_t *ip)
{
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

/* Outer IPv4 / UDP / TRS header of flow `flow`, message of msg_len bytes, at
 * frame p (Ethernet first). */
static inline void
outer_of(const struct ab_gw *w, uint8_t *p, uint32_t flow, uint32_t seq, size_t msg_len)
{
	uint8_t *ip = p + L3_OFF, *udp = p + L4_OFF, *msg = p + MSG_OFF;

	memcpy(p, w->outer, sizeof(w->outer));
	aw_be16_put(ip + 2, (uint16_t)(28 + msg_len));
	ip_cksum(ip);
	aw_be16_put(udp, (uint16_t)(1024 + (w->sport0 + flow) % PORT_SPAN));
	aw_be16_put(udp + 4, (uint16_t)(8 + msg_len));
	aw_be32_put(msg + AW_TRS_OFF_TXID, flow + 1);
	aw_be32_put(msg + AW_TRS_OFF_SEQ, seq);
	aw_be32_put(msg + AW_TRS_OFF_ID + 12, flow);
}

/* Keys as bench/templates.py's path_key(f). */
static int
make_keys(struct ab_gw *w, uint32_t n, char *err, size_t errlen)
{
	w->keys = aligned_alloc(64, ((sizeof(*w->keys) * n + 63) / 64) * 64);
	if (w->keys == NULL)
		return aw_errf(err, errlen, "gateway: out of memory for %u keys", n);
	for (uint32_t i = 0; i < n; i++) {
		char name[64];
		uint8_t key[SHA256_DIGEST_LENGTH];
		int k = snprintf(name, sizeof(name), "anyway-bench path %u", i);
		SHA256((const unsigned char *)name, (size_t)k, key);
		if (aw_trs_key_init(&w->keys[i], key, w->suite) != AW_TRS_OK)
			return aw_errf(err, errlen, "--suite: %u: key setup failed", w->suite);
		w->n = i + 1;
	}
	return 0;
}

/* The outer template: Ethernet, IPv4 (no options), UDP, a TRS CAPSULE header. */
static int
load_outer(struct ab_gw *w, const char *path, char *err, size_t errlen)
{
	struct ab_raw r;

	if (ab_raw_load(&r, path, 1, err, errlen) < 0)
		return -1;
	if (r.n == 0) {
		ab_raw_free(&r);
		return aw_errf(err, errlen, "%s: missing; bench/templates.py writes it", path);
	}
	const uint8_t *p = r.data[0];
	int ok = r.len[0] >= sizeof(w->outer) && p[12] == 0x08 && p[13] == 0x00 &&
		 p[L3_OFF] == 0x45 && p[L3_OFF + 9] == IPPROTO_UDP &&
		 p[MSG_OFF + AW_TRS_OFF_TYPE] == AW_TRS_T_CAPSULE;
	if (ok) {
		memcpy(w->outer, p, sizeof(w->outer));
		w->sport0 = (uint16_t)(p[L4_OFF] << 8 | p[L4_OFF + 1]);
	}
	ab_raw_free(&r);
	if (!ok)
		return aw_errf(err, errlen, "%s: expected Ethernet / IPv4 (no options) / UDP / a "
			    "TRS CAPSULE header", path);
	return 0;
}

/* Suite 1's IV of a capsule: any value does (the data plane reads it); distinct
 * per flow and seq, no randomness needed for a benchmark. */
static inline void
iv_of(uint32_t flow, uint64_t seq, uint8_t iv[16])
{
	uint64_t a = (seq ^ ((uint64_t)flow << 40)) * 0x9E3779B97F4A7C15ull, b = a ^ (a >> 29);
	b *= 0xBF58476D1CE4E5B9ull;
	memcpy(iv, &a, 8);
	memcpy(iv + 8, &b, 8);
}

/* One binding capsule per flow, seq 1: inner UDP from node f to the
 * template's other address, no payload. */
static int
make_setup(const struct ab_gw *w, const struct ab_frame *f, uint32_t flows, struct ab_raw *r,
	   char *err, size_t errlen)
{
	r->len = calloc(flows, sizeof(*r->len));
	r->data = calloc(flows, sizeof(*r->data));
	if (r->len == NULL || r->data == NULL)
		return aw_errf(err, errlen, "gateway: out of memory for %u binding capsules", flows);
	for (uint32_t i = 0; i < flows; i++) {
		uint8_t *p = r->data[i], *pt = p + MSG_OFF + w->pt_off, iv[16];
		const size_t len = aw_trs_sealed_len(w->suite, 28);
		size_t out = 0;

		memcpy(pt, f->hdr + f->l3_off, 28);
		aw_be16_put(pt + 2, 28);
		aw_be16_put(pt + 20 + 4, 8);
		memset(pt + 20 + 6, 0, 2);
		if (w->inbound)
			aw_be32_put(pt + 12, w->node0 + i);
		else {
			memcpy(pt + 16, pt + 12, 4); /* to the sender of the plain traffic */
			aw_be32_put(pt + 12, w->node0 + i);
		}
		ip_cksum(pt);
		outer_of(w, p, i, 1, len);
		iv_of(i, 0, iv);
		if (MSG_OFF + len > AB_TMPL_MAX_HDR ||
		    aw_trs_seal(w->e, &w->keys[i], p + MSG_OFF, len, 28, iv, &out) != AW_TRS_OK ||
		    out != len)
			return aw_errf(err, errlen, "gateway: binding capsule %u: seal failed", i);
		r->len[i] = (uint16_t)(MSG_OFF + len);
		r->n = i + 1;
	}
	return 0;
}

int
ab_gw_init(struct ab_gw *w, bool inbound, const struct ab_tmpl *t, const char *outer_path,
	   uint32_t flows, unsigned suite, struct ab_raw *setup, char *err, size_t errlen)
{
	const struct ab_frame *f = &t->f[0];

	memset(w, 0, sizeof(*w));
	w->inbound = inbound;
	w->suite = suite;
	w->pt_off = (unsigned)aw_trs_pt_offset(suite);
	if (flows > AB_GW_MAX_PATHS)
		return aw_errf(err, errlen, "--flows: %u: a gateway scenario binds one gateway path "
			    "per flow, at most %u", flows, AB_GW_MAX_PATHS);
	if (t->pkt_size > ab_gw_max_pkt(suite))
		return aw_errf(err, errlen, "--pkt-size: %u: the inner frame of a suite-%u capsule is "
			    "at most %u bytes (the capsule's outer IPv4 packet within the %u-byte "
			    "MTU)", t->pkt_size, suite, ab_gw_max_pkt(suite), AB_GW_MTU);
	if (t->n != 1 || f->v6 || f->proto != IPPROTO_UDP || f->l4_off != f->l3_off + 20)
		return aw_errf(err, errlen, "gateway template: expected one IPv4 (no options) / UDP "
			    "frame");
	w->node0 = get32(f->hdr + f->l3_off + (inbound ? 12 : 16));
	w->e = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);
	if (w->e == NULL)
		w->e = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	if (w->e == NULL) {
		aw_errf(err, errlen, "gateway: no crypto engine");
		goto bad;
	}
	if (load_outer(w, outer_path, err, errlen) < 0 || make_keys(w, flows, err, errlen) < 0 ||
	    make_setup(w, f, flows, setup, err, errlen) < 0)
		goto bad;
	return 0;
bad:
	ab_raw_free(setup);
	ab_gw_free(w);
	return -1;
}

void
ab_gw_free(struct ab_gw *w)
{
	for (uint32_t i = 0; w->keys != NULL && i < w->n; i++)
		aw_trs_key_wipe(&w->keys[i]);
	free(w->keys);
	if (w->e != NULL)
		aw_trs_engine_free(w->e);
	memset(w, 0, sizeof(*w));
}

void
ab_gw_inner(const struct ab_gw *w, uint8_t *p, const struct ab_frame *f, uint32_t flow)
{
	uint8_t *ip = p + f->l3_off;

	aw_be32_put(ip + (w->inbound ? 12 : 16), w->node0 + flow);
	ip_cksum(ip);
}

/* Lays inner frame m out as a capsule of flow `flow`: outer headers in front
 * of the inner IP packet, which becomes the plaintext. False: no room. */
static inline bool
wrap_one(const struct ab_gw *w, struct rte_mbuf *m, uint32_t flow, uint32_t seq,
	 struct aw_trs_creq *rq)
{
	const uint32_t inner = rte_pktmbuf_data_len(m) - L3_OFF;
	const size_t len = aw_trs_sealed_len(w->suite, inner);
	const uint16_t grow = (uint16_t)(MSG_OFF - L3_OFF + w->pt_off);

	if (rte_pktmbuf_headroom(m) < grow ||
	    (size_t)rte_pktmbuf_tailroom(m) + grow + rte_pktmbuf_data_len(m) < MSG_OFF + len)
		return false;
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, grow);
	outer_of(w, p, flow, seq, len);
	m->data_len = (uint16_t)(MSG_OFF + len);
	m->pkt_len = MSG_OFF + (uint32_t)len;
	*rq = (struct aw_trs_creq){.key = &w->keys[flow], .msg = p + MSG_OFF, .cap = len,
				   .pt_len = inner};
	return true;
}

unsigned
ab_gw_seal(const struct ab_gw *w, struct rte_mbuf **m, const uint32_t *flow, const uint64_t *seq,
	   unsigned n)
{
	unsigned failed = 0;

	for (unsigned base = 0; base < n; base += CHUNK) {
		const unsigned end = RTE_MIN(base + CHUNK, n);
		struct aw_trs_creq rq[CHUNK];
		uint8_t iv[CHUNK][16];
		int res[CHUNK];
		unsigned k = 0;

		for (unsigned i = base; i < end; i++) {
			if (!wrap_one(w, m[i], flow[i], (uint32_t)seq[i] + 2, &rq[k])) {
				failed++;
				continue;
			}
			if (w->suite == AW_TRS_SUITE_CBC_HMAC_MD5) {
				iv_of(flow[i], seq[i] + 1, iv[k]);
				rq[k].iv = iv[k];
			}
			k++;
		}
		failed += k - aw_trs_seal_burst(w->e, rq, k, res);
	}
	return failed;
}

/* The capsule in m from the gateway port, or false. */
static inline bool
parse_capsule(const struct ab_gw *w, struct rte_mbuf *m, struct aw_trs_oreq *rq)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	const uint32_t dl = rte_pktmbuf_data_len(m);

	if (dl < MSG_OFF + AW_TRS_MIN_LEN || p[12] != 0x08 || p[13] != 0x00 ||
	    p[L3_OFF] != 0x45 || p[L3_OFF + 9] != IPPROTO_UDP)
		return false;
	/* from the gateway port (or to it: testpmd io sends the generator's back) */
	if (memcmp(p + L4_OFF, w->outer + L4_OFF + 2, 2) != 0 &&
	    memcmp(p + L4_OFF + 2, w->outer + L4_OFF + 2, 2) != 0)
		return false;
	const uint32_t len = (uint32_t)(p[L4_OFF + 4] << 8 | p[L4_OFF + 5]) - 8u;
	uint8_t *msg = p + MSG_OFF;
	const uint32_t flow = get32(msg + AW_TRS_OFF_ID + 12);
	if (len > dl - MSG_OFF || flow >= w->n ||
	    memcmp(msg + AW_TRS_OFF_ID, w->outer + MSG_OFF + AW_TRS_OFF_ID, 12) != 0)
		return false;
	*rq = (struct aw_trs_oreq){.key = &w->keys[flow], .msg = msg, .len = len};
	return true;
}

static inline void
make_empty(struct rte_mbuf *m)
{
	m->data_len = 0;
	m->pkt_len = 0;
}

void
ab_gw_open(const struct ab_gw *w, struct rte_mbuf **m, unsigned n, bool strict)
{
	for (unsigned base = 0; base < n; base += CHUNK) {
		const unsigned end = RTE_MIN(base + CHUNK, n);
		struct aw_trs_oreq rq[CHUNK];
		struct rte_mbuf *at[CHUNK];
		int res[CHUNK];
		unsigned k = 0;

		for (unsigned i = base; i < end; i++) {
			const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
			if (rte_pktmbuf_data_len(m[i]) >= 14 && p[12] == 0x08 && p[13] == 0x06)
				continue; /* ARP: the sink counts it as other */
			const bool cap = parse_capsule(w, m[i], &rq[k]);
			if (strict && cap == w->inbound)
				make_empty(m[i]); /* not what the data plane should send */
			else if (cap)
				at[k++] = m[i];
		}
		aw_trs_open_burst(w->e, rq, k, res);
		for (unsigned j = 0; j < k; j++) {
			uint8_t *pt = rq[j].msg + rq[j].pt_off;
			if (res[j] != AW_TRS_OK || rq[j].pt_len == 0) {
				make_empty(at[j]);
				continue;
			}
			/* the inner packet behind an Ethernet header, as it was sent */
			memcpy(pt - L3_OFF, w->outer, 12);
			aw_be16_put(pt - 2, (pt[0] >> 4) == 6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
			at[j]->data_off = (uint16_t)(pt - L3_OFF - (uint8_t *)at[j]->buf_addr);
			at[j]->data_len = (uint16_t)(rq[j].pt_len + L3_OFF);
			at[j]->pkt_len = (uint32_t)rq[j].pt_len + L3_OFF;
		}
	}
}

int
ab_gw_check_config(json_t *root, const char *path, uint32_t flows, unsigned suite, char *err,
		   size_t errlen)
{
	json_t *gws = json_object_get(root, "gateways"), *s;
	size_t have = json_is_array(gws) ? json_array_size(gws) : 0;

	if (json_object_get(root, "gateway") == NULL || have < flows)
		return aw_errf(err, errlen, "--flows %u: the gateway scenario uses %u gateway paths "
			    "but %s installs %zu (gateways[]); make it with bench/templates.py "
			    "--flows %u", flows, flows, path, have, flows);
	s = json_object_get(json_array_get(gws, 0), "suite");
	if (!json_is_integer(s) || json_integer_value(s) != (json_int_t)suite)
		return aw_errf(err, errlen, "--suite %u: %s installs gateway paths of suite %lld; "
			    "make it with bench/templates.py --suite %u", suite, path,
			    json_is_integer(s) ? (long long)json_integer_value(s) : -1LL, suite);
	return 0;
}
