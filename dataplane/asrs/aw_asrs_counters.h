/* SPDX-License-Identifier: BSD-3-Clause */
/* ASRS drop reasons and counters; joined into the data plane's lists in
 * aw_counters.h (see there for the contract). */
#ifndef AW_ASRS_COUNTERS_H
#define AW_ASRS_COUNTERS_H

#define AW_ASRS_DROP_REASONS(X)                                                             \
	X(NO_SERVICE, "no_service", "names no known service (RST / port unreachable)")       \
	X(NO_DESTINATION, "no_destination", "service has no destination (RST / unreachable)") \
	X(BAD_SHIM, "bad_shim", "malformed ASRS UDP shim or TCP option")

#define AW_ASRS_INFO_COUNTERS(X)

#endif /* AW_ASRS_COUNTERS_H */
