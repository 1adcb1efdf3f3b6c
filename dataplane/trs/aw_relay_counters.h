/* SPDX-License-Identifier: BSD-3-Clause */
/* TRS relay drop reasons and counters; joined into the data plane's lists in
 * aw_counters.h (see there for the contract). */
#ifndef AW_RELAY_COUNTERS_H
#define AW_RELAY_COUNTERS_H

#define AW_RELAY_DROP_REASONS(X)                                                            \
	X(RELAY_UNKNOWN_PATH, "relay_unknown_path", "PathID not in the relay table")

#define AW_RELAY_INFO_COUNTERS(X)

#endif /* AW_RELAY_COUNTERS_H */
