/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_tmpl — pcap template loading and parsing (see ab_tmpl.h).
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "aw_err.h"
#include "ab_tmpl.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define LINKTYPE_ETHERNET 1

struct pcap_ghdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t zone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rhdr {
	uint32_t sec, frac, incl, orig;
};

/* Parses one frame's headers; fixes lengths for pkt_size. 0 or -1 (err). */
static int
parse_frame(struct ab_frame *f, uint32_t pkt_size, unsigned stamp_len, uint16_t trs_port,
	    const char *path, unsigned idx, char *err, size_t errlen)
{
	const struct rte_ether_hdr *eth = (const void *)f->hdr;
	uint16_t et;

	if (f->hdr_len < sizeof(*eth) + 20)
		return aw_errf(err, errlen, "%s: frame %u: too short for Ethernet + IP", path, idx);
	et = rte_be_to_cpu_16(eth->ether_type);
	f->l3_off = sizeof(*eth);
	if (et == RTE_ETHER_TYPE_IPV4) {
		struct rte_ipv4_hdr *ip = (void *)(f->hdr + f->l3_off);
		f->v6 = 0;
		f->proto = ip->next_proto_id;
		f->l4_off = f->l3_off + (uint16_t)((ip->version_ihl & 0xf) * 4);
	} else if (et == RTE_ETHER_TYPE_IPV6 && f->hdr_len >= f->l3_off + 40) {
		struct rte_ipv6_hdr *ip6 = (void *)(f->hdr + f->l3_off);
		f->v6 = 1;
		f->proto = ip6->proto;
		f->l4_off = f->l3_off + 40;
	} else {
		return aw_errf(err, errlen, "%s: frame %u: expected IPv4 or IPv6 (no extension "
			    "headers)", path, idx);
	}
	if (f->proto != IPPROTO_UDP && f->proto != IPPROTO_TCP)
		return aw_errf(err, errlen, "%s: frame %u: expected UDP or TCP", path, idx);
	if (f->hdr_len < f->l4_off + (f->proto == IPPROTO_TCP ? 20 : 8))
		return aw_errf(err, errlen, "%s: frame %u: L4 header truncated", path, idx);
	if ((uint32_t)f->hdr_len + stamp_len > pkt_size)
		return aw_errf(err, errlen, "--pkt-size: %u too small for template %s (frame %u needs "
			    "at least %u bytes)", pkt_size, path, idx, f->hdr_len + stamp_len);
	const struct rte_udp_hdr *l4 = (const void *)(f->hdr + f->l4_off);
	f->sport = rte_be_to_cpu_16(l4->src_port);
	f->dport = rte_be_to_cpu_16(l4->dst_port);
	if (f->v6) {
		struct rte_ipv6_hdr *ip6 = (void *)(f->hdr + f->l3_off);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(pkt_size - f->l4_off));
	} else {
		struct rte_ipv4_hdr *ip = (void *)(f->hdr + f->l3_off);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(pkt_size - f->l3_off));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (f->proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (void *)(f->hdr + f->l4_off);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(pkt_size - f->l4_off));
		f->trs = trs_port != 0 && f->dport == trs_port;
	}
	if (f->trs) {
		unsigned off = f->l4_off + 8u;
		uint16_t msg_len = rte_cpu_to_be_16((uint16_t)(pkt_size - off));
		if (f->hdr_len < off + AB_TRS_HDR_LEN)
			return aw_errf(err, errlen, "%s: frame %u: UDP to the relay port without a TRS "
				    "base header", path, idx);
		memcpy(f->hdr + off + AB_TRS_MSGLEN_OFF, &msg_len, 2);
	}
	return 0;
}

static int
read_frames(struct ab_tmpl *t, FILE *fp, int swap, const char *path, unsigned stamp_len,
	    uint16_t trs_port, char *err, size_t errlen)
{
	struct pcap_rhdr r;

	while (fread(&r, sizeof(r), 1, fp) == 1) {
		uint32_t incl = swap ? rte_bswap32(r.incl) : r.incl;
		struct ab_frame *f = &t->f[t->n];
		if (t->n == AB_TMPL_MAX_FRAMES)
			return aw_errf(err, errlen, "%s: more than %u frames", path,
				    AB_TMPL_MAX_FRAMES);
		if (incl > AB_TMPL_MAX_HDR)
			return aw_errf(err, errlen, "%s: frame %u: %u bytes, templates are at most %u "
				    "(payload is added by --pkt-size)", path, t->n, incl,
				    AB_TMPL_MAX_HDR);
		memset(f, 0, sizeof(*f));
		if (fread(f->hdr, 1, incl, fp) != incl)
			return aw_errf(err, errlen, "%s: frame %u truncated", path, t->n);
		f->hdr_len = (uint16_t)incl;
		if (parse_frame(f, t->pkt_size, stamp_len, trs_port, path, t->n, err, errlen) < 0)
			return -1;
		t->n++;
	}
	if (t->n == 0)
		return aw_errf(err, errlen, "%s: no frames", path);
	return 0;
}

/* Opens a pcap file and checks its header; NULL with err set. */
static FILE *
pcap_open(const char *path, int *swap, char *err, size_t errlen)
{
	struct pcap_ghdr g;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL) {
		aw_errf(err, errlen, "%s: cannot open (%m); bench/templates.py writes it", path);
		return NULL;
	}
	if (fread(&g, sizeof(g), 1, fp) != 1) {
		aw_errf(err, errlen, "%s: not a pcap file (short header)", path);
		goto bad;
	}
	*swap = g.magic == rte_bswap32(PCAP_MAGIC_US) || g.magic == rte_bswap32(PCAP_MAGIC_NS);
	if (!*swap && g.magic != PCAP_MAGIC_US && g.magic != PCAP_MAGIC_NS) {
		aw_errf(err, errlen, "%s: not a pcap file (magic %08x)", path, g.magic);
		goto bad;
	}
	if ((*swap ? rte_bswap32(g.linktype) : g.linktype) != LINKTYPE_ETHERNET) {
		aw_errf(err, errlen, "%s: link type is not Ethernet", path);
		goto bad;
	}
	return fp;
bad:
	fclose(fp);
	return NULL;
}

int
ab_tmpl_load(struct ab_tmpl *t, const char *path, uint32_t pkt_size, unsigned stamp_len,
	     uint16_t trs_port, char *err, size_t errlen)
{
	int swap, rc;
	FILE *fp;

	memset(t, 0, sizeof(*t));
	t->pkt_size = pkt_size;
	fp = pcap_open(path, &swap, err, errlen);
	if (fp == NULL)
		return -1;
	rc = read_frames(t, fp, swap, path, stamp_len, trs_port, err, errlen);
	fclose(fp);
	return rc;
}

int
ab_raw_load(struct ab_raw *r, const char *path, uint32_t max, char *err, size_t errlen)
{
	struct pcap_rhdr h;
	int swap;
	FILE *fp;

	memset(r, 0, sizeof(*r));
	if (access(path, F_OK) != 0)
		return 0;
	fp = pcap_open(path, &swap, err, errlen);
	if (fp == NULL)
		return -1;
	r->len = calloc(max, sizeof(*r->len));
	r->data = calloc(max, sizeof(*r->data));
	if (r->len == NULL || r->data == NULL) {
		fclose(fp);
		ab_raw_free(r);
		return aw_errf(err, errlen, "%s: out of memory", path);
	}
	while (r->n < max && fread(&h, sizeof(h), 1, fp) == 1) {
		uint32_t incl = swap ? rte_bswap32(h.incl) : h.incl;
		if (incl > AB_TMPL_MAX_HDR || incl < RTE_ETHER_HDR_LEN ||
		    fread(r->data[r->n], 1, incl, fp) != incl) {
			fclose(fp);
			ab_raw_free(r);
			return aw_errf(err, errlen, "%s: frame %u: truncated or over %u bytes", path,
				    r->n, AB_TMPL_MAX_HDR);
		}
		r->len[r->n++] = (uint16_t)incl;
	}
	fclose(fp);
	return 0;
}

void
ab_raw_free(struct ab_raw *r)
{
	free(r->len);
	free(r->data);
	memset(r, 0, sizeof(*r));
}
