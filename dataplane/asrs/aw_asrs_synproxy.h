/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_synproxy — SYN cookies / SYN proxy for ASRS TCP listeners, and the
 * per-lcore new-flow budget (see aw_asrs_synproxy.c for the behaviour).
 *
 * Contract: aw_sp_init from aw_sess_init (main thread); aw_sp_lcore_init
 * from aw_sess_lcore_init; the rest on the processing lcore owning `c`, from
 * aw_asrs_burst.
 */
#ifndef AW_ASRS_SYNPROXY_H
#define AW_ASRS_SYNPROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "aw_asrs_priv.h"

/* What a valid cookie ACK hands to the new session. */
struct aw_sp_init {
	uint32_t client_isn; /* the client's initial sequence number */
	uint32_t cookie;     /* our ISN toward the client */
};

int aw_sp_init(struct aw_asrs *a, char *err, size_t errlen);
void aw_sp_lcore_init(struct aw_asrs *a, struct aw_asrs_lcore *l);

/* May the lcore start one more new flow now? (asrs.new_flow_limit) */
static inline bool
aw_sp_new_flow_ok(const struct aw_asrs *a, struct aw_asrs_lcore *l)
{
	const uint32_t rate = a->conf->new_flow_rate;

	if (rate == 0)
		return true;
	if (l->nf_last != l->now) {
		uint64_t add = (uint64_t)(l->now - l->nf_last) * rate / AW_ASRS_TICKS_PER_S;
		uint64_t t = l->nf_tokens + add;
		l->nf_tokens = t > a->conf->new_flow_burst ? a->conf->new_flow_burst : (uint32_t)t;
		l->nf_last = l->now;
	}
	if (l->nf_tokens == 0)
		return false;
	l->nf_tokens--;
	return true;
}

/* A packet without session to a SYN-proxy listener. SYN: answered with a
 * cookie SYN-ACK; ACK with a valid cookie: rewritten in place into the SYN
 * toward the destination (still client → VIP; the caller creates the session
 * with *init and forwards it), returns true; anything else dropped. false:
 * verdict set. */
bool aw_sp_new(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p,
	       struct aw_sp_init *init);
/* Is p a client ACK (no SYN, FIN or RST) carrying a valid cookie of this
 * instance's secret? Checks only: no verdict, no counter, p unchanged. */
bool aw_sp_cookie_ack(struct aw_lcore_ctx *c, const struct aw_asrs *a,
		      const struct aw_feat_pkt *p);
/* A packet of a SYN-proxy session (ref: slot << 1 | reply). true: handled
 * (verdict set); false: the caller forwards it as usual (sequence numbers
 * already translated). */
bool aw_sp_hit(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p,
	       uint32_t ref);

/* An ICMP error from the client side quotes a segment we sent it (the
 * destination's, its seq shifted): the quoted seq shifted back, so that the
 * destination recognises its segment (l4: the quoted TCP header, l4len
 * bytes of it present; its checksum updated when quoted). */
void aw_sp_icmp_quote(const struct aw_sess *s, uint8_t *l4, uint32_t l4len);

#endif /* AW_ASRS_SYNPROXY_H */
