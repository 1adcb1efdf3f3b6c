/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_replay.h"

#include "aw_trs_msg.h"

_Static_assert(sizeof(struct aw_replay) == 12, "replay window must stay 12 bytes");

void
aw_replay_init(struct aw_replay *w)
{
	w->bitmap = 0;
	w->top = 0;
}

int
aw_replay_check(const struct aw_replay *w, uint32_t seq)
{
	uint32_t behind;

	if (w->bitmap == 0 || seq > w->top)
		return AW_TRS_OK;
	behind = w->top - seq;
	if (behind >= (1u << 31))
		return AW_TRS_E_REPLAY_WRAP;
	if (behind >= AW_REPLAY_WINDOW)
		return AW_TRS_E_REPLAY_OLD;
	if (w->bitmap & (1ull << behind))
		return AW_TRS_E_REPLAY_DUP;
	return AW_TRS_OK;
}

int
aw_replay_update(struct aw_replay *w, uint32_t seq)
{
	int rc = aw_replay_check(w, seq);
	uint32_t shift;

	if (rc != AW_TRS_OK)
		return rc;
	if (w->bitmap == 0) {
		w->top = seq;
		w->bitmap = 1;
	} else if (seq > w->top) {
		shift = seq - w->top;
		w->bitmap = shift >= AW_REPLAY_WINDOW ? 1 : (w->bitmap << shift) | 1;
		w->top = seq;
	} else {
		w->bitmap |= 1ull << (w->top - seq);
	}
	return AW_TRS_OK;
}
