/* dnsmon_taps.h — the "dnsmon" tap (taps.c); what its listeners share is
 * dnsmon_listener.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TAPS_H
#define DNSMON_TAPS_H

#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_engine.h"

/* From the post-dissector: registers the tap and its listeners; queues the
 * frame's items for the listeners. */
void dnsmon_taps_register(void);
void dnsmon_taps_queue(const dnsmon_view *v, packet_info *pinfo);

#endif
