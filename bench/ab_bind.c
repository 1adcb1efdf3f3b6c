/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_bind — HOLE_PUNCHING frames that bind the TRS scenarios' relay paths
 * (see ab_bind.h). Not timed: runs before the measured phase.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "ab_bind.h"
#include "aw_be.h"
#include "aw_err.h"
#include "aw_trs_crypto.h"
#include "aw_trs_msg.h"

#define L3_OFF    14u
#define L4_OFF    (14u + 20u)
#define PORT_SPAN 64512u /* as ab_traffic.c and templates.py */

static inline uint32_t
get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

/* Ethernet / IPv4 without options / UDP: the first AB_BIND_HDR bytes of p
 * into out. False when p is not that. */
static bool
take_hdr(const uint8_t *p, size_t len, uint8_t out[AB_BIND_HDR], uint16_t *sport)
{
	if (len < AB_BIND_HDR || p[12] != 0x08 || p[13] != 0x00 || p[L3_OFF] != 0x45 ||
	    p[L3_OFF + 9] != IPPROTO_UDP)
		return false;
	memcpy(out, p, AB_BIND_HDR);
	*sport = (uint16_t)(p[L4_OFF] << 8 | p[L4_OFF + 1]);
	return true;
}

/* Side B's headers: frame 0 of bind_path. */
static int
load_side_b(struct ab_bind *b, const char *path, char *err, size_t errlen)
{
	struct ab_raw r;
	bool ok;

	if (ab_raw_load(&r, path, 1, err, errlen) < 0)
		return -1;
	if (r.n == 0) {
		ab_raw_free(&r);
		return aw_errf(err, errlen, "%s: missing; bench/templates.py --pcaps writes it",
			       path);
	}
	ok = take_hdr(r.data[0], r.len[0], b->hdr[1], &b->sport0[1]);
	ab_raw_free(&r);
	if (!ok)
		return aw_errf(err, errlen, "%s: expected Ethernet / IPv4 (no options) / UDP",
			       path);
	return 0;
}

int
ab_bind_init(struct ab_bind *b, const struct ab_tmpl *t, const char *bind_path, uint32_t flows,
	     unsigned suite, char *err, size_t errlen)
{
	const struct ab_frame *f = NULL;

	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < t->n; i++)
		if (t->f[i].trs)
			f = &t->f[i];
	if (f == NULL || f->v6 || f->l3_off != L3_OFF || f->l4_off != L4_OFF ||
	    !take_hdr(f->hdr, f->hdr_len, b->hdr[0], &b->sport0[0]))
		return aw_errf(err, errlen, "TRS template: expected an Ethernet / IPv4 (no "
			       "options) / UDP frame with a TRS message (side A of the path "
			       "binding)");
	memcpy(b->id, f->hdr + L4_OFF + 8 + AW_TRS_OFF_ID, sizeof(b->id));
	if (load_side_b(b, bind_path, err, errlen) < 0)
		return -1;
	b->n = flows;
	b->suite = suite;
	b->e = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);
	if (b->e == NULL)
		b->e = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	if (b->e == NULL)
		return aw_errf(err, errlen, "path binding: no crypto engine");
	return 0;
}

void
ab_bind_free(struct ab_bind *b)
{
	if (b->e != NULL)
		aw_trs_engine_free(b->e);
	memset(b, 0, sizeof(*b));
}

/* Tag key of path f, as templates.py's path_key(f). */
static int
tkey_of(uint32_t f, unsigned suite, uint8_t tk[AW_TRS_TKEY_LEN])
{
	char name[64];
	uint8_t key[SHA256_DIGEST_LENGTH];
	int k = snprintf(name, sizeof(name), "anyway-bench path %u", f);

	SHA256((const unsigned char *)name, (size_t)k, key);
	int rc = aw_trs_tkey_init(tk, key, suite);
	memset(key, 0, sizeof(key));
	return rc == AW_TRS_OK ? 0 : -1;
}

/* Side `side`'s frame of path f into m (empty); returns its message. */
static uint8_t *
frame_of(const struct ab_bind *b, unsigned side, uint32_t f, struct rte_mbuf *m)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, AB_BIND_HDR + AW_TRS_MIN_LEN);
	uint8_t *ip = p + L3_OFF, *udp = p + L4_OFF, *msg = p + AB_BIND_HDR;
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

	memcpy(p, b->hdr[side], AB_BIND_HDR);
	aw_be16_put(ip + 2, 20 + 8 + AW_TRS_MIN_LEN);
	aw_be32_put(ip + 12, get32(ip + 12) + f / PORT_SPAN);
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
	aw_be16_put(udp, (uint16_t)(1024 + (b->sport0[side] + f) % PORT_SPAN));
	aw_be16_put(udp + 4, 8 + AW_TRS_MIN_LEN);
	memset(udp + 6, 0, 2); /* no UDP checksum (IPv4) */
	memset(msg, 0, AW_TRS_MIN_LEN);
	aw_be32_put(msg + AW_TRS_OFF_TXID, 2 * f + 1 + side);
	msg[AW_TRS_OFF_VERSION] = AW_TRS_VERSION;
	msg[AW_TRS_OFF_FLAG] = side ? AW_TRS_FLAG_R : 0;
	msg[AW_TRS_OFF_TYPE] = AW_TRS_T_HOLE_PUNCHING;
	aw_be32_put(msg + AW_TRS_OFF_SEQ, 1);
	memcpy(msg + AW_TRS_OFF_ID, b->id, sizeof(b->id));
	aw_be32_put(msg + AW_TRS_OFF_ID + 12, f);
	return msg;
}

int
ab_bind_fill(const struct ab_bind *b, uint32_t first, unsigned n, struct rte_mbuf **a,
	     struct rte_mbuf **bside)
{
	uint8_t tk[AB_BIND_CHUNK][AW_TRS_TKEY_LEN];
	struct aw_trs_treq rq[2 * AB_BIND_CHUNK];
	int res[2 * AB_BIND_CHUNK];

	if (n > AB_BIND_CHUNK || first + n > b->n)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (tkey_of(first + i, b->suite, tk[i]) < 0)
			return -1;
		for (unsigned side = 0; side < 2; side++)
			rq[2 * i + side] = (struct aw_trs_treq){
				.tk = tk[i], .len = 0, .suite = (uint8_t)b->suite,
				.msg = frame_of(b, side, first + i, side ? bside[i] : a[i])};
	}
	if (aw_trs_tsign_burst(b->e, rq, 2 * n, res) != 2 * n)
		return -1;
	return 0;
}
