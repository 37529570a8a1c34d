/* fuzz_parse.c — libFuzzer target for parse.c: every parser dnsmon runs on
 * packet bytes, on the same input.
 *
 *   dm_parse_dns without and with the EDE walk (a DNS message as the glue
 *   hands it: no TCP length prefix), dm_parse_icmp as ICMPv4 and ICMPv6 and
 *   then the DNS header its quote holds (as feed_icmp reads it), dm_parse_tcp,
 *   and dm_parse_name into buffers of several sizes from
 *   offsets the input picks. Then dm_find_transport and dm_find_icmp
 *   on a whole frame: the input's first 38 bytes say what packet_info would
 *   (family, protocol, addresses, ports), the rest is the frame; then the
 *   headers found are parsed as extract.c does. Then the encrypted-DNS
 *   parsers (dm_tls_scan, dm_http2_frames, dm_doh_get_query into buffers
 *   of several sizes, dm_quic_streams, dm_quic_scan) on the input and on
 *   two prefixes of it the input picks.
 *
 * Every parser gets an exact-size heap copy, so ASan sees a read one byte
 * past the end. Besides memory errors and UB it checks what the callers rely
 * on: text buffers NUL-terminated within their size, offsets within the
 * message, quote ends within the bytes, frame counts within their cap, a
 * DoH query within its buffer (and a query), a prefix never saying more
 * than the whole input.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmon_parse.h"

#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "fuzz_parse: check failed at %s:%d: %s\n", __FILE__,   \
                    __LINE__, #c);                                                 \
            abort();                                                               \
        }                                                                          \
    } while (0)

static void
check_text(const char *s, gsize size)
{
    CHECK(memchr(s, '\0', size) != NULL);
}

static void
check_dns(const dm_dns_parsed *d)
{
    check_text(d->name, sizeof d->name);
    check_text(d->ede_text, sizeof d->ede_text);
    CHECK(!(d->has_question && d->bad_question));
    if (d->has_question)
        CHECK(d->name[0] != '\0');
    else
        CHECK(d->name[0] == '\0');
    CHECK(d->opcode < 16 && d->rcode < 16);
}

/* An exact-size heap copy of p[off, off+len). */
static guint8 *
copy(const guint8 *p, gsize len)
{
    guint8 *c = malloc(len ? len : 1);
    if (len)
        memcpy(c, p, len);
    return c;
}

static void
parse_dns(const guint8 *p, gsize len)
{
    static dm_dns_parsed d;     /* large: 1.3 KB of text */
    guint8 *c = copy(p, len);
    for (int ede = 0; ede < 2; ede++) {
        gboolean ok = dm_parse_dns(c, len, ede, &d);
        CHECK(ok == (len >= 12));
        if (ok)
            check_dns(&d);
        if (!ede)
            CHECK(!d.has_ede);
    }
    free(c);
}

static void
parse_icmp(const guint8 *p, gsize len, guint8 version)
{
    dm_icmp_quote q;
    guint8 *c = copy(p, len);
    gboolean ok = dm_parse_icmp(c, len, version, &q);
    CHECK(ok == (len >= 8));
    if (ok) {
        CHECK(q.quote_end >= 8 && q.quote_end <= len);
        CHECK(!q.has_ports || q.has_ip);
        CHECK(!q.has_ip || q.src.family == q.dst.family);
        CHECK(!q.has_ip || q.src.family == 4 || q.src.family == 6);
        /* What feed_icmp does next: the DNS message in the quote. */
        if (q.has_ports && q.payload && q.payload < q.quote_end) {
            gsize skip = q.proto == 6 ? 2 : 0;
            if (q.payload + skip < q.quote_end)
                parse_dns(c + q.payload + skip, q.quote_end - q.payload - skip);
        }
    }
    free(c);
}

/* DNS messages of a TCP payload: each behind its 2-byte length. */
static void
parse_tcp_messages(const guint8 *p, gsize len)
{
    for (gsize o = 0; o + 2 <= len;) {
        gsize n = (gsize)((p[o] << 8) | p[o + 1]);
        o += 2;
        parse_dns(p + o, MIN(n, len - o));
        o += n;
    }
}

static void
find_in_frame(const guint8 *data, gsize size)
{
    if (size < 38)
        return;
    guint8 flags = data[0];
    dm_addr src, dst;
    memset(&src, 0, sizeof src);
    memset(&dst, 0, sizeof dst);
    src.family = dst.family = (flags & 1) ? 6 : 4;
    if (flags & 4)
        dst.family = src.family == 4 ? 6 : 4;   /* families that differ */
    memcpy(src.bytes, data + 1, 16);
    memcpy(dst.bytes, data + 17, 16);
    guint16 sport = (guint16)((data[33] << 8) | data[34]);
    guint16 dport = (guint16)((data[35] << 8) | data[36]);
    guint8 proto = (flags & 2) ? 6 : 17;
    gsize len = size - 38;
    guint8 *frame = copy(data + 38, len);
    dm_located at;
    if (dm_find_transport(frame, len, proto, &src, &dst, sport, dport, &at)) {
        CHECK(at.transport <= at.payload && at.payload <= at.end && at.end <= len);
        /* The payload never starts inside the TCP header (data offset >= 5). */
        CHECK(proto != 6 || at.payload >= at.transport + 20 || at.payload == at.end);
        if (proto == 6) {
            dm_tcp_hdr h;
            (void)dm_parse_tcp(frame + at.transport, at.end - at.transport, &h);
            parse_tcp_messages(frame + at.payload, at.end - at.payload);
        } else {
            parse_dns(frame + at.payload, at.end - at.payload);
        }
    }
    gsize ip, icmp;
    guint8 version;
    if (dm_find_icmp(frame, len, &src, &dst, &ip, &icmp, &version)) {
        CHECK(ip < icmp && icmp + 8 <= len);
        CHECK(version == 4 || version == 6);
        parse_icmp(frame + icmp, len - icmp, version);
    }
    free(frame);
}

/* ---- encrypted DNS ---------------------------------------------------------
 * Each parser on an exact-size copy. Besides its own checks, a prefix of
 * the input may only say less than the whole (the walks are the same up to
 * the cut), and the cap on frames only cuts the list. */

static gboolean
tls(const guint8 *p, gsize len, dm_tls_info *t)
{
    guint8 *c = copy(p, len);
    gboolean ok = dm_tls_scan(c, len, t);
    free(c);
    /* TLS exactly when the first record header is one */
    gsize rlen = len >= 5 ? (gsize)(p[3] << 8 | p[4]) : 0;
    CHECK(ok == (len >= 5 && p[0] >= 20 && p[0] <= 23 && p[1] == 3 && rlen <= 16384 + 2048));
    CHECK(!t->alpn_dot || t->client_hello);
    CHECK(!t->tls13 || t->server_hello);
    CHECK(!t->alert_clear || t->alert);
    CHECK(t->alert_clear || (!t->alert_level && !t->alert_desc));
    CHECK(t->encrypted <= len / 5);         /* each behind its own 5-byte header */
    if (!ok)
        CHECK(!t->client_hello && !t->server_hello && !t->alert && !t->encrypted);
    return ok;
}

static guint
http2(const guint8 *p, gsize len, dm_http2_frame *f, guint max)
{
    guint8 *c = copy(p, len);
    guint n = dm_http2_frames(c, len, f, max);
    free(c);
    CHECK(n <= max);
    for (guint i = 0; i < n; i++) {
        CHECK(f[i].type <= 9 && f[i].stream < 1u << 31);
        CHECK(f[i].payload >= 9 && f[i].payload <= len && f[i].payload_len <= len - f[i].payload);
        CHECK(!i || f[i].payload >= f[i - 1].payload + f[i - 1].payload_len + 9);
    }
    return n;
}

static gboolean
same_frame(const dm_http2_frame *a, const dm_http2_frame *b)
{
    return a->type == b->type && a->flags == b->flags && a->stream == b->stream &&
           a->payload == b->payload && a->payload_len == b->payload_len;
}

/* The DoH query into out_len bytes with a canary behind them. */
static gsize
doh(const guint8 *p, gsize len, guint8 *out, gsize out_len)
{
    static dm_dns_parsed d;
    guint8 *c = copy(p, len);
    guint8 *o = malloc(out_len + 4);
    memset(o + out_len, 0xee, 4);
    gsize n = dm_doh_get_query(c, len, o, out_len);
    CHECK(n <= out_len);
    CHECK(memcmp(o + out_len, "\xee\xee\xee\xee", 4) == 0);
    if (n) {        /* a query of one question */
        CHECK(n >= 12 && dm_parse_dns(o, n, FALSE, &d));
        CHECK(!d.qr && d.qdcount == 1 && d.has_question);
        check_dns(&d);
        memcpy(out, o, n);
    }
    free(o);
    free(c);
    return n;
}

static guint
quic_streams(const guint8 *p, gsize len, dm_quic_stream *st, guint max)
{
    guint8 *c = copy(p, len);
    guint n = dm_quic_streams(c, len, st, max);
    free(c);
    CHECK(n <= max);
    for (guint i = 0; i < n; i++) {
        CHECK(st[i].data >= 2 && st[i].data <= len && st[i].data_len <= len - st[i].data);
        CHECK(!i || st[i].data > st[i - 1].data + st[i - 1].data_len);
    }
    return n;
}

static gboolean
quic_scan(const guint8 *p, gsize len, dm_quic_info *q)
{
    guint8 *c = copy(p, len);
    gboolean ok = dm_quic_scan(c, len, q);
    free(c);
    if (!ok)
        CHECK(!q->initial && !q->handshake && !q->one_rtt);
    if (len && !(p[0] & 0x40))
        CHECK(!ok);                         /* no fixed bit: not QUIC */
    else if (len && !(p[0] & 0x80))
        CHECK(ok && q->one_rtt);            /* a short header */
    return ok;
}

#define ENC_MAX 8

typedef struct {
    dm_tls_info tls;
    gboolean tls_ok;
    guint nh2;
    dm_http2_frame h2[ENC_MAX];
    guint nst;
    dm_quic_stream st[ENC_MAX];
    dm_quic_info quic;
    gboolean quic_ok;
} enc_result;

static void
parse_encrypted(const guint8 *p, gsize len, enc_result *r)
{
    r->tls_ok = tls(p, len, &r->tls);
    r->nh2 = http2(p, len, r->h2, ENC_MAX);
    dm_http2_frame one[1];
    CHECK(http2(p, len, one, 1) == MIN(r->nh2, 1u) || (!r->nh2 && len >= 9));
    if (r->nh2)
        CHECK(same_frame(&one[0], &r->h2[0]));
    CHECK(http2(p, len, one, 0) == 0);
    /* The query into buffers of several sizes: the same, or none when it
     * does not fit. */
    static guint8 big[512], small[64];
    gsize n = doh(p, len, big, sizeof big);
    gsize m = doh(p, len, small, sizeof small);
    CHECK(m == (n <= sizeof small ? n : 0));
    CHECK(!m || memcmp(small, big, m) == 0);
    CHECK(doh(p, len, big, n ? n - 1 : 0) == 0);
    r->nst = quic_streams(p, len, r->st, ENC_MAX);
    dm_quic_stream st1[1];
    CHECK(quic_streams(p, len, st1, 1) == MIN(r->nst, 1u));
    if (r->nst)
        CHECK(st1[0].stream == r->st[0].stream && st1[0].data == r->st[0].data);
    r->quic_ok = quic_scan(p, len, &r->quic);
}

/* A prefix says less than the whole: the same records, frames and packets
 * up to the cut. */
static void
check_prefix(const enc_result *a, const enc_result *w)
{
    CHECK(!a->tls_ok || w->tls_ok);
    CHECK(!a->tls.client_hello || w->tls.client_hello);
    CHECK(!a->tls.server_hello || w->tls.server_hello);
    CHECK(!a->tls.alert || w->tls.alert);
    CHECK(a->tls.encrypted <= w->tls.encrypted);
    if (a->nh2 && w->nh2) {
        CHECK(a->nh2 <= w->nh2);
        for (guint i = 0; i < a->nh2; i++)
            CHECK(same_frame(&a->h2[i], &w->h2[i]));
    }
    CHECK(a->nst <= w->nst);
    for (guint i = 0; i < a->nst; i++) {
        CHECK(a->st[i].stream == w->st[i].stream && a->st[i].offset == w->st[i].offset);
        CHECK(a->st[i].data == w->st[i].data);
        /* only the last, running to the end of the prefix, may be shorter */
        CHECK(a->st[i].data_len == w->st[i].data_len ||
              (i + 1 == a->nst && a->st[i].data_len < w->st[i].data_len));
    }
    CHECK(!a->quic_ok || w->quic_ok);
    CHECK(!a->quic.initial || w->quic.initial);
    CHECK(!a->quic.handshake || w->quic.handshake);
    CHECK(!a->quic.one_rtt || w->quic.one_rtt);
}

static void
encrypted(const guint8 *data, gsize size)
{
    static enc_result whole, part;
    parse_encrypted(data, size, &whole);
    for (gsize k = 0; k < 2 && size; k++) {
        gsize cut = (gsize)data[(k ? size - 1 : 0)] * 7 % size;
        parse_encrypted(data, cut, &part);
        check_prefix(&part, &whole);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_dns(data, size);
    parse_icmp(data, size, 4);
    parse_icmp(data, size, 6);

    guint8 *c = copy(data, size);
    dm_tcp_hdr h;
    CHECK(dm_parse_tcp(c, size, &h) == (size >= 14));

    /* Names from offsets the input picks, into small and exact buffers. */
    static const gsize sizes[] = { 8, 9, 16, 64, 256, DM_NAME_MAX };
    char out[DM_NAME_MAX];
    for (gsize k = 0; k < G_N_ELEMENTS(sizes); k++) {
        gsize off = size ? (gsize)data[k % size] % (size + 2) : 0;
        char *buf = malloc(sizes[k]);
        gsize after = dm_parse_name(c, size, off, buf, sizes[k]);
        if (after) {
            check_text(buf, sizes[k]);
            CHECK(after <= size);
            CHECK(after > off);
            /* The full buffer reads the same name (a prefix when cut). */
            gsize full = dm_parse_name(c, size, off, out, sizeof out);
            CHECK(full == after);
            CHECK(strcmp(buf, out) == 0);
        }
        free(buf);
    }
    free(c);
    find_in_frame(data, size);
    encrypted(data, size);
    return 0;
}
