/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_dp_init — builds a data plane instance from a loaded config: mbuf pool,
 * ports, routes, neighbour cache, address set, lcore contexts and rings. The
 * one function behind anyway-dataplane, the fuzz target and later the
 * in-process benchmark.
 *
 * Contract: main thread, after rte_eal_init and aw_config_load, before lcores
 * are launched; aw_dp_fini after every lcore returned. On failure err holds a
 * one-line reason; the caller still calls aw_dp_fini to release what was made.
 */
#ifndef AW_DP_INIT_H
#define AW_DP_INIT_H

#include "aw_dp.h"

int aw_dp_init(struct aw_dp *dp, struct aw_config *cfg, char *err, size_t errlen);
void aw_dp_fini(struct aw_dp *dp);

#endif /* AW_DP_INIT_H */
