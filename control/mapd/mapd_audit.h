/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_audit — anyway-mapd's audit trail (SPEC §7.4; format in control/ACL.md
 * "Audit log"): one line for every change that a push carries — when (ISO
 * 8601 UTC, milliseconds), who (identity), what (op, service or path, the
 * destination) and the push's map version. Never a key.
 *
 *   2026-12-04T13:05:01.123Z version=7 identity=web-1 op=register
 *     service=asrs://shop.example/web dest=10.1.0.5:443 priority=0 weight=1
 *
 * To --audit-log FILE (O_APPEND; reopened on SIGHUP for logrotate), else to
 * stderr with the prefix "anyway-mapd: audit: ".
 *
 * Lines are gathered and written once per loop round (mapd_audit_flush), so a
 * burst of changes costs one write(2).
 *
 * Contract: anyway-mapd's one thread. A failed write is reported on stderr,
 * at most once per minute, and never stops the map server.
 */
#ifndef MAPD_AUDIT_H
#define MAPD_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "aw_msg_dest.h"

/* Open path (NULL: stderr). 0 / -1 with err ("PATH: strerror"). */
int mapd_audit_open(const char *path, char *err, size_t errlen);
/* SIGHUP: reopen the file (a failure keeps the old descriptor, reported). */
bool mapd_audit_reopen(void); /* false: no --audit-log, nothing done */
void mapd_audit_close(void);
/* One line: "TIME version=V identity=ID op=OP" then fields, a preformatted
 * " key=value" list (may be NULL). Bytes outside 0x21..0x7e in identity and
 * fields are written as \xHH. */
void mapd_audit(uint64_t version, const char *identity, const char *op, const char *fields);
/* Write the lines gathered since the last flush (once per loop round). */
void mapd_audit_flush(void);
/* " service=URI dest=ADDR:PORT priority=P weight=W" into buf. */
const char *mapd_audit_dest(const char *service, const struct aw_msg_dest *d, char *buf,
                            size_t len);

#endif /* MAPD_AUDIT_H */
