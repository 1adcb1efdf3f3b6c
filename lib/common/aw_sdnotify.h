/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_sdnotify — the service manager's readiness protocol (sd_notify(3))
 * without libsystemd: one datagram with "KEY=VALUE" lines to the unix socket
 * named by $NOTIFY_SOCKET ("/path", or "@name" for the abstract namespace).
 * Without $NOTIFY_SOCKET (not started by systemd with Type=notify) nothing is
 * sent and the call succeeds.
 *
 * Contract: any thread; no state kept (a socket per call). Daemons call it
 * from their main thread when ready (READY=1) and when stopping (STOPPING=1).
 */
#ifndef AW_SDNOTIFY_H
#define AW_SDNOTIFY_H

/* Sends state (e.g. "READY=1\nSTATUS=listening"). 1: sent, 0: no
 * $NOTIFY_SOCKET, -1: bad $NOTIFY_SOCKET or send failure (errno set). */
int aw_sd_notify(const char *state);

/* The same with a printf format; longer than 4 KiB: -1, EMSGSIZE. */
__attribute__((format(printf, 1, 2))) int aw_sd_notifyf(const char *fmt, ...);

#endif /* AW_SDNOTIFY_H */
