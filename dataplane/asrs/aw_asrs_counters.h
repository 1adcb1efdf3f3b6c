/* SPDX-License-Identifier: BSD-3-Clause */
/* ASRS drop reasons and counters; joined into the data plane's lists in
 * aw_counters.h (see there for the contract). A packet refused with a TCP RST
 * or an ICMP port unreachable is transmitted (tx) and counted in the
 * *_refused counters; the no_service / no_destination drops count the ones
 * that could not be answered (rate limit, RST to a RST). The finer reason of
 * each bad_shim drop is in the stats method's asrs.bad_shim section. */
#ifndef AW_ASRS_COUNTERS_H
#define AW_ASRS_COUNTERS_H

#define AW_ASRS_DROP_REASONS(X)                                                                 \
	X(NO_SERVICE, "no_service", "names no known service, not answered (rate limit)")    \
	X(NO_DESTINATION, "no_destination", "service has no destination, not answered")    \
	X(BAD_SHIM, "bad_shim", "malformed ASRS UDP shim or TCP option")                    \
	X(TCP_BAD_HEADER, "tcp_bad_header", "TCP data offset below 5 or beyond the packet") \
	X(SESSION_TABLE_FULL, "session_table_full", "new session beyond asrs.max_sessions") \
	X(SNAT_EXHAUSTED, "snat_exhausted", "no free SNAT port toward the destination")     \
	X(SNAT_PAIRS_FULL, "snat_pairs_full", "too many SNAT (address, destination) pairs")  \
	X(CROSS_FAMILY, "cross_family", "destination of the other IP family (not yet)")     \
	X(ICMP_NO_SESSION, "icmp_no_session", "ICMP error quoting no known session")        \
	X(SYNPROXY_BAD_COOKIE, "synproxy_bad_cookie", "SYN proxy: ACK with an invalid cookie") \
	X(SYNPROXY_STALE_COOKIE, "synproxy_stale_cookie", "SYN proxy: cookie too old")    \
	X(SYNPROXY_NO_SESSION, "synproxy_no_session", "SYN proxy: RST / FIN / other without session") \
	X(SYNPROXY_BAD_SYNACK, "synproxy_bad_synack", "SYN proxy: not the awaited SYN-ACK") \
	X(SYNPROXY_UNHANDLED, "synproxy_unhandled", "SYN proxy: segment it cannot rewrite") \
	X(NEW_FLOW_LIMITED, "new_flow_limited", "new flow above asrs.new_flow_limit")

#define AW_ASRS_INFO_COUNTERS(X)                                                                \
	X(SESSIONS_CREATED, "sessions_created", "ASRS sessions created")                    \
	X(NO_SERVICE_REFUSED, "no_service_refused", "no service: RST / unreachable sent")   \
	X(NO_DEST_REFUSED, "no_destination_refused", "no destination: RST / unreachable")   \
	X(SHIM_STRIPPED, "shim_stripped", "UDP shims removed before forwarding")            \
	X(TCPOPT_STRIPPED, "tcpopt_stripped", "ASRS TCP options replaced by NOPs")          \
	X(ICMP_TRANSLATED, "icmp_translated", "ICMP errors translated for a session")      \
	X(SYNPROXY_COOKIES, "synproxy_syn_cookies", "SYN proxy: SYN-ACKs with a cookie sent") \
	X(SYNPROXY_ACCEPTED, "synproxy_accepted", "SYN proxy: valid cookie ACKs (sessions)") \
	X(SYNPROXY_ESTABLISHED, "synproxy_established", "SYN proxy: destination handshakes done") \
	X(SYNPROXY_SYN_RESENT, "synproxy_syn_resent", "SYN proxy: SYN to the destination resent")

#endif /* AW_ASRS_COUNTERS_H */
