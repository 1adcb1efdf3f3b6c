/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_memo — the last listener and the last service a processing lcore
 * looked up for a new session, remembered until the end of its burst: the
 * new flows of one burst mostly go to a few listeners, and each lookup
 * (listener hash, rte_hash of the service map) costs more than the compare
 * of the memo. A burst runs between two of the lcore's quiescent states,
 * so the listener table and the service objects remembered cannot be freed
 * before it ends (RCU); aw_memo_reset() at the start of each burst forgets
 * them, so a change of the map or of the listeners is seen from the next
 * burst on — as soon as a lookup without the memo could be sure to see it.
 *
 * Contract: only the lcore owning the struct aw_asrs_lcore, within one burst.
 */
#ifndef AW_ASRS_MEMO_H
#define AW_ASRS_MEMO_H

#include <stdint.h>
#include <string.h>

#include "aw_asrs_priv.h"

static __rte_always_inline void
aw_memo_reset(struct aw_asrs_lcore *l)
{
	l->memo_lsn = NULL;
	l->memo_svc = NULL;
}

/* aw_lsn_lookup(t, dst, family, proto, port_be), remembered. */
static __rte_always_inline const struct aw_lsn_slot *
aw_memo_lsn(struct aw_asrs_lcore *l, const struct aw_lsn_table *t, const uint8_t *dst,
	    uint8_t family, uint8_t proto, uint16_t port_be)
{
	const struct aw_lsn_slot *m = l->memo_lsn;

	if (m != NULL && l->memo_lsn_tab == t && m->family == family && m->proto == proto &&
	    m->port_be == port_be &&
	    (family == AW_AF_INET6 ? memcmp(m->b, dst, 16) == 0 : memcmp(m->b, dst, 4) == 0))
		return m;
	const struct aw_lsn_slot *s = aw_lsn_lookup(t, dst, family, proto, port_be);
	if (s != NULL) {
		l->memo_lsn = s;
		l->memo_lsn_tab = t;
	}
	return s;
}

/* aw_svc_find(a, sid), remembered. */
static __rte_always_inline const struct aw_svc *
aw_memo_svc(struct aw_asrs_lcore *l, const struct aw_asrs *a, uint64_t sid)
{
	if (l->memo_svc != NULL && l->memo_sid == sid)
		return l->memo_svc;
	const struct aw_svc *s = aw_svc_find(a, sid);
	if (s != NULL) {
		l->memo_svc = s;
		l->memo_sid = sid;
	}
	return s;
}

#endif /* AW_ASRS_MEMO_H */
