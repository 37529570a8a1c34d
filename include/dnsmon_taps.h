/* dnsmon_taps.h — what the statistics listeners share (taps.c).
 *
 * The "dnsmon" tap carries, for every frame, a dnsmon_tap_data: the
 * tracker and lookups of the capture being read and the frame item the
 * listener is shown (item 0: a frame with nothing about DNS, queued so
 * listeners see time pass). Listeners read the tracker through it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TAPS_H
#define DNSMON_TAPS_H

#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_compat.h"
#include "dnsmon_ledger.h"

typedef struct {
    dm_tracker *tr;             /* listeners only read it, but for dm_tracker_flush_pending */
    const dm_lookups *ls;
    guint32 item;
} dnsmon_tap_data;

/* The tap's id (taps.c). */
int dnsmon_tap_id(void);

/* The tracker and lookups a listener last saw, if that capture is still
 * open (the GUI may draw a listener after closing its file). */
typedef struct {
    dm_tracker *tr;
    const dm_lookups *ls;
} dnsmon_source;
void dnsmon_source_note(dnsmon_source *s, const dnsmon_tap_data *d);
gboolean dnsmon_source_alive(const dnsmon_source *s);

/* A second listener on the dnsmon tap whose draw runs fn(user) just before
 * the caller's own listener is drawn: attach it from the caller's packet
 * callback (listeners registered later are drawn first). It keeps *slot
 * pointing at itself while registered; Wireshark may remove it at exit. */
typedef struct dnsmon_finisher dnsmon_finisher;
void dnsmon_finisher_attach(dnsmon_finisher **slot, void (*fn)(void *), void *user);
void dnsmon_finisher_detach(dnsmon_finisher **slot);

/* "203.0.113.2:53/udp"; g_free. */
char *dnsmon_server_text(const dm_tracker *tr, const dm_txn *t);
/* "2024-05-14 13:24:32.192571" (UTC); g_free. */
char *dnsmon_time_text_us(dm_time t);
/* The filter part of "dnsmon,NAME,FILTER", or NULL. */
const char *dnsmon_tap_filter(const char *opt_arg, const char *name);

/* Registration of each listener (tap_tree.c, tap_failures.c, tap_report.c). */
void dnsmon_tree_register(void);
void dnsmon_failures_register(void);
void dnsmon_report_register(void);
void dnsmon_log_register(void);
void dnsmon_failures_shutdown(void);
void dnsmon_tree_shutdown(void);
void dnsmon_taps_shutdown(void);

#endif
