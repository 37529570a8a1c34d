/* dnsmon_extract.h — a frame into engine events (plugin/epan/extract.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_EXTRACT_H
#define DNSMON_EXTRACT_H

#include <epan/packet.h>

#include "dnsmon_tracker.h"

/* Resolves the protocol ids it looks for (from the handoff). */
void dnsmon_extract_init(void);
/* Reads the frame and feeds the tracker (first pass only). */
void dnsmon_feed_frame(dm_tracker *tr, packet_info *pinfo, gboolean ignore_multicast);
/* Wireshark's DNS dissector flags a repeated query itself within this many
 * seconds of the first (its preference dns.retransmission_timer): dnsmon
 * does not say it again. */
double dnsmon_wireshark_retransmission_timer(void);

#endif
