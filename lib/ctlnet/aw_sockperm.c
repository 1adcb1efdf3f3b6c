/* SPDX-License-Identifier: BSD-3-Clause */
/* Unix socket permissions (see aw_sockperm.h). */
#include "aw_sockperm.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
aw_group_lookup(const char *name, uint32_t *gid, char *why, size_t whylen)
{
	struct group gr, *res = NULL;
	char buf[16384];
	char *end;

	if (name[0] >= '0' && name[0] <= '9') {
		errno = 0;
		unsigned long long v = strtoull(name, &end, 10);
		if (errno || *end != '\0' || v > UINT32_MAX - 1) {
			snprintf(why, whylen, "expected a group name or a gid 0..%u, got '%s'",
			         UINT32_MAX - 1, name);
			return -1;
		}
		*gid = (uint32_t)v;
		return 0;
	}
	int rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL) {
		if (rc != 0 && rc != ENOENT && rc != ESRCH)
			snprintf(why, whylen, "group '%s': %s", name, strerror(rc));
		else
			snprintf(why, whylen, "no group '%s' on this system", name);
		return -1;
	}
	*gid = (uint32_t)gr.gr_gid;
	return 0;
}

int
aw_sock_set_perms(const char *path, bool has_gid, uint32_t gid, char *err, size_t errlen)
{
	if (has_gid && chown(path, (uid_t)-1, (gid_t)gid) < 0) {
		snprintf(err, errlen, "%s: cannot give it group %u: %s", path, gid,
		         strerror(errno));
		return -1;
	}
	if (chmod(path, AW_SOCK_MODE) < 0) {
		snprintf(err, errlen, "%s: cannot set mode %o: %s", path, AW_SOCK_MODE,
		         strerror(errno));
		return -1;
	}
	return 0;
}
