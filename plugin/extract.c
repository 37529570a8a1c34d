/* extract.c — reads what the IP, UDP, TCP, DNS, ICMP and ICMPv6 dissectors
 * put in the tree (first pass only: the fields are not there on later
 * passes) and turns it into tracker events.
 *
 * A frame holding an ICMP error also holds the quoted packet's fields, in the
 * same arrays. They are told apart by offset: a field lies inside the quote
 * when it starts within the outer ICMP item's bytes (tree nesting differs
 * between versions, offsets do not).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"

enum {
    F_IP_SRC, F_IP_DST, F_IPV6_SRC, F_IPV6_DST,
    F_UDP_SRCPORT, F_UDP_DSTPORT, F_TCP_SRCPORT, F_TCP_DSTPORT,
    F_DNS, F_MDNS, F_LLMNR,
    F_DNS_ID, F_DNS_QR, F_DNS_RCODE, F_DNS_TC, F_DNS_ANCOUNT,
    F_DNS_QNAME, F_DNS_QTYPE, F_DNS_QCLASS,
    F_ICMP, F_ICMP_TYPE, F_ICMP_CODE, F_ICMPV6, F_ICMPV6_TYPE, F_ICMPV6_CODE,
    F_COUNT
};

static struct { int hf; const char *name; } fields[F_COUNT] = {
    [F_IP_SRC] = { -1, "ip.src" },          [F_IP_DST] = { -1, "ip.dst" },
    [F_IPV6_SRC] = { -1, "ipv6.src" },      [F_IPV6_DST] = { -1, "ipv6.dst" },
    [F_UDP_SRCPORT] = { -1, "udp.srcport" }, [F_UDP_DSTPORT] = { -1, "udp.dstport" },
    [F_TCP_SRCPORT] = { -1, "tcp.srcport" }, [F_TCP_DSTPORT] = { -1, "tcp.dstport" },
    [F_DNS] = { -1, "dns" },                [F_MDNS] = { -1, "mdns" },
    [F_LLMNR] = { -1, "llmnr" },
    [F_DNS_ID] = { -1, "dns.id" },          [F_DNS_QR] = { -1, "dns.flags.response" },
    [F_DNS_RCODE] = { -1, "dns.flags.rcode" }, [F_DNS_TC] = { -1, "dns.flags.truncated" },
    [F_DNS_ANCOUNT] = { -1, "dns.count.answers" },
    [F_DNS_QNAME] = { -1, "dns.qry.name" }, [F_DNS_QTYPE] = { -1, "dns.qry.type" },
    [F_DNS_QCLASS] = { -1, "dns.qry.class" },
    [F_ICMP] = { -1, "icmp" },              [F_ICMP_TYPE] = { -1, "icmp.type" },
    [F_ICMP_CODE] = { -1, "icmp.code" },    [F_ICMPV6] = { -1, "icmpv6" },
    [F_ICMPV6_TYPE] = { -1, "icmpv6.type" }, [F_ICMPV6_CODE] = { -1, "icmpv6.code" },
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

/* The finfos of one field in this frame (never NULL). */
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

/* A byte range in one data source. */
typedef struct {
    tvbuff_t *ds;
    gint start, end;
} span;

static gboolean
in_span(const field_info *fi, const span *s)
{
    return s && fi->ds_tvb == s->ds && fi->start >= s->start && fi->start < s->end;
}

static span
span_of(const field_info *fi)
{
    span s = { fi->ds_tvb, fi->start, fi->start + (fi->length > 0 ? fi->length : 0) };
    return s;
}

/* First finfo of f inside (inside != NULL) or outside (outside != NULL) a span. */
static field_info *
first_in(proto_tree *tree, int f, const span *inside, const span *outside)
{
    finfos a = get(tree, f);
    for (guint i = 0; i < a.n; i++) {
        if (inside && !in_span(a.fi[i], inside))
            continue;
        if (outside && in_span(a.fi[i], outside))
            continue;
        return a.fi[i];
    }
    return NULL;
}

/* The last finfo of f in the frame's own data before `before`, outside the
 * quote: the IP header that carries the transport header. */
static field_info *
last_before(proto_tree *tree, int f, const field_info *before, const span *outside)
{
    finfos a = get(tree, f);
    field_info *best = NULL;
    for (guint i = 0; i < a.n; i++) {
        field_info *fi = a.fi[i];
        if (outside && in_span(fi, outside))
            continue;
        if (before && fi->ds_tvb == before->ds_tvb && fi->start > before->start)
            continue;
        if (!best || (fi->ds_tvb == best->ds_tvb && fi->start > best->start))
            best = fi;
    }
    return best;
}

static guint32
uval(const field_info *fi)
{
    return fi ? fvalue_get_uinteger(DM_FI_FV((field_info *)fi)) : 0;
}

static gboolean
bval(const field_info *fi)
{
    return fi ? fvalue_get_uinteger64(DM_FI_FV((field_info *)fi)) != 0 : FALSE;
}

static const char *
sval(const field_info *fi)
{
    return fi ? fvalue_get_string(DM_FI_FV((field_info *)fi)) : NULL;
}

/* Addresses are read from the packet bytes: that works in every version. */
static gboolean
read_addr(const field_info *fi, dm_addr *a)
{
    memset(a, 0, sizeof *a);
    if (!fi || !fi->ds_tvb)
        return FALSE;
    gint len = fi->length;
    if (len == 4 && tvb_bytes_exist(fi->ds_tvb, fi->start, 4)) {
        a->family = 4;
        tvb_memcpy(fi->ds_tvb, a->bytes, fi->start, 4);
        return TRUE;
    }
    if (len == 16 && tvb_bytes_exist(fi->ds_tvb, fi->start, 16)) {
        a->family = 6;
        tvb_memcpy(fi->ds_tvb, a->bytes, fi->start, 16);
        return TRUE;
    }
    return FALSE;
}

/* src/dst of the IP header (v4 or v6) nearest before `anchor`. */
static gboolean
read_ip_pair(proto_tree *tree, const field_info *anchor, const span *inside, const span *outside,
             dm_addr *src, dm_addr *dst)
{
    field_info *s4, *d4, *s6, *d6;
    if (inside) {
        s4 = first_in(tree, F_IP_SRC, inside, NULL);
        d4 = first_in(tree, F_IP_DST, inside, NULL);
        s6 = first_in(tree, F_IPV6_SRC, inside, NULL);
        d6 = first_in(tree, F_IPV6_DST, inside, NULL);
        /* The quote's own header comes first in its bytes. */
        if (s4 && s6) {
            if (s4->start < s6->start) s6 = d6 = NULL; else s4 = d4 = NULL;
        }
    } else {
        s4 = last_before(tree, F_IP_SRC, anchor, outside);
        d4 = last_before(tree, F_IP_DST, anchor, outside);
        s6 = last_before(tree, F_IPV6_SRC, anchor, outside);
        d6 = last_before(tree, F_IPV6_DST, anchor, outside);
        if (s4 && s6 && s4->ds_tvb == s6->ds_tvb) {
            if (s4->start > s6->start) s6 = d6 = NULL; else s4 = d4 = NULL;
        }
    }
    if (s4 && d4)
        return read_addr(s4, src) && read_addr(d4, dst);
    if (s6 && d6)
        return read_addr(s6, src) && read_addr(d6, dst);
    return FALSE;
}

/* Ports and transport of the UDP or TCP header inside/outside a span. */
static field_info *
read_ports(proto_tree *tree, const span *inside, const span *outside, dm_transport *t,
           guint16 *sport, guint16 *dport)
{
    field_info *us = first_in(tree, F_UDP_SRCPORT, inside, outside);
    field_info *ud = first_in(tree, F_UDP_DSTPORT, inside, outside);
    field_info *ts = first_in(tree, F_TCP_SRCPORT, inside, outside);
    field_info *td = first_in(tree, F_TCP_DSTPORT, inside, outside);
    if (us && ud && (!ts || us->start <= ts->start)) {
        *t = DM_UDP;
        *sport = (guint16)uval(us);
        *dport = (guint16)uval(ud);
        return us;
    }
    if (ts && td) {
        *t = DM_TCP;
        *sport = (guint16)uval(ts);
        *dport = (guint16)uval(td);
        return ts;
    }
    return NULL;
}

static dm_time
packet_time(const packet_info *pinfo)
{
    return (dm_time)pinfo->abs_ts.secs * DM_NS_PER_SEC + pinfo->abs_ts.nsecs;
}

/* ---- ICMP errors ------------------------------------------------------- */

static void
feed_icmp(dm_tracker *tr, packet_info *pinfo, proto_tree *tree, field_info *icmp, guint8 version)
{
    span q = span_of(icmp);
    dm_icmp_msg m;
    memset(&m, 0, sizeof m);
    m.frame = pinfo->num;
    m.ts = packet_time(pinfo);
    m.version = version;
    field_info *type = first_in(tree, version == 6 ? F_ICMPV6_TYPE : F_ICMP_TYPE, &q, NULL);
    field_info *code = first_in(tree, version == 6 ? F_ICMPV6_CODE : F_ICMP_CODE, &q, NULL);
    if (!type || !code)
        return;
    m.type = (guint8)uval(type);
    m.code = (guint8)uval(code);
    if (!dm_icmp_is_error(version, m.type))
        return;
    dm_addr dst;
    if (!read_ip_pair(tree, icmp, NULL, &q, &m.reporter, &dst))
        return;
    field_info *ports = read_ports(tree, &q, NULL, &m.transport, &m.sport, &m.dport);
    if (!ports || !read_ip_pair(tree, NULL, &q, NULL, &m.src, &m.dst))
        return;     /* quote too short to hold the transport header: ignored */
    field_info *id = first_in(tree, F_DNS_ID, &q, NULL);
    if (id) {
        m.has_id = TRUE;
        m.id = (guint16)uval(id);
    }
    field_info *qr = first_in(tree, F_DNS_QR, &q, NULL);
    if (qr) {
        m.has_qr = TRUE;
        m.qr = bval(qr);
    }
    field_info *name = first_in(tree, F_DNS_QNAME, &q, NULL);
    if (name) {
        m.q.name = sval(name);
        m.q.type = (guint16)uval(first_in(tree, F_DNS_QTYPE, &q, NULL));
        m.q.klass = (guint16)uval(first_in(tree, F_DNS_QCLASS, &q, NULL));
    }
    if (dnsmon_pref_ignore_multicast &&
        (m.sport == 5353 || m.dport == 5353 || m.sport == 5355 || m.dport == 5355 ||
         dm_addr_is_multicast(&m.dst)))
        return;
    dm_tracker_icmp(tr, &m);
}

/* ---- DNS messages ------------------------------------------------------ */

/* The DNS protocol items (dns, mdns, llmnr) of the frame, each one message. */
static void
collect_messages(proto_tree *tree, GPtrArray *out)
{
    static const int protos[] = { F_DNS, F_MDNS, F_LLMNR };
    for (gsize p = 0; p < G_N_ELEMENTS(protos); p++) {
        finfos a = get(tree, protos[p]);
        for (guint i = 0; i < a.n; i++)
            g_ptr_array_add(out, a.fi[i]);
    }
}

static void
feed_dns(dm_tracker *tr, packet_info *pinfo, proto_tree *tree, field_info *msg,
         const dm_addr *src, const dm_addr *dst, dm_transport transport, guint16 sport,
         guint16 dport)
{
    span s = span_of(msg);
    field_info *id = first_in(tree, F_DNS_ID, &s, NULL);
    field_info *qr = first_in(tree, F_DNS_QR, &s, NULL);
    if (!id || !qr)
        return;     /* not even a DNS header: nothing to follow */
    gboolean multicast_proto = msg->hfinfo->id == fields[F_MDNS].hf ||
                               msg->hfinfo->id == fields[F_LLMNR].hf;
    if (dnsmon_pref_ignore_multicast &&
        (multicast_proto || dm_addr_is_multicast(dst) || sport == 5353 || dport == 5353 ||
         sport == 5355 || dport == 5355))
        return;

    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = pinfo->num;
    m.ts = packet_time(pinfo);
    m.id = (guint16)uval(id);
    field_info *name = first_in(tree, F_DNS_QNAME, &s, NULL);
    if (name) {
        m.q.name = sval(name);
        m.q.type = (guint16)uval(first_in(tree, F_DNS_QTYPE, &s, NULL));
        m.q.klass = (guint16)uval(first_in(tree, F_DNS_QCLASS, &s, NULL));
    }
    m.flow.transport = transport;
    if (bval(qr)) {
        m.flow.client = *dst;
        m.flow.server = *src;
        m.flow.client_port = dport;
        m.flow.server_port = sport;
        m.rcode = (guint8)uval(first_in(tree, F_DNS_RCODE, &s, NULL));
        m.ancount = (guint16)uval(first_in(tree, F_DNS_ANCOUNT, &s, NULL));
        m.tc = bval(first_in(tree, F_DNS_TC, &s, NULL));
        dm_tracker_response(tr, &m);
    } else {
        m.flow.client = *src;
        m.flow.server = *dst;
        m.flow.client_port = sport;
        m.flow.server_port = dport;
        dm_tracker_query(tr, &m);
    }
}

void
dnsmon_feed_frame(dm_tracker *tr, packet_info *pinfo, proto_tree *tree)
{
    if (tree) {
        field_info *icmp = first_in(tree, F_ICMP, NULL, NULL);
        field_info *icmp6 = first_in(tree, F_ICMPV6, NULL, NULL);
        /* The outer ICMP item is the first in the frame's bytes. */
        if (icmp && icmp6) {
            if (icmp->start <= icmp6->start)
                icmp6 = NULL;
            else
                icmp = NULL;
        }
        if (icmp || icmp6) {
            feed_icmp(tr, pinfo, tree, icmp ? icmp : icmp6, icmp ? 4 : 6);
        } else {
            GPtrArray *msgs = g_ptr_array_new();
            collect_messages(tree, msgs);
            if (msgs->len) {
                dm_transport t = DM_UDP;
                guint16 sport = 0, dport = 0;
                dm_addr src, dst;
                field_info *ports = read_ports(tree, NULL, NULL, &t, &sport, &dport);
                if (ports && read_ip_pair(tree, ports, NULL, NULL, &src, &dst)) {
                    for (guint i = 0; i < msgs->len; i++)
                        feed_dns(tr, pinfo, tree, g_ptr_array_index(msgs, i), &src, &dst, t,
                                 sport, dport);
                }
            }
            g_ptr_array_free(msgs, TRUE);
        }
    }
    dm_tracker_mark_frame(tr, pinfo->num, packet_time(pinfo));
}
