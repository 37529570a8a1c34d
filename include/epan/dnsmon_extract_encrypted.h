/* dnsmon_extract_encrypted.h — DNS over TLS, HTTPS and QUIC in a frame
 * (plugin/epan/extract_encrypted.c; docs/design.md, "Encrypted DNS").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_EXTRACT_ENCRYPTED_H
#define DNSMON_EXTRACT_ENCRYPTED_H

#include <epan/packet.h>

#include "dnsmon_tracker.h"

/* The protocols of a frame encrypted DNS is read from. */
enum {
    DM_L_TLS = 1u << 0,
    DM_L_HTTP2 = 1u << 1,
    DM_L_QUIC = 1u << 2,
    DM_L_DNS = 1u << 3
};

/* Reads the frame's encrypted DNS, if any: TCP/UDP 853 seen in the clear,
 * and the decrypted messages Wireshark's data sources hold. TRUE when the
 * frame was an encrypted-DNS frame (nothing else to read in it). */
gboolean dnsmon_feed_encrypted(dm_tracker *tr, packet_info *pinfo, guint layers);

#endif
