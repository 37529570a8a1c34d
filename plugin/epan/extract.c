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
#include "dnsmon_parse.h"

enum { L_DNS, L_MDNS, L_LLMNR, L_ICMP, L_ICMPV6, L_TCP, L_COUNT };

static const char *const layer_names[L_COUNT] = {
    [L_DNS] = "dns", [L_MDNS] = "mdns", [L_LLMNR] = "llmnr", [L_ICMP] = "icmp",
    [L_ICMPV6] = "icmpv6", [L_TCP] = "tcp",
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
pinfo_addr(const address *a, dm_addr *out)
{
    memset(out, 0, sizeof *out);
    if (a->type == AT_IPv4 && a->len == 4) {
        out->family = 4;
        memcpy(out->bytes, a->data, 4);
        return TRUE;
    }
    if (a->type == AT_IPv6 && a->len == 16) {
        out->family = 6;
        memcpy(out->bytes, a->data, 16);
        return TRUE;
    }
    return FALSE;
}

static dm_time
packet_time(const packet_info *pinfo)
{
    return dm_time_from((gint64)pinfo->abs_ts.secs, pinfo->abs_ts.nsecs);
}

static gboolean
multicast_port(guint16 p)
{
    return p == 5353 || p == 5355;
}

/* The bytes of a data source. */
static const guint8 *
source_bytes(const struct data_source *src, gsize *len)
{
    tvbuff_t *tvb = get_data_source_tvb(src);
    *len = tvb ? (gsize)tvb_captured_length(tvb) : 0;
    return *len ? tvb_get_ptr(tvb, 0, (gint)*len) : NULL;
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
    m.frame = pinfo->num;
    m.ts = packet_time(pinfo);
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
    s.frame = pinfo->num;
    s.ts = packet_time(pinfo);
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
feed_dns(dm_tracker *tr, packet_info *pinfo, const guint8 *p, gsize len, dm_transport transport,
         const dm_addr *src, const dm_addr *dst)
{
    static dm_dns_parsed d;
    if (!dm_parse_dns(p, len, TRUE, &d))
        return;     /* not even a DNS header: nothing to follow */
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = pinfo->num;
    m.ts = packet_time(pinfo);
    m.id = d.id;
    m.opcode = d.opcode;
    if (d.has_question) {
        m.q.name = d.name;
        m.q.type = d.qtype;
        m.q.klass = d.qclass;
    }
    m.bad_question = d.bad_question;
    m.rd = d.rd;
    m.flow.transport = transport;
    guint16 sport = (guint16)pinfo->srcport, dport = (guint16)pinfo->destport;
    if (d.qr) {
        m.flow.client = *dst;
        m.flow.server = *src;
        m.flow.client_port = dport;
        m.flow.server_port = sport;
        m.rcode = d.rcode;
        m.ancount = d.ancount;
        m.tc = d.tc;
        m.has_ede = d.has_ede;
        m.ede_code = d.ede_code;
        m.ede_text = d.ede_text;
        m.aa = d.aa;
        m.ns_in_authority = d.ns_in_authority;
        m.cname_only = d.cname_only;
        m.n_learned = d.n_learned;
        for (guint i = 0; i < d.n_learned; i++)
            m.learned[i] = d.learned[i];
        dm_tracker_response(tr, &m);
    } else {
        m.flow.client = *src;
        m.flow.server = *dst;
        m.flow.client_port = sport;
        m.flow.server_port = dport;
        dm_tracker_query(tr, &m);
    }
}

/* DNS over TCP: complete length-prefixed messages from the start; FALSE if
 * the first one is not (a segment in the middle of a message). */
static gboolean
feed_tcp_messages(dm_tracker *tr, packet_info *pinfo, const guint8 *p, gsize len,
                  const dm_addr *src, const dm_addr *dst)
{
    gsize off = 0;
    while (off + 2 + 12 <= len) {
        gsize n = (gsize)(p[off] << 8 | p[off + 1]);
        if (n < 12 || off + 2 + n > len)
            break;
        feed_dns(tr, pinfo, p + off + 2, n, DM_TCP, src, dst);
        off += 2 + n;
    }
    return off > 0;
}

static void
feed_plain(dm_tracker *tr, packet_info *pinfo, guint layers, gboolean ignore_multicast)
{
    dm_addr src, dst;
    if (!pinfo_addr(&pinfo->net_src, &src) || !pinfo_addr(&pinfo->net_dst, &dst))
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
        const guint8 *p = source_bytes(l->data, &len);
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
                done = feed_tcp_messages(tr, pinfo, p + at.payload, at.end - at.payload, &src,
                                         &dst);
            else
                done = (feed_dns(tr, pinfo, p + at.payload, at.end - at.payload, DM_UDP, &src,
                                 &dst), TRUE);
        } else if (dns && tcp) {
            done = feed_tcp_messages(tr, pinfo, p, len, &src, &dst);
        } else if (dns && len >= 8 + 12 && (p[0] << 8 | p[1]) == sport &&
                   (p[2] << 8 | p[3]) == dport) {
            /* a reassembled IP datagram: its UDP header first */
            feed_dns(tr, pinfo, p + 8, MIN(len, (gsize)MAX(p[4] << 8 | p[5], 8)) - 8, DM_UDP,
                     &src, &dst);
            done = TRUE;
        }
    }
}

void
dnsmon_feed_frame(dm_tracker *tr, packet_info *pinfo, gboolean ignore_multicast)
{
    dm_tracker_begin_frame(tr, pinfo->num, packet_time(pinfo));
    guint layers = frame_layers(pinfo);
    if (layers & ((1u << L_ICMP) | (1u << L_ICMPV6))) {
        /* The ICMP message carried by the IP header pinfo's addresses name. */
        dm_addr src, dst;
        if (!pinfo_addr(&pinfo->net_src, &src) || !pinfo_addr(&pinfo->net_dst, &dst))
            return;
        for (GSList *l = pinfo->data_src; l; l = l->next) {
            gsize len, ip, icmp;
            guint8 version;
            const guint8 *p = source_bytes(l->data, &len);
            if (p && dm_find_icmp(p, len, &src, &dst, &ip, &icmp, &version)) {
                feed_icmp(tr, pinfo, p + icmp, len - icmp, version, &src, ignore_multicast);
                return;
            }
        }
        return;
    }
    if (layers & ((1u << L_DNS) | (1u << L_MDNS) | (1u << L_LLMNR) | (1u << L_TCP)))
        feed_plain(tr, pinfo, layers, ignore_multicast);
}
