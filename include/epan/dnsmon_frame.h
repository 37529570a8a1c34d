/* dnsmon_frame.h — reading one frame without a protocol tree: what the
 * dissectors left in packet_info (addresses, ports, the data sources) and
 * handing a DNS message to the tracker (plugin/epan/frame.c). Shared by the
 * plain (extract.c) and the encrypted (extract_encrypted.c) readers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_FRAME_H
#define DNSMON_FRAME_H

#include <epan/packet.h>

#include "dnsmon_tracker.h"

/* A frame's number for the engine: tshark's session resets (-M) and new ring
 * files restart Wireshark's numbering, the engine's goes on (the frames
 * of the sessions before this one come first). */
guint32 dnsmon_frame_num(const packet_info *pinfo);
/* How many frames the earlier sessions had (the engine's owner sets it). */
void dnsmon_frame_set_offset(guint32 frames);
/* A frame number of the engine as Wireshark numbers it in this session, 0
 * for a frame of an earlier one (no link can point there). */
guint32 dnsmon_frame_session_num(guint32 num);
gboolean dnsmon_pinfo_addr(const address *a, dm_addr *out);
dm_time dnsmon_packet_time(const packet_info *pinfo);
/* The bytes of a data source (NULL when empty). */
const guint8 *dnsmon_source_bytes(const struct data_source *src, gsize *len);
/* Whether a data source is named `name` ("Decrypted TLS", ...). */
gboolean dnsmon_source_is(const struct data_source *src, const char *name);

/* A DNS message of `len` bytes at p, from src:sport to dst:dport over
 * `transport`: parsed and fed as a query or a response. With have_id, id
 * replaces its DNS ID as the key (DoH, DoQ: the stream). FALSE if it is not
 * even a DNS header. */
gboolean dnsmon_feed_dns(dm_tracker *tr, const packet_info *pinfo, const guint8 *p, gsize len,
                         dm_transport transport, const dm_addr *src, const dm_addr *dst,
                         guint16 sport, guint16 dport, gboolean have_id, guint16 id);

/* DNS over TCP or TLS: the length-prefixed messages from the start of p;
 * FALSE if the first one is not whole (the middle of a message). */
gboolean dnsmon_feed_stream(dm_tracker *tr, const packet_info *pinfo, const guint8 *p,
                            gsize len, dm_transport transport, const dm_addr *src,
                            const dm_addr *dst, guint16 sport, guint16 dport);

#endif
