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
