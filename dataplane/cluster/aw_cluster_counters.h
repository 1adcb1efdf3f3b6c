/* SPDX-License-Identifier: BSD-3-Clause */
/* Cluster (SPEC §8) drop reasons and counters; joined into the data plane's
 * lists in aw_counters.h. Every packet to cluster.udp_port leaves the
 * cluster feature re-injected (its inner packet) or as one of the first
 * drops; owner_miss and cluster_no_headroom are set by the redirect path
 * (aw_cluster_miss) on packets of the ASRS / TRS features. */
#ifndef AW_CLUSTER_COUNTERS_H
#define AW_CLUSTER_COUNTERS_H

#define AW_CLUSTER_DROP_REASONS(X)                                                          \
	X(CL_MALFORMED, "cluster_malformed", "redirected packet truncated or malformed")   \
	X(CL_NOT_MEMBER, "cluster_not_member", "redirected packet from a non-member source") \
	X(CL_BAD_TAG, "cluster_bad_tag", "cluster header tag does not verify")             \
	X(CL_STALE_EPOCH, "cluster_stale_epoch", "epoch older than the current, not the kept one") \
	X(CL_BAD_HOP, "cluster_bad_hop", "hop index out of range or not this instance")   \
	X(CL_NO_HEADROOM, "cluster_no_headroom", "no headroom to encapsulate")             \
	X(OWNER_MISS, "owner_miss", "no session at the last hop of the owner list")

#define AW_CLUSTER_INFO_COUNTERS(X)                                                         \
	X(CL_REDIRECTED, "cluster_redirected", "packets sent to their flow's owner")       \
	X(CL_NEXT_HOP, "cluster_next_hop", "redirected packets sent on to the next hop")   \
	X(CL_DECAPSULATED, "cluster_decapsulated", "redirected packets received, inner re-injected") \
	X(CL_MSS_CLAMPED, "cluster_mss_clamped", "redirected SYNs whose MSS was lowered")  \
	X(CL_NEWER_EPOCH, "cluster_newer_epoch", "redirected packets of a newer member list than ours")

#endif /* AW_CLUSTER_COUNTERS_H */
