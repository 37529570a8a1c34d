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

gboolean
dm_parse_ip_src(const guint8 *p, gsize len, dm_addr *src)
{
    memset(src, 0, sizeof *src);
    if (len >= 20 && (p[0] >> 4) == 4) {
        src->family = 4;
        memcpy(src->bytes, p + 12, 4);
        return TRUE;
    }
    if (len >= 40 && (p[0] >> 4) == 6) {
        src->family = 6;
        memcpy(src->bytes, p + 8, 16);
        return TRUE;
    }
    return FALSE;
}

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
