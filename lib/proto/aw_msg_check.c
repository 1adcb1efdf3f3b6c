/* SPDX-License-Identifier: BSD-3-Clause */
/* The shared entry validation; see aw_msg_check.h. */
#include "aw_msg_check.h"

#include <stdio.h>

const struct aw_msg_limit aw_relay_limits[AW_RELAY_LIM__COUNT] = {
	[AW_RELAY_LIM_SUITE] = {"suite", 1, AW_RELAY_SUITE_MAX},
	[AW_RELAY_LIM_IDLE] = {"idle_timeout_s", 1, AW_RELAY_TIMEOUT_S_MAX},
	[AW_RELAY_LIM_BIND] = {"bind_timeout_s", 1, AW_RELAY_TIMEOUT_S_MAX},
	[AW_RELAY_LIM_PPS] = {"rate.pps", 0, AW_RELAY_PPS_MAX},
	[AW_RELAY_LIM_BPS] = {"rate.bps", 0, AW_RELAY_BPS_MAX},
	[AW_RELAY_LIM_BURST] = {"rate.burst", 1, AW_RELAY_BURST_MAX},
};

int
aw_msg_limit_check(const struct aw_msg_limit *lim, uint64_t v, struct aw_msg_check_err *e)
{
	if (v >= lim->min && v <= lim->max)
		return 0;
	snprintf(e->key, sizeof(e->key), "%s", lim->key);
	snprintf(e->msg, sizeof(e->msg), "expected integer %llu..%llu, got %llu",
		 (unsigned long long)lim->min, (unsigned long long)lim->max, (unsigned long long)v);
	return -1;
}

int
aw_msg_relay_check(const struct aw_msg_relay *r, const char *bytes_key, struct aw_msg_check_err *e)
{
	const struct aw_msg_limit *l = aw_relay_limits;

	if (bytes_key == NULL)
		bytes_key = "bps";
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_SUITE], r->suite, e) < 0 ||
	    aw_msg_limit_check(&l[AW_RELAY_LIM_IDLE], r->idle_timeout_s, e) < 0 ||
	    aw_msg_limit_check(&l[AW_RELAY_LIM_BIND], r->bind_timeout_s, e) < 0)
		return -1;
	if (!r->has_rate)
		return 0;
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_PPS], r->rate.pps, e) < 0)
		return -1;
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_BPS], r->rate.bps, e) < 0) {
		snprintf(e->key, sizeof(e->key), "rate.%s", bytes_key);
		return -1;
	}
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_BURST], r->rate.burst, e) < 0)
		return -1;
	if (r->rate.pps == 0 && r->rate.bps == 0) {
		snprintf(e->key, sizeof(e->key), "rate");
		snprintf(e->msg, sizeof(e->msg), "expected pps and/or %s above 0", bytes_key);
		return -1;
	}
	return 0;
}
