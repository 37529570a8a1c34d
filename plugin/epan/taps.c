/* taps.c — the "dnsmon" tap (docs/design.md, "Statistics"): registers it
 * and its listeners, and queues each frame's items for them. Each listener
 * lives in its own file: tap_tree.c (-z dnsmon,tree), tap_failures.c
 * (-z dnsmon,failures), tap_report.c (-z dnsmon,report and -z dnsmon,log);
 * what they share is listener.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_listener.h"
#include "dnsmon_frame.h"
#include "dnsmon_taps.h"

static int dnsmon_tap = -1;

void
dnsmon_taps_queue(const dnsmon_view *v, packet_info *pinfo)
{
    if (!v->tr || !have_tap_listener(dnsmon_tap))
        return;
    guint32 first;
    guint n = dm_tracker_frame_items(v->tr, dnsmon_frame_num(pinfo), &first);
    for (guint i = 0; i < MAX(n, 1); i++) {
        dnsmon_tap_data *d = wmem_new(pinfo->pool, dnsmon_tap_data);
        d->v = *v;
        d->item = n ? first + i : 0;
        tap_queue_packet(dnsmon_tap, pinfo, d);
    }
}

static void
dnsmon_taps_shutdown(void)
{
    dnsmon_failures_shutdown();
    dnsmon_tree_shutdown();
}

void
dnsmon_taps_register(void)
{
    dnsmon_tap = register_tap("dnsmon");
    register_shutdown_routine(dnsmon_taps_shutdown);
    dnsmon_tree_register();
    dnsmon_failures_register();
    dnsmon_report_register();
    dnsmon_log_register();
}
