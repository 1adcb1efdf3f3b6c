/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_tcp_mss — clamping the MSS option of a TCP SYN (RFC 9293 §3.7.1) so
 * that the segments it invites fit an encapsulation (the overlay gateway's
 * capsules, the cluster's redirect). Pure function on caller memory; any
 * thread. No EAL.
 */
#ifndef AW_TCP_MSS_H
#define AW_TCP_MSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aw_be.h"
#include "aw_cksum.h"

/*
 * tcp: a TCP header with tcp_len bytes available. When it is a SYN carrying
 * an MSS option larger than max, the option becomes max and the checksum is
 * updated incrementally; true then. A SYN without the option is left alone
 * (its peer assumes 536 / 1220). Malformed options stop the scan, unchanged.
 */
static inline bool
aw_tcp_mss_clamp(uint8_t *tcp, size_t tcp_len, uint16_t max)
{
	if (tcp_len < 20 || !(tcp[13] & 0x02))
		return false;
	size_t thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || thl > tcp_len)
		return false;
	for (size_t i = 20; i < thl;) {
		uint8_t kind = tcp[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= thl || tcp[i + 1] < 2 || i + tcp[i + 1] > thl)
			break;
		if (kind == 2 && tcp[i + 1] == 4) {
			uint16_t old = aw_be16_get(tcp + i + 2), ck;
			if (old <= max)
				return false;
			uint16_t old_be, new_be;
			memcpy(&old_be, tcp + i + 2, 2);
			aw_be16_put(tcp + i + 2, max);
			memcpy(&new_be, tcp + i + 2, 2);
			if ((i + 2) & 1) { /* straddles two checksum words: their bytes swapped */
				old_be = (uint16_t)(old_be << 8 | old_be >> 8);
				new_be = (uint16_t)(new_be << 8 | new_be >> 8);
			}
			memcpy(&ck, tcp + 16, 2);
			ck = aw_csum_update16(ck, old_be, new_be);
			memcpy(tcp + 16, &ck, 2);
			return true;
		}
		i += tcp[i + 1];
	}
	return false;
}

#endif /* AW_TCP_MSS_H */
