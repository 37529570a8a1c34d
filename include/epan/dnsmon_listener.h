/* dnsmon_listener.h — what every listener of the "dnsmon" tap shares
 * (listener.c), and each listener's registration (tap_tree.c,
 * tap_failures.c, tap_report.c; taps.c calls them).
 *
 * The tap carries, for every frame, a dnsmon_tap_data: a read-only view of
 * the engine of the capture being read, and the frame item the listener is
 * shown (item 0: a frame with nothing about DNS, queued so listeners see
 * time pass). Listeners read the engine only through it: they never change
 * it (the view is const), and tell one capture from the next by its
 * generation (docs/design.md, "One owner").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_LISTENER_H
#define DNSMON_LISTENER_H

#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_compat.h"
#include "dnsmon_engine.h"
#include "dnsmon_ledger.h"

typedef struct {
    dnsmon_view v;
    guint32 item;
} dnsmon_tap_data;

/* The engine a listener last saw. */
typedef struct {
    dnsmon_view v;
} dnsmon_source;
/* Notes d's engine; TRUE when it is another capture than the one the
 * listener counted so far (it must start over). */
gboolean dnsmon_source_note(dnsmon_source *s, const dnsmon_tap_data *d);
/* That engine is still open (the window may draw a listener after closing
 * its file). */
gboolean dnsmon_source_alive(const dnsmon_source *s);
void dnsmon_source_forget(dnsmon_source *s);

/* A second listener on the dnsmon tap whose draw runs fn(user) just before
 * the caller's own listener is drawn: attach it from the caller's packet
 * callback (listeners registered later are drawn first). It keeps *slot
 * pointing at itself while registered; Wireshark may remove it at exit. */
typedef struct dnsmon_drawer dnsmon_drawer;
void dnsmon_drawer_attach(dnsmon_drawer **slot, void (*fn)(void *), void *user);
void dnsmon_drawer_detach(dnsmon_drawer **slot);

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

#endif
