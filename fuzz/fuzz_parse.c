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
 *   headers found are parsed as extract.c does.
 *
 * Every parser gets an exact-size heap copy, so ASan sees a read one byte
 * past the end. Besides memory errors and UB it checks what the callers rely
 * on: text buffers NUL-terminated within their size, offsets within the
 * message, quote ends within the bytes.
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
    return 0;
}
