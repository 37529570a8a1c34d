/* extract_encrypted.c — DNS over TLS, HTTPS and QUIC in a frame
 * (docs/design.md, "Encrypted DNS"; docs/encrypted-dns-notes.md has what
 * each Wireshark version shows a post-dissector).
 *
 * Two readings of one frame, both from the bytes (no protocol tree):
 *   - what shows in the clear on TCP or UDP port 853: the connection (SYN,
 *     reset, FIN; QUIC Initial and 1-RTT packets) and its TLS records (hellos,
 *     alerts, application data): the tracker follows the connection and
 *     decides it when its DNS cannot be read;
 *   - with the keys, the DNS messages in Wireshark's decrypted data sources:
 *     "Decrypted TLS" / "Reassembled TLS" (the DoT byte stream, or HTTP/2
 *     frames for DoH), "Decompressed Header" (a DoH GET's URL), "Decrypted
 *     QUIC" (QUIC frames for DoQ). DoH and DoQ send DNS ID 0: the stream is
 *     the key.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>

#include "dnsmon_compat.h"
#include "dnsmon_extract_encrypted.h"
#include "dnsmon_frame.h"
#include "dnsmon_parse.h"

#define DOT_PORT 853
#define MAX_FRAMES 32           /* HTTP/2 frames or QUIC STREAM frames per data source */

/* The key a stream stands for in place of the DNS ID (client streams are
 * odd in HTTP/2, multiples of 4 in QUIC). */
static guint16
stream_key(dm_transport t, guint64 stream)
{
    return (guint16)((t == DM_DOH ? stream >> 1 : stream >> 2) & 0xffff);
}

typedef struct {
    dm_tracker *tr;
    packet_info *pinfo;
    dm_addr src, dst;
    guint16 sport, dport;
    gboolean from_client;       /* the destination is the server's port */
    gboolean opens;             /* a ClientHello offering ALPN "dot" on another port */
} frame_ctx;

/* ---- in the clear: the connection -------------------------------------- */

static void
feed_connection(frame_ctx *f, dm_transport transport, const guint8 *payload, gsize len,
                const dm_tcp_hdr *tcp)
{
    dm_tcp_seg s;
    memset(&s, 0, sizeof s);
    s.frame = dnsmon_frame_num(f->pinfo);
    s.ts = dnsmon_packet_time(f->pinfo);
    s.from_client = f->from_client;
    s.opens = f->opens;
    s.flow.transport = transport;
    s.flow.client = f->from_client ? f->src : f->dst;
    s.flow.server = f->from_client ? f->dst : f->src;
    s.flow.client_port = f->from_client ? f->sport : f->dport;
    s.flow.server_port = f->from_client ? f->dport : f->sport;
    if (tcp) {
        s.syn = tcp->syn;
        s.ack = tcp->ack;
        s.rst = tcp->rst;
        s.fin = tcp->fin;
        dm_tls_info tls;
        if (len && dm_tls_scan(payload, len, &tls)) {
            s.hello = f->from_client ? tls.client_hello : tls.server_hello;
            s.tls13 = tls.tls13;
            s.alert = tls.alert;
            s.alert_level = tls.alert_clear ? tls.alert_level : 0;
            s.alert_desc = tls.alert_clear ? tls.alert_desc : 0;
            s.encrypted = (guint8)MIN(tls.encrypted, 255);
        }
    } else {
        /* QUIC: a client's Initial opens (or retries) the connection, the
         * server's first packet answers it; 1-RTT packets are its data. */
        dm_quic_info q;
        if (!dm_quic_scan(payload, len, &q))
            return;
        s.syn = f->from_client ? q.initial && !q.one_rtt : TRUE;
        s.ack = !f->from_client;
        s.hello = !f->from_client && (q.initial || q.handshake);
        s.encrypted = q.one_rtt ? 1 : 0;
    }
    dm_tracker_tcp(f->tr, &s);
}

/* ---- with the keys: the messages --------------------------------------- */

/* HTTP/2 frames of a decrypted TLS record: DATA frames are DNS messages of
 * their stream; the streams of HEADERS frames, in order, pair with the
 * "Decompressed Header" sources (a GET's query). */
static void
feed_http2(frame_ctx *f, const guint8 *p, gsize len, GArray *header_streams, gboolean dns)
{
    dm_http2_frame fr[MAX_FRAMES];
    guint n = dm_http2_frames(p, len, fr, MAX_FRAMES);
    for (guint i = 0; i < n; i++) {
        if (fr[i].type == DM_HTTP2_HEADERS)
            g_array_append_val(header_streams, fr[i].stream);
        /* Wireshark's DNS layer says the body is application/dns-message. */
        else if (dns && fr[i].type == DM_HTTP2_DATA && fr[i].payload_len >= 12)
            dnsmon_feed_dns(f->tr, f->pinfo, p + fr[i].payload, fr[i].payload_len, DM_DOH,
                            &f->src, &f->dst, f->sport, f->dport, TRUE,
                            stream_key(DM_DOH, fr[i].stream));
    }
}

static void
feed_quic(frame_ctx *f, const guint8 *p, gsize len)
{
    dm_quic_stream st[MAX_FRAMES];
    guint n = dm_quic_streams(p, len, st, MAX_FRAMES);
    for (guint i = 0; i < n; i++) {
        /* Only a stream's start holds a message (2-byte length first); a
         * later part of one split over several packets is none. */
        if (st[i].offset || st[i].data_len < 2 + 12)
            continue;
        dnsmon_feed_dns(f->tr, f->pinfo, p + st[i].data + 2, st[i].data_len - 2, DM_DOQ,
                        &f->src, &f->dst, f->sport, f->dport, TRUE,
                        stream_key(DM_DOQ, st[i].stream));
    }
}

static void
feed_decrypted(frame_ctx *f, guint layers)
{
    gboolean reassembled = FALSE;
    for (GSList *l = f->pinfo->data_src; l && !reassembled; l = l->next)
        reassembled = dnsmon_source_is(l->data, "Reassembled TLS");
    GArray *header_streams = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint headers_seen = 0;
    for (GSList *l = f->pinfo->data_src; l; l = l->next) {
        gsize len;
        const guint8 *p = dnsmon_source_bytes(l->data, &len);
        if (!p)
            continue;
        /* A message split over two records is whole in the reassembled
         * source; the record's own then holds only its tail. */
        if (dnsmon_source_is(l->data, reassembled ? "Reassembled TLS" : "Decrypted TLS")) {
            if (layers & DM_L_HTTP2)
                feed_http2(f, p, len, header_streams, (layers & DM_L_DNS) != 0);
            else if (f->sport == DOT_PORT || f->dport == DOT_PORT)
                dnsmon_feed_stream(f->tr, f->pinfo, p, len, DM_DOT, &f->src, &f->dst, f->sport,
                                   f->dport);
        } else if ((layers & DM_L_HTTP2) && dnsmon_source_is(l->data, "Decompressed Header")) {
            guint8 msg[512];
            gsize n = dm_doh_get_query(p, len, msg, sizeof msg);
            guint32 stream = headers_seen < header_streams->len
                                 ? g_array_index(header_streams, guint32, headers_seen) : 1;
            headers_seen++;
            if (n)
                dnsmon_feed_dns(f->tr, f->pinfo, msg, n, DM_DOH, &f->src, &f->dst, f->sport,
                                f->dport, TRUE, stream_key(DM_DOH, stream));
        } else if ((layers & DM_L_QUIC) && dnsmon_source_is(l->data, "Decrypted QUIC")) {
            feed_quic(f, p, len);
        }
    }
    g_array_free(header_streams, TRUE);
}

/* The frame's own TCP or UDP header and payload. */
static gboolean
own_payload(const frame_ctx *f, gboolean tcp, const guint8 **p, dm_located *at)
{
    gsize len;
    *p = f->pinfo->data_src ? dnsmon_source_bytes(f->pinfo->data_src->data, &len) : NULL;
    return *p && dm_find_transport(*p, len, tcp ? 6 : 17, &f->src, &f->dst, f->sport, f->dport,
                                   at);
}

/* DNS over TLS on another port than 853 (docs/design.md, "Encrypted DNS"):
 * a ClientHello offering ALPN "dot" opens the attempt; the tracker then
 * follows that connection's segments. FALSE when the frame is not one. */
static gboolean
feed_other_port_dot(frame_ctx *f)
{
    const guint8 *p;
    dm_located at;
    dm_tcp_hdr h;
    if (!own_payload(f, TRUE, &p, &at) ||
        !dm_parse_tcp(p + at.transport, at.end - at.transport, &h))
        return FALSE;
    dm_tls_info tls;
    gsize len = at.end - at.payload;
    if (len && dm_tls_scan(p + at.payload, len, &tls) && tls.client_hello && tls.alpn_dot) {
        f->from_client = f->opens = TRUE;
    } else {
        int side = dm_tracker_dot_side(f->tr, &f->src, f->sport, &f->dst, f->dport);
        if (!side)
            return FALSE;
        f->from_client = side == 1;
    }
    feed_connection(f, DM_DOT, p + at.payload, len, &h);
    return TRUE;
}

gboolean
dnsmon_feed_encrypted(dm_tracker *tr, packet_info *pinfo, guint layers)
{
    frame_ctx f;
    memset(&f, 0, sizeof f);
    f.tr = tr;
    f.pinfo = pinfo;
    f.sport = (guint16)pinfo->srcport;
    f.dport = (guint16)pinfo->destport;
    gboolean tcp = pinfo->ptype == PT_TCP, udp = pinfo->ptype == PT_UDP;
    gboolean dns_port = f.sport == DOT_PORT || f.dport == DOT_PORT;
    /* A DoH GET's request has no DNS layer: its query is in the URL. */
    gboolean decrypted = ((layers & DM_L_DNS) && (layers & (DM_L_TLS | DM_L_HTTP2 | DM_L_QUIC))) ||
                         (layers & DM_L_HTTP2);
    gboolean other_tls = tcp && !dns_port &&
                         ((layers & DM_L_TLS) || dm_tracker_other_port_dot(tr));
    if ((!dns_port && !decrypted && !other_tls) || (!tcp && !udp) ||
        !dnsmon_pinfo_addr(&pinfo->net_src, &f.src) || !dnsmon_pinfo_addr(&pinfo->net_dst, &f.dst))
        return FALSE;
    f.from_client = f.dport == DOT_PORT || (!dns_port && f.sport > f.dport);
    if (other_tls && !decrypted)
        return feed_other_port_dot(&f);
    if (dns_port) {
        const guint8 *p;
        dm_located at;
        if (own_payload(&f, tcp, &p, &at)) {
            dm_tcp_hdr h;
            if (tcp && dm_parse_tcp(p + at.transport, at.end - at.transport, &h))
                feed_connection(&f, DM_DOT, p + at.payload, at.end - at.payload, &h);
            else if (udp)
                feed_connection(&f, DM_DOQ, p + at.payload, at.end - at.payload, NULL);
        }
    }
    if (decrypted)
        feed_decrypted(&f, layers);
    return TRUE;
}
