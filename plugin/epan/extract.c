/* extract.c — turns a frame into tracker events (first pass only).
 *
 * dnsmon asks Wireshark for no field at all: a post-dissector that wants
 * one makes Wireshark build a protocol tree on every frame, and every
 * dissector then does its tree work (the DNS dissector parses every record)
 * — about as much again as dissecting the frame. Instead dnsmon reads what
 * the dissectors leave in packet_info anyway — which protocols the frame
 * holds (its layers), the innermost addresses and ports, the data sources
 * (the frame, reassembled buffers) — and finds in the bytes the one header
 * that agrees with all of it (parse.c: dm_find_transport, dm_find_icmp):
 * the innermost UDP or TCP header under any tunnel, the ICMP message. The
 * DNS header and question, the ICMP quote and the TCP flags are read from
 * there.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>

#define DM_WANT_PREF_VALUE
#include "dnsmon_compat.h"
#include "dnsmon_extract.h"
#include "dnsmon_extract_encrypted.h"
#include "dnsmon_frame.h"
#include "dnsmon_parse.h"

enum { L_DNS, L_MDNS, L_LLMNR, L_ICMP, L_ICMPV6, L_TCP, L_TLS, L_HTTP2, L_QUIC, L_COUNT };

static const char *const layer_names[L_COUNT] = {
    [L_DNS] = "dns", [L_MDNS] = "mdns", [L_LLMNR] = "llmnr", [L_ICMP] = "icmp",
    [L_ICMPV6] = "icmpv6", [L_TCP] = "tcp", [L_TLS] = "tls", [L_HTTP2] = "http2",
    [L_QUIC] = "quic",
};
static int layer_ids[L_COUNT];

void
dnsmon_extract_init(void)
{
    for (int i = 0; i < L_COUNT; i++)
        layer_ids[i] = proto_get_id_by_filter_name(layer_names[i]);
}

/* Which of the protocols above the frame holds (one walk over its layers). */
static guint
frame_layers(const packet_info *pinfo)
{
    guint have = 0;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        for (int i = 0; i < L_COUNT; i++)
            if (id == layer_ids[i])
                have |= 1u << i;
    }
    return have;
}

static gboolean
multicast_port(guint16 p)
{
    return p == 5353 || p == 5355;
}

double
dnsmon_wireshark_retransmission_timer(void)
{
    module_t *dns = prefs_find_module("dns");
    pref_t *timer = dns ? prefs_find_preference(dns, "retransmission_timer") : NULL;
    return timer ? (double)DM_PREF_UINT(timer) : 0;
}

/* ---- ICMP errors ------------------------------------------------------- */

static void
feed_icmp(dm_tracker *tr, packet_info *pinfo, const guint8 *p, gsize len, guint8 version,
          const dm_addr *reporter, gboolean ignore_multicast)
{
    dm_icmp_quote q;
    if (!dm_parse_icmp(p, len, version, &q) || !dm_icmp_is_error(version, q.type))
        return;
    /* Only UDP and TCP quotes can be about DNS; an error about an ICMP
     * error is left alone. */
    if (!q.has_ports || (q.proto != 17 && q.proto != 6))
        return;
    dm_icmp_msg m;
    memset(&m, 0, sizeof m);
    m.frame = dnsmon_frame_num(pinfo);
    m.ts = dnsmon_packet_time(pinfo);
    m.reporter = *reporter;
    m.version = version;
    m.type = q.type;
    m.code = q.code;
    m.transport = q.proto == 6 ? DM_TCP : DM_UDP;
    m.src = q.src;
    m.dst = q.dst;
    m.sport = q.sport;
    m.dport = q.dport;
    m.tcp_syn = m.transport == DM_TCP && q.tcp_syn;
    gboolean dns_ports = m.sport == 53 || m.dport == 53 || multicast_port(m.sport) ||
                         multicast_port(m.dport);
    if (ignore_multicast &&
        (multicast_port(m.sport) || multicast_port(m.dport) || dm_addr_is_multicast(&m.dst)))
        return;
    /* The DNS message the quote holds, as far as it goes (over TCP after its
     * two length bytes; a quoted SYN holds none). */
    gsize dns = q.payload + (m.transport == DM_TCP ? 2 : 0);
    static dm_dns_parsed d;
    if (dns_ports && q.payload && dns < q.quote_end &&
        dm_parse_dns(p + dns, q.quote_end - dns, FALSE, &d)) {
        m.has_id = TRUE;
        m.id = d.id;
        m.qr = d.qr;
        if (d.has_question) {
            m.q.name = d.name;
            m.q.type = d.qtype;
            m.q.klass = d.qclass;
        }
    }
    dm_tracker_icmp(tr, &m);
}

/* ---- TCP and DNS messages ---------------------------------------------- */

static void
feed_tcp(dm_tracker *tr, packet_info *pinfo, const guint8 *p, gsize len, const dm_addr *src,
         const dm_addr *dst)
{
    dm_tcp_hdr h;
    if (!dm_parse_tcp(p, len, &h) || (h.sport != 53 && h.dport != 53))
        return;
    dm_tcp_seg s;
    memset(&s, 0, sizeof s);
    s.frame = dnsmon_frame_num(pinfo);
    s.ts = dnsmon_packet_time(pinfo);
    s.from_client = h.dport == 53;
    s.flow.transport = DM_TCP;
    s.flow.client = s.from_client ? *src : *dst;
    s.flow.server = s.from_client ? *dst : *src;
    s.flow.client_port = s.from_client ? h.sport : h.dport;
    s.flow.server_port = s.from_client ? h.dport : h.sport;
    s.syn = h.syn;
    s.ack = h.ack;
    s.rst = h.rst;
    s.fin = h.fin;
    dm_tracker_tcp(tr, &s);
}

static void
feed_plain(dm_tracker *tr, packet_info *pinfo, guint layers, gboolean ignore_multicast)
{
    dm_addr src, dst;
    if (!dnsmon_pinfo_addr(&pinfo->net_src, &src) || !dnsmon_pinfo_addr(&pinfo->net_dst, &dst))
        return;
    guint16 sport = (guint16)pinfo->srcport, dport = (guint16)pinfo->destport;
    gboolean dns = (layers & ((1u << L_DNS) | (1u << L_MDNS) | (1u << L_LLMNR))) != 0;
    if (ignore_multicast &&
        ((layers & ((1u << L_MDNS) | (1u << L_LLMNR))) || dm_addr_is_multicast(&dst) ||
         multicast_port(sport) || multicast_port(dport)))
        return;
    gboolean tcp = pinfo->ptype == PT_TCP;
    if (pinfo->ptype != PT_UDP && !tcp)
        return;
    if (!dns && !(tcp && (sport == 53 || dport == 53)))
        return;
    /* The frame first; a DNS message or datagram reassembled from several
     * segments or fragments is in another data source, from its start. */
    gboolean done = FALSE;
    for (GSList *l = pinfo->data_src; l && !done; l = l->next) {
        gsize len;
        const guint8 *p = dnsmon_source_bytes(l->data, &len);
        if (!p)
            continue;
        dm_located at;
        if (l == pinfo->data_src) {
            if (!dm_find_transport(p, len, tcp ? 6 : 17, &src, &dst, sport, dport, &at))
                continue;
            if (tcp)
                feed_tcp(tr, pinfo, p + at.transport, at.end - at.transport, &src, &dst);
            if (!dns)
                return;
            if (tcp)
                done = dnsmon_feed_stream(tr, pinfo, p + at.payload, at.end - at.payload, DM_TCP,
                                          &src, &dst, sport, dport);
            else
                done = (dnsmon_feed_dns(tr, pinfo, p + at.payload, at.end - at.payload, DM_UDP,
                                        &src, &dst, sport, dport, FALSE, 0), TRUE);
        } else if (dns && tcp) {
            done = dnsmon_feed_stream(tr, pinfo, p, len, DM_TCP, &src, &dst, sport, dport);
        } else if (dns && len >= 8 + 12 && (p[0] << 8 | p[1]) == sport &&
                   (p[2] << 8 | p[3]) == dport) {
            /* a reassembled IP datagram: its UDP header first */
            dnsmon_feed_dns(tr, pinfo, p + 8, MIN(len, (gsize)MAX(p[4] << 8 | p[5], 8)) - 8,
                            DM_UDP, &src, &dst, sport, dport, FALSE, 0);
            done = TRUE;
        }
    }
}

void
dnsmon_feed_frame(dm_tracker *tr, packet_info *pinfo, gboolean ignore_multicast)
{
    dm_tracker_begin_frame(tr, dnsmon_frame_num(pinfo), dnsmon_packet_time(pinfo));
    guint layers = frame_layers(pinfo);
    if (layers & ((1u << L_ICMP) | (1u << L_ICMPV6))) {
        /* The ICMP message carried by the IP header pinfo's addresses name. */
        dm_addr src, dst;
        if (!dnsmon_pinfo_addr(&pinfo->net_src, &src) || !dnsmon_pinfo_addr(&pinfo->net_dst, &dst))
            return;
        for (GSList *l = pinfo->data_src; l; l = l->next) {
            gsize len, ip, icmp;
            guint8 version;
            const guint8 *p = dnsmon_source_bytes(l->data, &len);
            if (p && dm_find_icmp(p, len, &src, &dst, &ip, &icmp, &version)) {
                feed_icmp(tr, pinfo, p + icmp, len - icmp, version, &src, ignore_multicast);
                return;
            }
        }
        return;
    }
    /* Encrypted DNS: what a TLS or QUIC connection to port 853 shows, and
     * the messages its keys decrypt (extract_encrypted.c). */
    guint enc = ((layers & (1u << L_TLS)) ? DM_L_TLS : 0) |
                ((layers & (1u << L_HTTP2)) ? DM_L_HTTP2 : 0) |
                ((layers & (1u << L_QUIC)) ? DM_L_QUIC : 0) |
                ((layers & (1u << L_DNS)) ? DM_L_DNS : 0);
    if (dnsmon_feed_encrypted(tr, pinfo, enc))
        return;
    if (layers & ((1u << L_DNS) | (1u << L_MDNS) | (1u << L_LLMNR) | (1u << L_TCP)))
        feed_plain(tr, pinfo, layers, ignore_multicast);
}
