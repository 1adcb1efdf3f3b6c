/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_tmpl — traffic templates: frames read from a pcap file that
 * bench/templates.py writes from the golden-packet fixtures
 * (tests/golden/golden_common.py), parsed once (Ethernet, IPv4 or IPv6,
 * UDP or TCP) and resized to the requested frame length.
 *
 * Contract: loaded on the main thread before traffic starts; read-only after.
 */
#ifndef AB_TMPL_H
#define AB_TMPL_H

#include <stddef.h>
#include <stdint.h>

#define AB_TMPL_MAX_FRAMES 16
#define AB_TMPL_MAX_HDR    256

struct ab_frame {
	uint8_t hdr[AB_TMPL_MAX_HDR]; /* the template's bytes, lengths fixed for pkt_size */
	uint16_t hdr_len;             /* bytes of hdr copied into each packet */
	uint16_t l3_off, l4_off;
	uint8_t v6;
	uint8_t proto;                /* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t sport, dport;        /* the template's ports, host order */
	uint8_t trs;                  /* a TRS message: PathID varies per flow */
};

/* TRS base header inside the UDP payload (SPEC §5.1). */
#define AB_TRS_HDR_LEN    32
#define AB_TRS_MSGLEN_OFF 12  /* msg_len(16) */
#define AB_TRS_ID_OFF     16  /* id(128): the PathID */

/* Raw frames sent as they are before traffic (TRS path binding). */
struct ab_raw {
	uint32_t n;
	uint16_t *len;
	uint8_t (*data)[AB_TMPL_MAX_HDR];
};

struct ab_tmpl {
	unsigned n;
	uint32_t pkt_size;
	struct ab_frame f[AB_TMPL_MAX_FRAMES];
};

/* Reads `path` (classic pcap, Ethernet link type), parses every frame and
 * fixes IP / L4 lengths (and the IPv4 header checksum) for frames of
 * pkt_size bytes that end with a stamp of stamp_len bytes. UDP frames to
 * trs_port (0: none) are TRS messages: msg_len is fixed too. -1: err is one
 * line naming the file and what was wrong. */
int ab_tmpl_load(struct ab_tmpl *t, const char *path, uint32_t pkt_size, unsigned stamp_len,
		 uint16_t trs_port, char *err, size_t errlen);

/* Reads up to `max` frames of `path` as they are. A missing file is no
 * frames (returns 0); -1 on a bad file (err). ab_raw_free releases them. */
int ab_raw_load(struct ab_raw *r, const char *path, uint32_t max, char *err, size_t errlen);
void ab_raw_free(struct ab_raw *r);

#endif /* AB_TMPL_H */
