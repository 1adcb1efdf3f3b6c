/* SPDX-License-Identifier: BSD-3-Clause */
/* Overlay gateway drop reasons and counters; joined into the data plane's
 * lists in aw_counters.h (see there for the contract). Every capsule that
 * reaches aw_gw_burst leaves it re-injected as its inner packet (then counted
 * by what happens to that) or as exactly one of these drops; every packet
 * routed to an overlay prefix leaves aw_gw_route_out as a capsule or a drop. */
#ifndef AW_GW_COUNTERS_H
#define AW_GW_COUNTERS_H

#define AW_GW_DROP_REASONS(X)                                                                  \
	X(GW_UDP_LENGTH, "gw_udp_length", "UDP length differs from the IP payload")            \
	X(GW_TRUNCATED, "gw_truncated", "shorter than TRS header + tag (48 bytes)")            \
	X(GW_BAD_VERSION, "gw_bad_version", "TRS version is not 1")                            \
	X(GW_MSG_LEN, "gw_msg_len", "msg_len differs from the UDP payload length")             \
	X(GW_NOT_CAPSULE, "gw_not_capsule", "message type other than CAPSULE to the gateway")  \
	X(GW_WRONG_SIDE, "gw_wrong_side", "capsule with R=1: nodes send as the Initiator")     \
	X(GW_UNKNOWN_PATH, "gw_unknown_path", "PathID not in the gateway table")               \
	X(GW_REPLAY, "gw_replay", "seq repeated, older than the window, or wrapped")           \
	X(GW_BAD_TAG, "gw_bad_tag", "tag does not verify with the path's End Key")             \
	X(GW_BAD_BODY, "gw_bad_body", "encrypted body length or padding invalid")              \
	X(GW_INNER_MALFORMED, "gw_inner_malformed", "plaintext is not one IPv4/IPv6 packet")   \
	X(GW_SPOOFED_INNER, "gw_spoofed_inner", "inner source is not the path's node_addr")    \
	X(GW_UNKNOWN_NODE, "gw_unknown_node", "routed to an overlay prefix, no path has the address") \
	X(GW_UNBOUND, "gw_unbound", "node's path has no (live) bound address")                 \
	X(GW_NO_FAMILY, "gw_no_family", "no gateway address of the bound address's family")    \
	X(GW_NO_ROOM, "gw_no_room", "mbuf head- or tailroom too small for the capsule")        \
	X(GW_TOO_BIG, "gw_too_big", "capsule larger than the egress MTU")                      \
	X(GW_ROUTE_LOOP, "gw_route_loop", "capsule itself routed into an overlay prefix")      \
	X(GW_CRYPTO_FAIL, "gw_crypto_fail", "the crypto library failed to seal / open")        \
	X(GW_FRAG_BAD, "gw_frag_bad", "IPv6 fragment header truncated")                        \
	X(GW_FRAG_NO_MBUF, "gw_frag_no_mbuf", "no mbuf for the reassembly table's copy")       \
	X(GW_FRAG_TOO_BIG, "gw_frag_too_big", "reassembled datagram larger than one mbuf")     \
	X(GW_FRAG_OUT_NO_MBUF, "gw_frag_out_no_mbuf", "no mbufs for an outgoing capsule's "       \
	  "outer IPv4 fragments")

#define AW_GW_INFO_COUNTERS(X)                                                                 \
	X(GW_DECRYPTED, "gw_decrypted", "capsules verified, decrypted and re-injected")         \
	X(GW_ENCRYPTED, "gw_encrypted", "packets sealed into capsules to a node")              \
	X(GW_BINDS, "gw_binds", "paths bound for the first time")                              \
	X(GW_REBINDS, "gw_rebinds", "paths moved to a new outer address or port")              \
	X(GW_MSS_CLAMPED, "gw_mss_clamped", "TCP SYNs whose MSS was lowered to fit a capsule")  \
	X(GW_FRAGMENTS, "gw_fragments", "fragments to own addresses given to reassembly")      \
	X(GW_REASSEMBLED, "gw_reassembled", "datagrams reassembled and classified again")      \
	X(GW_FRAG_DISCARDED, "gw_frag_discarded", "held fragments the reassembly gave up: timed "  \
	  "out, overlapping, too many, table full")                                             \
	X(GW_FRAGMENTED, "gw_fragmented", "capsules above the egress MTU sent as outer IPv4 "    \
	  "fragments")                                                                          \
	X(GW_FRAGMENTS_OUT, "gw_fragments_out", "outer IPv4 fragments sent (first ones included)") \
	X(GW_FRAGS_UNSENT, "gw_frags_unsent", "fragments after the first freed: the first "     \
	  "could not leave at once (neighbour unresolved, no route)")

#endif /* AW_GW_COUNTERS_H */
