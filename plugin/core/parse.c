/* parse.c — DNS messages, ICMP quotes and TCP headers from bytes; see
 * dnsmon_parse.h. Every read is checked against the length first.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_parse.h"

static guint16
get16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

/* ---- names ------------------------------------------------------------- */

gsize
dm_parse_name(const guint8 *p, gsize len, gsize off, char *out, gsize out_len)
{
    gsize o = 0, after = 0, wire = 0;
    guint jumps = 0;
    if (out_len < 8)
        return 0;
    for (;;) {
        if (off >= len)
            return 0;
        guint8 l = p[off];
        if ((l & 0xc0) == 0xc0) {
            if (off + 1 >= len || ++jumps > 64)
                return 0;           /* truncated, or a pointer loop */
            if (!after)
                after = off + 2;
            off = (gsize)(((l & 0x3f) << 8) | p[off + 1]);
            continue;
        }
        if (l & 0xc0)
            return 0;               /* 0x40 / 0x80: no such label types */
        off++;
        if (l == 0)
            break;
        wire += (gsize)l + 1;
        if (wire + 1 > 255 || off + l > len)
            return 0;           /* 255 octets at most, the root's included */
        if (o)
            out[o++] = '.';
        for (guint i = 0; i < l; i++) {
            guint8 c = p[off + i];
            if (o + 5 >= out_len)
                return 0;
            if (c == '.' || c == '\\') {
                /* A dot inside a label is not a label boundary. */
                out[o++] = '\\';
                out[o++] = (char)c;
            } else if (c > 0x20 && c < 0x7f) {
                out[o++] = (char)c;
            } else {
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            }
        }
        off += l;
    }
    if (o == 0) {
        g_strlcpy(out, "<Root>", out_len);
        o = strlen(out);
    }
    out[o] = '\0';
    return after ? after : off;
}

/* ---- records ----------------------------------------------------------- */

static void
copy_text(char *dst, gsize dst_len, const guint8 *src, gsize n)
{
    gsize o = 0;
    for (gsize i = 0; i < n && o + 1 < dst_len; i++)
        dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[o] = '\0';
}

static void
find_ede(const guint8 *p, gsize rdata, guint16 rdlen, dm_dns_parsed *out)
{
    for (gsize o = rdata; o + 4 <= rdata + rdlen;) {
        guint16 code = get16(p + o), olen = get16(p + o + 2);
        if (o + 4 + olen > rdata + (gsize)rdlen)
            break;
        if (code == 15 && olen >= 2 && !out->has_ede) {
            out->has_ede = TRUE;
            out->ede_code = get16(p + o + 4);
            copy_text(out->ede_text, sizeof out->ede_text, p + o + 6, olen - 2u);
            return;
        }
        o += 4u + olen;
    }
}

/* A name in rdata a resolver goes on with: a CNAME target, a nameserver. */
static void
learn(const guint8 *p, gsize len, gsize rdata, dm_dns_parsed *out)
{
    if (out->n_learned < DM_LEARNED_MAX &&
        dm_parse_name(p, len, rdata, out->learned[out->n_learned], DM_NAME_MAX))
        out->n_learned++;
}

/* Every record after the questions: answers, authority, additional. */
static void
walk_records(const guint8 *p, gsize len, gsize off, dm_dns_parsed *out)
{
    char skip[DM_NAME_MAX];
    guint an = out->ancount, ns = out->nscount, cnames = 0;
    guint records = an + ns + out->arcount;
    for (guint r = 0; r < records; r++) {
        if (r == an)
            out->cname_only = an && cnames == an;
        off = dm_parse_name(p, len, off, skip, sizeof skip);
        if (!off || off + 10 > len)
            return;
        guint16 type = get16(p + off);
        guint16 rdlen = get16(p + off + 8);
        gsize rdata = off + 10;
        if (rdata + rdlen > len)
            return;
        if (r < an && type == 5) {
            cnames++;
            learn(p, len, rdata, out);
        }
        else if (r >= an && r < an + ns && type == 2) {
            out->ns_in_authority = TRUE;
            learn(p, len, rdata, out);
        } else if (type == 41)
            find_ede(p, rdata, rdlen, out);
        off = rdata + rdlen;
    }
    if (records == an)
        out->cname_only = an && cnames == an;
}

gboolean
dm_parse_dns(const guint8 *p, gsize len, gboolean want_records, dm_dns_parsed *out)
{
    /* Field by field: the text buffers are large and need only a NUL. */
    out->has_question = out->bad_question = out->has_ede = FALSE;
    out->ns_in_authority = out->cname_only = FALSE;
    out->n_learned = 0;
    out->name[0] = out->ede_text[0] = '\0';
    out->qtype = out->qclass = out->ede_code = 0;
    if (len < 12)
        return FALSE;
    out->id = get16(p);
    out->qr = (p[2] & 0x80) != 0;
    out->opcode = (p[2] >> 3) & 0x0f;
    out->aa = (p[2] & 0x04) != 0;
    out->tc = (p[2] & 0x02) != 0;
    out->rd = (p[2] & 0x01) != 0;
    out->rcode = p[3] & 0x0f;
    out->qdcount = get16(p + 4);
    out->ancount = get16(p + 6);
    out->nscount = get16(p + 8);
    out->arcount = get16(p + 10);
    if (!out->qdcount)
        return TRUE;
    gsize off = dm_parse_name(p, len, 12, out->name, sizeof out->name);
    if (!off || off + 4 > len) {
        out->bad_question = TRUE;
        out->name[0] = '\0';
        return TRUE;
    }
    out->has_question = TRUE;
    out->qtype = get16(p + off);
    out->qclass = get16(p + off + 2);
    off += 4;
    if (want_records && (out->ancount || out->nscount || out->arcount)) {
        /* Skip any further questions, then walk the records. */
        char skip[DM_NAME_MAX];
        for (guint q = 1; q < out->qdcount; q++) {
            off = dm_parse_name(p, len, off, skip, sizeof skip);
            if (!off || off + 4 > len)
                return TRUE;
            off += 4;
        }
        walk_records(p, len, off, out);
    }
    return TRUE;
}

/* ---- IP headers -------------------------------------------------------- */

/* The quoted IP header at p: addresses, transport, where the transport
 * header starts (relative to p). FALSE when not even that is there. */
static gboolean
quoted_ip(const guint8 *p, gsize len, dm_icmp_quote *q, gsize *transport)
{
    if (len >= 20 && (p[0] >> 4) == 4) {
        gsize ihl = (gsize)(p[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > len)
            return FALSE;
        q->src.family = q->dst.family = 4;
        memcpy(q->src.bytes, p + 12, 4);
        memcpy(q->dst.bytes, p + 16, 4);
        q->proto = p[9];
        /* Only the first fragment holds the transport header. */
        if (get16(p + 6) & 0x1fff)
            return TRUE;
        *transport = ihl;
        return TRUE;
    }
    if (len >= 40 && (p[0] >> 4) == 6) {
        q->src.family = q->dst.family = 6;
        memcpy(q->src.bytes, p + 8, 16);
        memcpy(q->dst.bytes, p + 24, 16);
        guint8 next = p[6];
        gsize off = 40;
        for (int hops = 0; hops < 8; hops++) {
            if (next == 0 || next == 43 || next == 60) {
                if (off + 2 > len)
                    return TRUE;
                gsize hl = ((gsize)p[off + 1] + 1) * 8;
                next = p[off];
                off += hl;
            } else if (next == 44) {
                if (off + 8 > len)
                    return TRUE;
                if (get16(p + off + 2) & 0xfff8)
                    return TRUE;    /* not the first fragment */
                next = p[off];
                off += 8;
            } else if (next == 51) {
                if (off + 2 > len)
                    return TRUE;
                gsize hl = ((gsize)p[off + 1] + 2) * 4;
                next = p[off];
                off += hl;
            } else {
                break;
            }
        }
        q->proto = next;
        if (off > len)
            return TRUE;
        *transport = off;
        return TRUE;
    }
    return FALSE;
}

gboolean
dm_parse_icmp(const guint8 *p, gsize len, guint8 version, dm_icmp_quote *q)
{
    memset(q, 0, sizeof *q);
    if (len < 8)
        return FALSE;
    q->type = p[0];
    q->code = p[1];
    gsize end = len;
    /* RFC 4884: a length field marks where the quote ends and extensions
     * begin (v4: 32-bit words in byte 5; v6: 64-bit words in byte 4). */
    if (version == 4 && (q->type == 3 || q->type == 11 || q->type == 12) && p[5])
        end = MIN(len, 8 + (gsize)p[5] * 4);
    else if (version == 6 && (q->type == 1 || q->type == 3) && p[4])
        end = MIN(len, 8 + (gsize)p[4] * 8);
    q->quote_end = end;
    gsize transport = 0;
    if (!quoted_ip(p + 8, end - 8, q, &transport))
        return TRUE;
    q->has_ip = TRUE;
    if (!transport)
        return TRUE;
    gsize t = 8 + transport;
    if ((q->proto == 17 || q->proto == 6) && t + 4 <= end) {
        q->has_ports = TRUE;
        q->sport = get16(p + t);
        q->dport = get16(p + t + 2);
        if (q->proto == 17) {
            q->payload = t + 8;
        } else if (t + 14 <= end) {
            q->tcp_syn = (p[t + 13] & 0x02) != 0;
            if ((p[t + 12] >> 4) >= 5)  /* else no payload: never the header as DNS */
                q->payload = t + (gsize)(p[t + 12] >> 4) * 4;
        }
    }
    return TRUE;
}

gboolean
dm_parse_tcp(const guint8 *p, gsize len, dm_tcp_hdr *h)
{
    memset(h, 0, sizeof *h);
    if (len < 14)
        return FALSE;
    h->sport = get16(p);
    h->dport = get16(p + 2);
    guint8 f = p[13];
    h->fin = (f & 0x01) != 0;
    h->syn = (f & 0x02) != 0;
    h->rst = (f & 0x04) != 0;
    h->ack = (f & 0x10) != 0;
    return TRUE;
}

/* ---- finding headers in a frame ---------------------------------------- */

static gboolean
addr_at(const guint8 *p, const dm_addr *a)
{
    return memcmp(p, a->bytes, a->family == 6 ? 16 : 4) == 0;
}

/* An IP header for proto from src to dst ending exactly at off? Sets *end
 * to where its packet ends. */
static gboolean
ip_before(const guint8 *buf, gsize len, gsize off, guint8 proto, const dm_addr *src,
          const dm_addr *dst, gsize *end)
{
    if (src->family == 4) {
        for (gsize ihl = 5; ihl <= 15 && ihl * 4 <= off; ihl++) {
            const guint8 *ip = buf + off - ihl * 4;
            if (ip[0] == (0x40 | ihl) && ip[9] == proto && addr_at(ip + 12, src) &&
                addr_at(ip + 16, dst)) {
                *end = MIN(len, off - ihl * 4 + get16(ip + 2));
                return TRUE;
            }
        }
        return FALSE;
    }
    if (src->family == 6 && off >= 40) {
        const guint8 *ip = buf + off - 40;
        if ((ip[0] >> 4) == 6 && ip[6] == proto && addr_at(ip + 8, src) && addr_at(ip + 24, dst)) {
            *end = MIN(len, off + get16(ip + 4));
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
dm_find_transport(const guint8 *buf, gsize len, guint8 proto, const dm_addr *src,
                  const dm_addr *dst, guint16 sport, guint16 dport, dm_located *at)
{
    gsize need = proto == 6 ? 20 : 8;
    if (len < need + 20 || src->family != dst->family)
        return FALSE;
    guint8 ports[4] = { (guint8)(sport >> 8), (guint8)sport, (guint8)(dport >> 8), (guint8)dport };
    /* From the end: the innermost header, under any tunnel. */
    for (gsize o = len - need + 1; o-- > 20;) {
        gsize end;
        if (buf[o] != ports[0] || memcmp(buf + o, ports, 4) != 0 ||
            (proto == 6 && (buf[o + 12] >> 4) < 5) ||   /* not a TCP header */
            !ip_before(buf, len, o, proto, src, dst, &end) || end < o + need)
            continue;
        at->transport = o;
        at->payload = o + (proto == 6 ? (gsize)(buf[o + 12] >> 4) * 4 : 8);
        at->end = end;
        if (proto == 17)    /* the UDP length, if it says less */
            at->end = MIN(end, o + MAX((gsize)get16(buf + o + 4), 8));
        if (at->payload > at->end)
            at->payload = at->end;
        return TRUE;
    }
    return FALSE;
}

gboolean
dm_find_icmp(const guint8 *buf, gsize len, const dm_addr *src, const dm_addr *dst,
             gsize *ip_off, gsize *icmp_off, guint8 *version)
{
    if (src->family != dst->family || (src->family != 4 && src->family != 6))
        return FALSE;
    for (gsize o = 0; o + 28 <= len; o++) {
        if (src->family == 4) {
            gsize ihl = buf[o] & 0x0f;
            if ((buf[o] >> 4) != 4 || ihl < 5 || o + ihl * 4 + 8 > len || buf[o + 9] != 1 ||
                !addr_at(buf + o + 12, src) || !addr_at(buf + o + 16, dst))
                continue;
            *ip_off = o;
            *icmp_off = o + ihl * 4;
            *version = 4;
            return TRUE;
        }
        if ((buf[o] >> 4) != 6 || o + 48 > len || !addr_at(buf + o + 8, src) ||
            !addr_at(buf + o + 24, dst))
            continue;
        guint8 next = buf[o + 6];
        gsize off = o + 40;
        for (int hops = 0; hops < 4 && (next == 0 || next == 43 || next == 60); hops++) {
            if (off + 8 > len)
                break;
            next = buf[off];
            off += ((gsize)buf[off + 1] + 1) * 8;
        }
        if (next != 58 || off + 8 > len)
            continue;
        *ip_off = o;
        *icmp_off = off;
        *version = 6;
        return TRUE;
    }
    return FALSE;
}

/* ---- encrypted DNS ----------------------------------------------------- */

static guint32
get24(const guint8 *p)
{
    return (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
}

static guint32
get32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* Does the ServerHello at p (handshake body, after type and length) choose
 * TLS 1.3: a supported_versions extension (43) holding 0x0304? */
static gboolean
server_hello_tls13(const guint8 *p, gsize len)
{
    /* version 2, random 32, session id, cipher 2, compression 1, extensions */
    gsize o = 2 + 32;
    if (o + 1 > len)
        return FALSE;
    o += 1 + (gsize)p[o];
    o += 3;
    if (o + 2 > len)
        return FALSE;
    gsize end = MIN(len, o + 2 + get16(p + o));
    o += 2;
    while (o + 4 <= end) {
        guint16 type = get16(p + o), elen = get16(p + o + 2);
        if (type == 43 && elen == 2 && o + 6 <= end)
            return get16(p + o + 4) == 0x0304;
        o += 4u + elen;
    }
    return FALSE;
}

/* Whether a ClientHello body (after its 4-byte header) offers ALPN "dot"
 * (RFC 7858's protocol id): version 2, random 32, session id, cipher
 * suites, compression methods, then the extensions; ALPN is type 16, a
 * list of length-prefixed names. */
static gboolean
client_hello_alpn_dot(const guint8 *p, gsize len)
{
    gsize o = 2 + 32;
    if (o + 1 > len)
        return FALSE;
    o += 1 + (gsize)p[o];                       /* session id */
    if (o + 2 > len)
        return FALSE;
    o += 2 + (gsize)get16(p + o);               /* cipher suites */
    if (o + 1 > len)
        return FALSE;
    o += 1 + (gsize)p[o];                       /* compression methods */
    if (o + 2 > len)
        return FALSE;
    gsize end = MIN(len, o + 2 + get16(p + o));
    o += 2;
    while (o + 4 <= end) {
        guint16 type = get16(p + o), elen = get16(p + o + 2);
        gsize data = o + 4, dend = MIN(end, data + elen);
        if (type == 16 && data + 2 <= dend) {
            for (gsize n = data + 2; n < dend; n += 1u + p[n]) {
                if (p[n] == 3 && n + 4 <= dend && memcmp(p + n + 1, "dot", 3) == 0)
                    return TRUE;
            }
            return FALSE;
        }
        o = data + elen;
    }
    return FALSE;
}

gboolean
dm_tls_scan(const guint8 *p, gsize len, dm_tls_info *out)
{
    memset(out, 0, sizeof *out);
    gsize o = 0;
    gboolean any = FALSE;
    while (o + 5 <= len) {
        guint8 type = p[o];
        guint16 version = get16(p + o + 1), rlen = get16(p + o + 3);
        if (type < 20 || type > 23 || (version >> 8) != 3 || rlen > 16384 + 2048)
            break;
        any = TRUE;
        const guint8 *body = p + o + 5;
        gsize avail = MIN((gsize)rlen, len - o - 5);
        if (type == 22 && avail >= 4) {
            if (body[0] == 1) {
                out->client_hello = TRUE;
                out->alpn_dot = client_hello_alpn_dot(body + 4, MIN(avail - 4, (gsize)get24(body + 1)));
            }
            else if (body[0] == 2) {
                out->server_hello = TRUE;
                out->tls13 = server_hello_tls13(body + 4, MIN(avail - 4, (gsize)get24(body + 1)));
            }
        } else if (type == 21) {
            out->alert = TRUE;
            if (rlen == 2 && avail == 2) {
                out->alert_clear = TRUE;
                out->alert_level = body[0];
                out->alert_desc = body[1];
            }
        } else if (type == 23) {
            out->encrypted++;
        }
        o += 5u + rlen;
    }
    return any;
}

guint
dm_http2_frames(const guint8 *p, gsize len, dm_http2_frame *out, guint max)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    gsize o = 0;
    if (len >= sizeof preface - 1 && memcmp(p, preface, sizeof preface - 1) == 0)
        o = sizeof preface - 1;
    guint n = 0;
    while (o + 9 <= len && n < max) {
        gsize flen = get24(p + o);
        guint8 type = p[o + 3], flags = p[o + 4];
        if (type > 9 || o + 9 + flen > len)
            return 0;           /* not (whole) HTTP/2 frames: another record's tail */
        dm_http2_frame *f = &out[n++];
        f->type = type;
        f->flags = flags;
        f->stream = get32(p + o + 5) & 0x7fffffff;
        f->payload = o + 9;
        f->payload_len = flen;
        if ((type == DM_HTTP2_DATA || type == DM_HTTP2_HEADERS) && (flags & 0x08)) {
            gsize pad = flen ? p[o + 9] : 0;        /* PADDED */
            if (1 + pad > flen)
                return 0;
            f->payload++;
            f->payload_len = flen - 1 - pad;
        }
        o += 9 + flen;
    }
    return n;
}

static int
b64url(guint8 c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

static gsize decode_dns_param(const guint8 *path, gsize path_len, guint8 *out, gsize out_len);

gsize
dm_doh_get_query(const guint8 *p, gsize len, guint8 *out, gsize out_len)
{
    gboolean get = FALSE;
    const guint8 *path = NULL;
    gsize path_len = 0, o = 0;
    while (o + 4 <= len) {
        gsize nlen = get32(p + o);
        if (nlen > len - o - 4)
            return 0;
        const guint8 *name = p + o + 4;
        o += 4 + nlen;
        if (o + 4 > len)
            return 0;
        gsize vlen = get32(p + o);
        if (vlen > len - o - 4)
            return 0;
        const guint8 *value = p + o + 4;
        o += 4 + vlen;
        if (nlen == 7 && memcmp(name, ":method", 7) == 0)
            get = vlen == 3 && memcmp(value, "GET", 3) == 0;
        else if (nlen == 5 && memcmp(name, ":path", 5) == 0) {
            path = value;
            path_len = vlen;
        }
    }
    if (!get || !path)
        return 0;
    gsize n = decode_dns_param(path, path_len, out, out_len);
    /* A query of one question, or nothing (another GET with "dns="). */
    static dm_dns_parsed d;
    if (n < 12 || !dm_parse_dns(out, n, FALSE, &d) || d.qr || d.qdcount != 1 || !d.has_question)
        return 0;
    return n;
}

/* "...?dns=<base64url>[&...]" decoded. */
static gsize
decode_dns_param(const guint8 *path, gsize path_len, guint8 *out, gsize out_len)
{
    gsize i = 0;
    for (; i + 4 <= path_len; i++)
        if ((i == 0 || path[i - 1] == '?' || path[i - 1] == '&') && memcmp(path + i, "dns=", 4) == 0)
            break;
    if (i + 4 > path_len)
        return 0;
    gsize n = 0;
    guint32 acc = 0;
    int bits = 0;
    for (i += 4; i < path_len && path[i] != '&'; i++) {
        int v = b64url(path[i]);
        if (v < 0) {
            if (path[i] == '=')
                break;
            return 0;
        }
        acc = acc << 6 | (guint32)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= out_len)
                return 0;
            out[n++] = (guint8)(acc >> bits);
        }
    }
    return n;
}

/* A QUIC variable-length integer at *o; FALSE when it runs out. */
static gboolean
varint(const guint8 *p, gsize len, gsize *o, guint64 *v)
{
    if (*o >= len)
        return FALSE;
    gsize n = (gsize)1 << (p[*o] >> 6);
    if (*o + n > len)
        return FALSE;
    guint64 x = p[*o] & 0x3f;
    for (gsize i = 1; i < n; i++)
        x = x << 8 | p[*o + i];
    *o += n;
    *v = x;
    return TRUE;
}

/* Skips n varints. */
static gboolean
varints(const guint8 *p, gsize len, gsize *o, guint n)
{
    guint64 v;
    for (guint i = 0; i < n; i++)
        if (!varint(p, len, o, &v))
            return FALSE;
    return TRUE;
}

/* Skips a varint length and that many bytes. */
static gboolean
skip_counted(const guint8 *p, gsize len, gsize *o)
{
    guint64 n;
    if (!varint(p, len, o, &n) || n > len - *o)
        return FALSE;
    *o += (gsize)n;
    return TRUE;
}

guint
dm_quic_streams(const guint8 *p, gsize len, dm_quic_stream *out, guint max)
{
    gsize o = 0;
    guint n = 0;
    guint64 v;
    while (o < len && n < max) {
        guint64 type;
        if (!varint(p, len, &o, &type))
            break;
        if (type >= 0x08 && type <= 0x0f) {
            dm_quic_stream st;
            memset(&st, 0, sizeof st);
            if (!varint(p, len, &o, &st.stream) ||
                ((type & 0x04) && !varint(p, len, &o, &st.offset)))
                break;
            guint64 dlen = len - o;
            if ((type & 0x02) && !varint(p, len, &o, &dlen))
                break;
            if (dlen > len - o)
                break;
            st.data = o;
            st.data_len = (gsize)dlen;
            out[n++] = st;
            o += (gsize)dlen;
            continue;
        }
        gboolean ok = TRUE;
        switch (type) {
        case 0x00: case 0x01: case 0x1e: break;                     /* PADDING, PING, HANDSHAKE_DONE */
        case 0x02: case 0x03: {                                     /* ACK */
            guint64 ranges;
            ok = varints(p, len, &o, 2) && varint(p, len, &o, &ranges) && ranges < len &&
                 varints(p, len, &o, 1 + 2 * (guint)ranges) &&
                 (type == 0x02 || varints(p, len, &o, 3));
            break;
        }
        case 0x04: ok = varints(p, len, &o, 3); break;             /* RESET_STREAM */
        case 0x05: case 0x11: case 0x15: ok = varints(p, len, &o, 2); break;
        case 0x06: ok = varints(p, len, &o, 1) && skip_counted(p, len, &o); break;  /* CRYPTO */
        case 0x07: ok = skip_counted(p, len, &o); break;            /* NEW_TOKEN */
        case 0x10: case 0x12: case 0x13: case 0x14: case 0x16: case 0x17: case 0x19:
            ok = varint(p, len, &o, &v);
            break;
        case 0x18:                                                  /* NEW_CONNECTION_ID */
            ok = varints(p, len, &o, 2) && o < len && o + 1 + p[o] + 16 <= len;
            if (ok)
                o += 1 + p[o] + 16;
            break;
        case 0x1a: case 0x1b:                                       /* PATH_* */
            ok = o + 8 <= len;
            o += 8;
            break;
        case 0x1c: ok = varints(p, len, &o, 2) && skip_counted(p, len, &o); break;
        case 0x1d: ok = varints(p, len, &o, 1) && skip_counted(p, len, &o); break;
        case 0x30: o = len; break;                                  /* DATAGRAM to the end */
        case 0x31: ok = skip_counted(p, len, &o); break;
        default: ok = FALSE; break;
        }
        if (!ok)
            break;
    }
    return n;
}

gboolean
dm_quic_scan(const guint8 *p, gsize len, dm_quic_info *out)
{
    memset(out, 0, sizeof *out);
    gsize o = 0;
    gboolean any = FALSE;
    while (o < len) {
        guint8 first = p[o];
        if (!(first & 0x40))
            break;              /* the fixed bit: not QUIC (or padding) */
        if (!(first & 0x80)) {
            out->one_rtt = TRUE;    /* a short header runs to the end */
            return TRUE;
        }
        /* long header: version, connection ids, (Initial: token), length */
        gsize q = o + 5;
        if (q >= len || o + 5 > len || q + 1 + p[q] >= len)
            break;
        q += 1 + p[q];
        if (q >= len || q + 1 + p[q] > len)
            break;
        q += 1 + p[q];
        guint8 kind = (first >> 4) & 0x03;
        if (kind == 3)
            return TRUE;        /* Retry: no length */
        if (kind == 0 && !skip_counted(p, len, &q))
            break;
        guint64 plen;
        if (!varint(p, len, &q, &plen) || plen > len - q)
            break;
        any = TRUE;
        if (kind == 0)
            out->initial = TRUE;
        else if (kind == 2)
            out->handshake = TRUE;
        o = q + (gsize)plen;
    }
    return any || out->one_rtt;
}
