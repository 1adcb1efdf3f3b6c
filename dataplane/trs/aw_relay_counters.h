/* SPDX-License-Identifier: BSD-3-Clause */
/* TRS relay drop reasons and counters; joined into the data plane's lists in
 * aw_counters.h (see there for the contract). Every packet that reaches
 * aw_relay_burst leaves it as tx (forwarded, or turned around as an ACK) or
 * as exactly one of these drops. */
#ifndef AW_RELAY_COUNTERS_H
#define AW_RELAY_COUNTERS_H

#define AW_RELAY_DROP_REASONS(X)                                                            \
	X(RELAY_UDP_LENGTH, "relay_udp_length", "UDP length differs from the IP payload")   \
	X(RELAY_TRUNCATED, "relay_truncated", "shorter than TRS header + tag (48 bytes)")   \
	X(RELAY_BAD_VERSION, "relay_bad_version", "TRS version is not 1")                   \
	X(RELAY_MSG_LEN, "relay_msg_len", "msg_len differs from the UDP payload length")    \
	X(RELAY_UNKNOWN_TYPE, "relay_unknown_type", "TRS type code not in SPEC 5.1")        \
	X(RELAY_UNHANDLED_TYPE, "relay_unhandled_type", "TRS type the relay does not take") \
	X(RELAY_UNKNOWN_PATH, "relay_unknown_path", "PathID not in the relay table")        \
	X(RELAY_WRONG_DIRECTION, "relay_wrong_direction", "TUNNEL_REQUEST with R=1 / RESPONSE R=0") \
	X(RELAY_REPLAY, "relay_replay", "seq repeated, older than the window, or wrapped") \
	X(RELAY_VERIFY_BUDGET, "relay_verify_budget", "over the lcore's verifications per burst") \
	X(RELAY_BAD_TAG, "relay_bad_tag", "tag does not verify with the path's Tunnel Key") \
	X(RELAY_PEER_UNBOUND, "relay_peer_unbound", "destination side has no bound address") \
	X(RELAY_UNBOUND_SOURCE, "relay_unbound_source", "CAPSULE not from a bound address") \
	X(RELAY_RATE_LIMITED, "relay_rate_limited", "over the path's rate limit")           \
	X(RELAY_NO_FAMILY, "relay_no_family", "relay has no address of the peer's family") \
	X(RELAY_NO_HEADROOM, "relay_no_headroom", "mbuf headroom too small for the new header") \
	X(RELAY_BIND_BUSY, "relay_bind_busy", "binding being rewritten, read kept failing")

#define AW_RELAY_INFO_COUNTERS(X)                                                           \
	X(RELAY_ACKS, "relay_acks", "ACKs sent for HOLE_PUNCHING / KEEP_ALIVE")             \
	X(RELAY_FORWARDED, "relay_forwarded", "CAPSULEs and TUNNEL_* forwarded")            \
	X(RELAY_FAMILY_CHANGED, "relay_family_changed", "forwarded between IPv4 and IPv6")  \
	X(RELAY_VERIFIED, "relay_verified", "signalling messages whose tag verified")       \
	X(RELAY_BINDS, "relay_binds", "sides bound for the first time")                     \
	X(RELAY_REBINDS, "relay_rebinds", "sides moved to a new address or port")

#endif /* AW_RELAY_COUNTERS_H */
