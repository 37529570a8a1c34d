/* dnsmon_glue.h — what the Wireshark-facing files share: registration
 * entry points, the per-file tracker and lookups, extraction and rendering.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_GLUE_H
#define DNSMON_GLUE_H

#include <epan/packet.h>
#include "dnsmon_compat.h"
#include "dnsmon_lookups.h"
#include "dnsmon_tracker.h"

void proto_register_dnsmon(void);
void proto_reg_handoff_dnsmon(void);

/* The tracker and lookups of the capture file being dissected (NULL
 * between files). */
dm_tracker *dnsmon_tracker(void);
dm_lookups *dnsmon_lookups(void);

/* Preferences (packet-dnsmon.c). */
extern dm_pref_bool dnsmon_pref_ignore_multicast;

/* extract.c: reading the frame without a protocol tree. */
GArray *dnsmon_wanted_hfids(void);          /* for set_postdissector_wanted_hfids: none */
void dnsmon_extract_init(void);             /* resolve protocol ids (handoff) */
/* Reads the frame and feeds the tracker (first pass only). */
void dnsmon_feed_frame(dm_tracker *tr, packet_info *pinfo);
/* Wireshark's DNS dissector flags a repeated query itself within this many
 * seconds of the first (its preference dns.retransmission_timer): dnsmon
 * does not say it again. */
double dnsmon_wireshark_retransmission_timer(void);

/* render.c: tree items and expert info for one frame, on every pass. */
void dnsmon_render_register(int proto);
void dnsmon_render_frame(const dm_tracker *tr, const dm_lookups *ls, tvbuff_t *tvb,
                         packet_info *pinfo, proto_tree *tree);

/* taps.c: the "dnsmon" tap carries each frame item's id (as a pointer),
 * and NULL for a frame with none, so listeners see time pass. */
void dnsmon_taps_register(void);
void dnsmon_taps_queue(dm_tracker *tr, packet_info *pinfo);

#endif
