/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_watch — anyway-bench never hangs: every phase of a run has a bound, and
 * SIGINT / SIGTERM end it in every phase.
 *
 * The main thread names the phase it enters with its bound (ab_watch_phase)
 * and, in phases whose length depends on progress, pushes the bound on while
 * packets move (ab_watch_alive). A watchdog thread (started by
 * ab_watch_start, before rte_eal_init, so no EAL thread) wakes every 100 ms:
 *  - a phase past its bound: "anyway-bench: <phase> did not end within N s
 *    (...)", exit 1 (whatever blocks: a memif connect, a port stop, EAL);
 *  - a first signal sets the stop flag the loops read; if the run then stays
 *    AB_WATCH_GRACE_S in one phase (blocked where the flag is not read), it
 *    exits 128 + signal with the phase named (each phase the run moves on
 *    to after the signal, report and teardown included, gets the grace
 *    afresh);
 *  - a second signal exits at once (128 + signal).
 * Forced exits use _exit: with --in-memory nothing is left behind but the
 * runtime directory of the --file-prefix, which the scripts remove.
 *
 * Contract: ab_watch_start once from main before any other thread exists;
 * ab_watch_phase / ab_watch_alive from the main thread only (no locks: the
 * watchdog reads single words); ab_watch_signal from anywhere.
 */
#ifndef AB_WATCH_H
#define AB_WATCH_H

#include <stdbool.h>

#define AB_WATCH_GRACE_S 10

/* Installs the SIGINT / SIGTERM handlers and starts the watchdog; `stop` is
 * the flag the run's loops read. -1 when the thread cannot start. */
int ab_watch_start(volatile bool *stop);
/* The main thread enters phase `name` (a string literal), which must end
 * within bound_s seconds (0: no bound, for phases that read the stop flag). */
void ab_watch_phase(const char *name, double bound_s);
/* Progress in the current phase: it may go on bound_s seconds from now. */
void ab_watch_alive(double bound_s);
/* The signal that stopped the run, or 0. */
int ab_watch_signal(void);
/* The phase the first signal came in ("" before any). */
const char *ab_watch_signal_phase(void);

#endif /* AB_WATCH_H */
