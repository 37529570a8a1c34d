/* extract.c — turns a frame into tracker events (first pass only).
 *
 * dnsmon asks Wireshark for the protocol items of ip, ipv6, tcp, icmp,
 * icmpv6, dns, mdns and llmnr only: where they lie in the frame, not their
 * fields (asking for fields would make Wireshark build a full protocol tree
 * on every frame). The values it needs — DNS header and question, the ICMP
 * quote, TCP flags — are read from the bytes under those items (parse.c).
 *
 * A frame holding an ICMP error also holds the quoted packet's items. They
 * are told apart by offset: an item lies inside the quote when it starts
 * within the outermost ICMP item's bytes (tree nesting differs between
 * versions, offsets do not). Addresses of a DNS message are those of the
 * innermost IP layer (pinfo's network addresses after dissection), so DNS
 * inside VXLAN, GTP-U, Teredo, GRE or IP-in-IP is keyed on the inner packet.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"
#include "dnsmon_parse.h"

enum { F_IP, F_IPV6, F_TCP, F_ICMP, F_ICMPV6, F_DNS, F_MDNS, F_LLMNR, F_DNS_RETRANS, F_COUNT };

static struct { int hf; const char *name; } fields[F_COUNT] = {
    [F_IP] = { -1, "ip" },          [F_IPV6] = { -1, "ipv6" },      [F_TCP] = { -1, "tcp" },
    [F_ICMP] = { -1, "icmp" },      [F_ICMPV6] = { -1, "icmpv6" },
    [F_DNS] = { -1, "dns" },        [F_MDNS] = { -1, "mdns" },      [F_LLMNR] = { -1, "llmnr" },
    /* Wireshark's own DNS retransmission flag: dnsmon does not repeat it. */
    [F_DNS_RETRANS] = { -1, "dns.retransmission" },
};

void
dnsmon_extract_init(void)
{
    for (int i = 0; i < F_COUNT; i++)
        fields[i].hf = proto_registrar_get_id_byname(fields[i].name);
}

GArray *
dnsmon_wanted_hfids(void)
{
    GArray *a = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    for (int i = 0; i < F_COUNT; i++)
        if (fields[i].hf > 0)
            g_array_append_val(a, fields[i].hf);
    return a;
}

typedef struct {
    field_info **fi;
    guint n;
} finfos;

static finfos
get(proto_tree *tree, int f)
{
    finfos r = { NULL, 0 };
    if (fields[f].hf <= 0)
        return r;
    GPtrArray *a = proto_get_finfo_ptr_array(tree, fields[f].hf);
    if (a) {
        r.fi = (field_info **)a->pdata;
        r.n = a->len;
    }
    return r;
}

/* The bytes under an item, as far as they were captured. */
static const guint8 *
bytes_of(const field_info *fi, gsize skip, gsize *len)
{
    *len = 0;
    if (!fi || !fi->ds_tvb || fi->start < 0)
        return NULL;
    gint avail = tvb_captured_length_remaining(fi->ds_tvb, fi->start);
    if (avail <= 0)
        return NULL;
    gsize n = (fi->length > 0 && fi->length < avail) ? (gsize)fi->length : (gsize)avail;
    if (n <= skip)
        return NULL;
    *len = n - skip;
    return tvb_get_ptr(fi->ds_tvb, fi->start + (gint)skip, (gint)*len);
}

static gboolean
inside(const field_info *fi, const field_info *outer)
{
    return outer && fi->ds_tvb == outer->ds_tvb && fi->start >= outer->start &&
           fi->start < outer->start + MAX(outer->length, 0);
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

/* ---- ICMP errors ------------------------------------------------------- */

/* The IP header that carries the ICMP message: the last one before it. */
static gboolean
reporter_of(proto_tree *tree, const field_info *icmp, dm_addr *reporter)
{
    const field_info *best = NULL;
    static const int ips[] = { F_IP, F_IPV6 };
    for (gsize k = 0; k < G_N_ELEMENTS(ips); k++) {
        finfos a = get(tree, ips[k]);
        for (guint i = 0; i < a.n; i++) {
            const field_info *fi = a.fi[i];
            if (fi->ds_tvb == icmp->ds_tvb && fi->start < icmp->start &&
                (!best || fi->start > best->start))
                best = fi;
        }
    }
    gsize len;
    const guint8 *p = bytes_of(best, 0, &len);
    return p && dm_parse_ip_src(p, len, reporter);
}

/* The DNS message the quote holds, if Wireshark's DNS dissector read one. */
static const field_info *
quoted_dns(proto_tree *tree, const field_info *icmp)
{
    static const int protos[] = { F_DNS, F_MDNS, F_LLMNR };
    for (gsize k = 0; k < G_N_ELEMENTS(protos); k++) {
        finfos a = get(tree, protos[k]);
        for (guint i = 0; i < a.n; i++)
            if (inside(a.fi[i], icmp))
                return a.fi[i];
    }
    return NULL;
}

static void
feed_icmp(dm_tracker *tr, packet_info *pinfo, proto_tree *tree, const field_info *icmp,
          guint8 version)
{
    gsize len;
    const guint8 *p = bytes_of(icmp, 0, &len);
    dm_icmp_quote q;
    if (!p || !dm_parse_icmp(p, len, version, &q) || !dm_icmp_is_error(version, q.type))
        return;
    /* Only UDP and TCP quotes can be about DNS; an error about an ICMP
     * error is left alone. */
    if (!q.has_ports || (q.proto != 17 && q.proto != 6))
        return;
    dm_icmp_msg m;
    memset(&m, 0, sizeof m);
    if (!reporter_of(tree, icmp, &m.reporter))
        return;
    m.frame = pinfo->num;
    m.ts = packet_time(pinfo);
    m.version = version;
    m.type = q.type;
    m.code = q.code;
    m.transport = q.proto == 6 ? DM_TCP : DM_UDP;
    m.src = q.src;
    m.dst = q.dst;
    m.sport = q.sport;
    m.dport = q.dport;
    m.tcp_syn = m.transport == DM_TCP && q.tcp_syn;
    if (dnsmon_pref_ignore_multicast &&
        (multicast_port(m.sport) || multicast_port(m.dport) || dm_addr_is_multicast(&m.dst)))
        return;
    dm_dns_parsed d;
    const field_info *dns = quoted_dns(tree, icmp);
    gsize dlen;
    const guint8 *dp = bytes_of(dns, m.transport == DM_TCP ? 2 : 0, &dlen);
    if (dp && dm_parse_dns(dp, dlen, FALSE, &d)) {
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
feed_tcp(dm_tracker *tr, packet_info *pinfo, const field_info *tcp, const dm_addr *src,
         const dm_addr *dst)
{
    gsize len;
    const guint8 *p = bytes_of(tcp, 0, &len);
    dm_tcp_hdr h;
    if (!p || !dm_parse_tcp(p, len, &h) || (h.sport != 53 && h.dport != 53))
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
feed_dns(dm_tracker *tr, packet_info *pinfo, const field_info *msg, gboolean multicast_proto,
         dm_transport transport, const dm_addr *src, const dm_addr *dst, gboolean dns_retrans)
{
    guint16 sport = (guint16)pinfo->srcport, dport = (guint16)pinfo->destport;
    if (dnsmon_pref_ignore_multicast &&
        (multicast_proto || dm_addr_is_multicast(dst) || multicast_port(sport) ||
         multicast_port(dport)))
        return;
    gsize len;
    const guint8 *p = bytes_of(msg, transport == DM_TCP ? 2 : 0, &len);
    /* Errors carry an Extended DNS Error worth naming; others need no walk. */
    static dm_dns_parsed d;
    if (!p || !dm_parse_dns(p, len, TRUE, &d))
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
    m.flow.transport = transport;
    m.ws_flagged = dns_retrans;
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
        dm_tracker_response(tr, &m);
    } else {
        m.flow.client = *src;
        m.flow.server = *dst;
        m.flow.client_port = sport;
        m.flow.server_port = dport;
        dm_tracker_query(tr, &m);
    }
}

static void
feed_plain(dm_tracker *tr, packet_info *pinfo, proto_tree *tree)
{
    dm_addr src, dst;
    if (!pinfo_addr(&pinfo->net_src, &src) || !pinfo_addr(&pinfo->net_dst, &dst))
        return;
    finfos tcp = get(tree, F_TCP);
    if (tcp.n)
        feed_tcp(tr, pinfo, tcp.fi[tcp.n - 1], &src, &dst);   /* the innermost */
    if (pinfo->ptype != PT_UDP && pinfo->ptype != PT_TCP)
        return;
    dm_transport t = pinfo->ptype == PT_TCP ? DM_TCP : DM_UDP;
    gboolean retrans = get(tree, F_DNS_RETRANS).n > 0;
    static const int protos[] = { F_DNS, F_MDNS, F_LLMNR };
    for (gsize k = 0; k < G_N_ELEMENTS(protos); k++) {
        finfos a = get(tree, protos[k]);
        for (guint i = 0; i < a.n; i++)
            feed_dns(tr, pinfo, a.fi[i], protos[k] != F_DNS, t, &src, &dst, retrans);
    }
}

void
dnsmon_feed_frame(dm_tracker *tr, packet_info *pinfo, proto_tree *tree)
{
    dm_tracker_begin_frame(tr, pinfo->num, packet_time(pinfo));
    if (!tree)
        return;
    finfos v4 = get(tree, F_ICMP), v6 = get(tree, F_ICMPV6);
    const field_info *icmp = v4.n ? v4.fi[0] : NULL;
    const field_info *icmp6 = v6.n ? v6.fi[0] : NULL;
    /* The outer ICMP item is the first in the frame's bytes. */
    if (icmp && icmp6) {
        if (icmp->ds_tvb == icmp6->ds_tvb && icmp6->start < icmp->start)
            icmp = NULL;
        else
            icmp6 = NULL;
    }
    if (icmp || icmp6)
        feed_icmp(tr, pinfo, tree, icmp ? icmp : icmp6, icmp ? 4 : 6);
    else
        feed_plain(tr, pinfo, tree);
}
