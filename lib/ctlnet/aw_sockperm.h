/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_sockperm — who may connect to a unix socket (SPEC §7.4): the data
 * plane's API socket and the agent's status socket are mode 0660, owned by
 * the daemon's user and a configurable group.
 *
 * Contract: no EAL; any thread (getgrnam_r). Messages are one line.
 */
#ifndef AW_SOCKPERM_H
#define AW_SOCKPERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AW_SOCK_MODE 0660

/* A group name, or a numeric gid (0..2^32-2), into *gid. 0, or -1 with why
 * ("no group 'x' on this system"). */
int aw_group_lookup(const char *name, uint32_t *gid, char *why, size_t whylen);
/* chmod path AW_SOCK_MODE and, with has_gid, chown it to group gid. 0, or -1
 * with err. */
int aw_sock_set_perms(const char *path, bool has_gid, uint32_t gid, char *err, size_t errlen);

#endif /* AW_SOCKPERM_H */
