/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_counters.h"

#include <stddef.h>

#define AW_NAME_ITEM(id, name, help) [AW_DROP_##id] = name,
static const char *const drop_names[] = {AW_DROP_REASONS(AW_NAME_ITEM)};
#undef AW_NAME_ITEM
#define AW_HELP_ITEM(id, name, help) [AW_DROP_##id] = help,
static const char *const drop_help[] = {AW_DROP_REASONS(AW_HELP_ITEM)};
#undef AW_HELP_ITEM
#define AW_NAME_ITEM(id, name, help) [AW_INFO_##id] = name,
static const char *const info_names[] = {AW_INFO_COUNTERS(AW_NAME_ITEM)};
#undef AW_NAME_ITEM
#define AW_HELP_ITEM(id, name, help) [AW_INFO_##id] = help,
static const char *const info_help[] = {AW_INFO_COUNTERS(AW_HELP_ITEM)};
#undef AW_HELP_ITEM

const char *
aw_drop_name(enum aw_drop_reason r)
{
	return (unsigned)r < AW_DROP__COUNT ? drop_names[r] : "?";
}

const char *
aw_drop_help(enum aw_drop_reason r)
{
	return (unsigned)r < AW_DROP__COUNT ? drop_help[r] : "?";
}

const char *
aw_info_name(enum aw_info_counter c)
{
	return (unsigned)c < AW_INFO__COUNT ? info_names[c] : "?";
}

const char *
aw_info_help(enum aw_info_counter c)
{
	return (unsigned)c < AW_INFO__COUNT ? info_help[c] : "?";
}

static inline uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
aw_stats_add(struct aw_stats *dst, const struct aw_stats *src)
{
	dst->rx += load(&src->rx);
	dst->tx += load(&src->tx);
	dst->consumed += load(&src->consumed);
	dst->originated += load(&src->originated);
	dst->rx_bytes += load(&src->rx_bytes);
	dst->tx_bytes += load(&src->tx_bytes);
	for (size_t i = 0; i < AW_DROP__COUNT; i++)
		dst->drops[i] += load(&src->drops[i]);
	for (size_t i = 0; i < AW_INFO__COUNT; i++)
		dst->info[i] += load(&src->info[i]);
}
