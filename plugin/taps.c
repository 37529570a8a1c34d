/* taps.c — the "dnsmon" tap: one dnsmon_tap_info per frame item.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_glue.h"

static int dnsmon_tap = -1;

void
dnsmon_taps_register(void)
{
    dnsmon_tap = register_tap("dnsmon");
}

void
dnsmon_taps_queue(dm_tracker *tr, packet_info *pinfo)
{
    if (!have_tap_listener(dnsmon_tap))
        return;
    const GPtrArray *items = dm_tracker_frame_items(tr, pinfo->num);
    for (guint i = 0; items && i < items->len; i++) {
        dnsmon_tap_info *ti = wmem_new(pinfo->pool, dnsmon_tap_info);
        ti->item = g_ptr_array_index(items, i);
        ti->final = PINFO_FD_VISITED(pinfo);
        tap_queue_packet(dnsmon_tap, pinfo, ti);
    }
}
