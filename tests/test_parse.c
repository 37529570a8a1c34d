/* test_parse.c — reading DNS messages, ICMP quotes and TCP headers from
 * bytes (dnsmon_parse.h). Every parser also runs on every prefix of every
 * sample, and on mutated samples, each copied into a buffer of exactly that
 * size: under the ASan build (-DDNSMON_SANITIZE=ON) a read past `len` fails.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_fixture.h"  /* counted g_assert_* checks */
#include <string.h>
#include <arpa/inet.h>

#include "dnsmon_parse.h"

/* ---- building packets ------------------------------------------------------ */

typedef GByteArray buf;

static void
put8(buf *b, guint v)
{
    guint8 x = (guint8)v;
    g_byte_array_append(b, &x, 1);
}

static void
put16(buf *b, guint v)
{
    put8(b, v >> 8);
    put8(b, v & 0xff);
}

static void
put32(buf *b, guint32 v)
{
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

static void
putn(buf *b, const void *p, gsize n)
{
    g_byte_array_append(b, p, (guint)n);
}

/* Zero bytes up to length n. */
static void
pad_to(buf *b, gsize n)
{
    while (b->len < n)
        put8(b, 0);
}

static void
put_label(buf *b, const void *p, gsize n)
{
    put8(b, (guint)n);
    putn(b, p, n);
}

/* "www.example.com": plain labels, then the root. */
static void
put_name(buf *b, const char *name)
{
    gchar **labels = g_strsplit(name, ".", -1);
    for (gchar **l = labels; *l; l++)
        if (**l)
            put_label(b, *l, strlen(*l));
    g_strfreev(labels);
    put8(b, 0);
}

static void
put_header(buf *b, guint id, guint flags, guint qd, guint an, guint ns, guint ar)
{
    put16(b, id);
    put16(b, flags);
    put16(b, qd);
    put16(b, an);
    put16(b, ns);
    put16(b, ar);
}

static buf *
dns_query(guint id, const char *name, guint type)
{
    buf *b = g_byte_array_new();
    put_header(b, id, 0x0100, 1, 0, 0, 0);
    put_name(b, name);
    put16(b, type);
    put16(b, 1);
    return b;
}

/* A response: question, one A record by pointer, then an OPT record with
 * the given options (NULL: no OPT). */
static buf *
dns_response(guint id, guint rcode, const char *name, const buf *opts)
{
    buf *b = g_byte_array_new();
    put_header(b, id, 0x8180 | rcode, 1, 1, 0, opts ? 1 : 0);
    put_name(b, name);
    put16(b, 1);
    put16(b, 1);
    put16(b, 0xc00c);       /* answer name: pointer to the question's */
    put16(b, 1);
    put16(b, 1);
    put32(b, 300);
    put16(b, 4);
    put32(b, 0xc0000242);
    if (opts) {
        put8(b, 0);         /* root */
        put16(b, 41);
        put16(b, 1232);
        put32(b, 0);
        put16(b, opts->len);
        putn(b, opts->data, opts->len);
    }
    return b;
}

static void
put_option(buf *b, guint code, const void *data, gsize len)
{
    put16(b, code);
    put16(b, (guint)len);
    putn(b, data, len);
}

static void
put_ede(buf *b, guint info, const char *text)
{
    buf *o = g_byte_array_new();
    put16(o, info);
    if (text)
        putn(o, text, strlen(text));
    put_option(b, 15, o->data, o->len);
    g_byte_array_free(o, TRUE);
}

static void
put_ipv4(buf *b, guint proto, const char *src, const char *dst, guint payload_len, guint frag)
{
    guint8 a[4];
    put8(b, 0x45);
    put8(b, 0);
    put16(b, 20 + payload_len);
    put16(b, 0x1234);
    put16(b, frag);
    put8(b, 64);
    put8(b, proto);
    put16(b, 0);
    inet_pton(AF_INET, src, a);
    putn(b, a, 4);
    inet_pton(AF_INET, dst, a);
    putn(b, a, 4);
}

static void
put_ipv6(buf *b, guint next, const char *src, const char *dst, guint payload_len)
{
    guint8 a[16];
    put32(b, 0x60000000);
    put16(b, payload_len);
    put8(b, next);
    put8(b, 64);
    inet_pton(AF_INET6, src, a);
    putn(b, a, 16);
    inet_pton(AF_INET6, dst, a);
    putn(b, a, 16);
}

static void
put_udp(buf *b, guint sport, guint dport, const buf *payload)
{
    put16(b, sport);
    put16(b, dport);
    put16(b, 8 + (payload ? payload->len : 0));
    put16(b, 0);
    if (payload)
        putn(b, payload->data, payload->len);
}

static void
put_tcp(buf *b, guint sport, guint dport, guint flags)
{
    put16(b, sport);
    put16(b, dport);
    put32(b, 1000);
    put32(b, 0);
    put8(b, 5 << 4);
    put8(b, flags);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
}

/* ICMP header: type, code, the 4 "unused" bytes given as a 32-bit word. */
static void
put_icmp(buf *b, guint type, guint code, guint32 rest)
{
    put8(b, type);
    put8(b, code);
    put16(b, 0);
    put32(b, rest);
}

/* The usual quote: ICMPv4 port unreachable about a whole UDP DNS query. */
static buf *
icmp4_quote(guint type, guint code, guint32 rest, const buf *dns)
{
    buf *b = g_byte_array_new();
    put_icmp(b, type, code, rest);
    put_ipv4(b, 17, "198.51.100.10", "203.0.113.2", 8 + (dns ? dns->len : 0), 0);
    put_udp(b, 40000, 53, dns);
    return b;
}

static buf *
icmp6_quote(guint type, guint code, guint32 rest, const buf *dns)
{
    buf *b = g_byte_array_new();
    put_icmp(b, type, code, rest);
    put_ipv6(b, 17, "2001:db8:1::10", "2001:db8:2::3", 8 + (dns ? dns->len : 0));
    put_udp(b, 40000, 53, dns);
    return b;
}

/* ---- the bounds check harness ------------------------------------------------ */

/* Every parser on p[0..len) in a heap buffer of exactly len bytes. Returns
 * which parsers accepted it (PARSED_*): the checks on a parser's result run
 * only when it accepted the bytes. */
enum { PARSED_DNS = 1, PARSED_NAME = 2, PARSED_ICMP = 4 };

static guint
parse_all(const guint8 *p, gsize len)
{
    guint parsed = 0;
    guint8 *c = g_malloc(len ? len : 1);
    memcpy(c, p, len);
    dm_dns_parsed d;
    if (dm_parse_dns(c, len, TRUE, &d)) {
        parsed |= PARSED_DNS;
        g_assert_cmpuint(strlen(d.name), <, sizeof d.name);
        g_assert_cmpuint(strlen(d.ede_text), <, sizeof d.ede_text);
        g_assert_false(d.has_question && d.bad_question);
    }
    dm_parse_dns(c, len, FALSE, &d);
    for (gsize off = 0; off < MIN(len, 24); off++) {
        char *out = g_malloc(DM_NAME_MAX);
        gsize end = dm_parse_name(c, len, off, out, DM_NAME_MAX);
        if (end) {
            parsed |= PARSED_NAME;
            g_assert_cmpuint(end, <=, len);
            g_assert_cmpuint(strlen(out), <, DM_NAME_MAX);
        }
        g_free(out);
    }
    dm_icmp_quote q;
    for (guint8 v = 4; v <= 6; v += 2) {
        if (dm_parse_icmp(c, len, v, &q)) {
            parsed |= PARSED_ICMP;
            g_assert_cmpuint(q.quote_end, <=, len);
            g_assert_cmpuint(q.quote_end, >=, 8);
            if (q.has_ports)
                g_assert_true(q.has_ip);
        }
    }
    dm_tcp_hdr h;
    dm_parse_tcp(c, len, &h);
    g_free(c);
    return parsed;
}

static void
parse_prefixes(const buf *b)
{
    for (gsize n = 0; n <= b->len; n++)
        parse_all(b->data, n);
}

/* ---- DNS ------------------------------------------------------------------------ */

static void
test_dns_header_question(void)
{
    buf *b = g_byte_array_new();
    /* QR, opcode 2, AA, TC, RD; rcode 3 */
    put_header(b, 0xabcd, 0x8000 | (2 << 11) | 0x0400 | 0x0200 | 0x0100 | 3, 1, 2, 3, 4);
    put_name(b, "WwW.Example.COM");
    put16(b, 28);
    put16(b, 1);
    dm_dns_parsed d;
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_cmpuint(d.id, ==, 0xabcd);
    g_assert_true(d.qr);
    g_assert_cmpuint(d.opcode, ==, 2);
    g_assert_true(d.aa);
    g_assert_true(d.tc);
    g_assert_cmpuint(d.rcode, ==, 3);
    g_assert_cmpuint(d.qdcount, ==, 1);
    g_assert_cmpuint(d.ancount, ==, 2);
    g_assert_cmpuint(d.nscount, ==, 3);
    g_assert_cmpuint(d.arcount, ==, 4);
    g_assert_true(d.has_question);
    g_assert_false(d.bad_question);
    g_assert_cmpstr(d.name, ==, "WwW.Example.COM");     /* case kept */
    g_assert_cmpuint(d.qtype, ==, 28);
    g_assert_cmpuint(d.qclass, ==, 1);
    g_assert_false(d.has_ede);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* a query: flags clear */
    b = dns_query(0x5001, "www.example.test", 1);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_false(d.qr);
    g_assert_false(d.tc);
    g_assert_cmpuint(d.opcode, ==, 0);
    g_assert_cmpstr(d.name, ==, "www.example.test");
    g_byte_array_free(b, TRUE);
}

static void
test_dns_short_and_empty(void)
{
    dm_dns_parsed d;
    static const guint8 h[12] = { 0x12, 0x34, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0 };
    g_assert_false(dm_parse_dns(h, 11, TRUE, &d));
    g_assert_false(dm_parse_dns(h, 0, TRUE, &d));
    /* header only, no question section: REFUSED without a question */
    g_assert_true(dm_parse_dns(h, 12, TRUE, &d));
    g_assert_cmpuint(d.id, ==, 0x1234);
    g_assert_cmpuint(d.rcode, ==, 5);
    g_assert_false(d.has_question);
    g_assert_false(d.bad_question);
    g_assert_cmpstr(d.name, ==, "");
    /* qdcount 1 but the message ends after the header (bad-input frame 1) */
    static const guint8 q[12] = { 0x50, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    g_assert_true(dm_parse_dns(q, 12, TRUE, &d));
    g_assert_false(d.has_question);
    g_assert_true(d.bad_question);
    /* the name is there, type and class are not (all of them) */
    buf *b = dns_query(1, "www.example.test", 1);
    for (gsize cut = 1; cut <= 4; cut++) {
        g_assert_true(dm_parse_dns(b->data, b->len - cut, TRUE, &d));
        g_assert_true(d.bad_question);
        g_assert_false(d.has_question);
        g_assert_cmpstr(d.name, ==, "");
    }
    g_byte_array_free(b, TRUE);
}

static void
test_dns_root_name(void)
{
    buf *b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put8(b, 0);
    put16(b, 2);
    put16(b, 1);
    dm_dns_parsed d;
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_true(d.has_question);
    g_assert_cmpuint(d.qtype, ==, 2);
    g_assert_true(strcmp(d.name, "<Root>") == 0 || strcmp(d.name, ".") == 0);
    g_byte_array_free(b, TRUE);
}

static void
test_name_compression(void)
{
    buf *b = g_byte_array_new();
    put_header(b, 1, 0x8180, 1, 1, 0, 0);
    put_name(b, "example.com");         /* 12 */
    put16(b, 1);
    put16(b, 1);
    gsize www = b->len;
    put_label(b, "www", 3);
    put16(b, 0xc00c);
    gsize mail = b->len;
    put_label(b, "mail", 4);
    put16(b, 0xc000 | www);             /* a pointer to a name ending in a pointer */
    gsize tail = b->len;
    put16(b, 0xc000 | mail);            /* a name that is only a pointer */
    char out[DM_NAME_MAX];
    g_assert_cmpuint(dm_parse_name(b->data, b->len, www, out, sizeof out), ==, www + 6);
    g_assert_cmpstr(out, ==, "www.example.com");
    g_assert_cmpuint(dm_parse_name(b->data, b->len, mail, out, sizeof out), ==, mail + 7);
    g_assert_cmpstr(out, ==, "mail.www.example.com");
    g_assert_cmpuint(dm_parse_name(b->data, b->len, tail, out, sizeof out), ==, tail + 2);
    g_assert_cmpstr(out, ==, "mail.www.example.com");
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* the question itself compressed (a pointer forward is still followed
     * safely) */
    b = g_byte_array_new();
    put_header(b, 2, 0x0100, 1, 0, 0, 0);
    put16(b, 0xc000 | 18);              /* 12: pointer to 18 */
    put16(b, 1);
    put16(b, 1);
    put_name(b, "fwd.example");         /* 18 */
    dm_dns_parsed d;
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_true(d.has_question);
    g_assert_cmpstr(d.name, ==, "fwd.example");
    g_assert_cmpuint(d.qtype, ==, 1);
    g_byte_array_free(b, TRUE);
}

static void
test_name_pointer_loops(void)
{
    char out[DM_NAME_MAX];
    dm_dns_parsed d;
    /* a pointer to itself */
    buf *b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put16(b, 0xc00c);
    put16(b, 1);
    put16(b, 1);
    g_assert_cmpuint(dm_parse_name(b->data, b->len, 12, out, sizeof out), ==, 0);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_true(d.bad_question);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    /* two names pointing at each other, with labels in between */
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put_label(b, "a", 1);               /* 12 */
    put16(b, 0xc000 | 16);              /* 14 -> 16 */
    put_label(b, "b", 1);               /* 16 */
    put16(b, 0xc00c);                   /* 18 -> 12 */
    g_assert_cmpuint(dm_parse_name(b->data, b->len, 12, out, sizeof out), ==, 0);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    /* pointers past the end, and a pointer cut in half */
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put16(b, 0xc000 | 0x3fff);
    g_assert_cmpuint(dm_parse_name(b->data, b->len, 12, out, sizeof out), ==, 0);
    g_assert_cmpuint(dm_parse_name(b->data, b->len - 1, 12, out, sizeof out), ==, 0);
    g_assert_cmpuint(dm_parse_name(b->data, b->len, b->len, out, sizeof out), ==, 0);
    g_byte_array_free(b, TRUE);
    /* a long chain of distinct pointers (each to the previous) ends safely */
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put_name(b, "x");
    for (guint i = 0; i < 200; i++)
        put16(b, 0xc000 | (guint)(b->len - (i ? 2 : 3)));
    gsize end = dm_parse_name(b->data, b->len, b->len - 2, out, sizeof out);
    if (end)
        g_assert_cmpstr(out, ==, "x");
    g_byte_array_free(b, TRUE);
}

static void
test_name_escapes(void)
{
    buf *b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put_label(b, "www.example", 11);    /* one label with a literal dot */
    put_label(b, "com", 3);
    put8(b, 0);
    put16(b, 1);
    put16(b, 1);
    dm_dns_parsed d;
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_cmpstr(d.name, ==, "www\\.example.com");
    g_byte_array_free(b, TRUE);

    static const guint8 bin[] = { 0x00, ' ', 0x7f, 0xff, 'A', '\\', 'z', 0x80, 0x1f };
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put_label(b, bin, sizeof bin);
    put_label(b, "example", 7);
    put8(b, 0);
    put16(b, 1);
    put16(b, 1);
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_cmpstr(d.name, ==, "\\000\\032\\127\\255A\\\\z\\128\\031.example");
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* the worst case fits: 255 wire bytes of escapes */
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    guint8 lab[63];
    memset(lab, 0xff, sizeof lab);
    put_label(b, lab, 63);
    put_label(b, lab, 63);
    put_label(b, lab, 63);
    put_label(b, lab, 61);
    put8(b, 0);                         /* 64 * 3 + 62 + 1 = 255 */
    put16(b, 1);
    put16(b, 1);
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_true(d.has_question);
    g_assert_cmpuint(strlen(d.name), ==, 4 * (63 * 3 + 61) + 3);
    g_byte_array_free(b, TRUE);

    /* too long: more than 255 wire bytes */
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++)
        put_label(b, lab, 63);
    put8(b, 0);
    put16(b, 1);
    put16(b, 1);
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_true(d.bad_question);
    g_byte_array_free(b, TRUE);

    /* a small output buffer is never overrun */
    b = dns_query(1, "a-rather-long-label.example.test", 1);
    for (gsize n = 0; n < 40; n++) {
        char *out = g_malloc(n ? n : 1);
        gsize end = dm_parse_name(b->data, b->len, 12, out, n);
        if (end)
            g_assert_cmpuint(strlen(out), <, n);
        g_free(out);
    }
    g_byte_array_free(b, TRUE);
}

static void
test_bad_label_types(void)
{
    char out[DM_NAME_MAX];
    for (guint t = 0x40; t <= 0x80; t += 0x40) {
        buf *b = g_byte_array_new();
        put_header(b, 1, 0x0100, 1, 0, 0, 0);
        put8(b, t | 3);
        putn(b, "www", 3);
        put8(b, 0);
        put16(b, 1);
        put16(b, 1);
        g_assert_cmpuint(dm_parse_name(b->data, b->len, 12, out, sizeof out), ==, 0);
        dm_dns_parsed d;
        g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
        g_assert_true(d.bad_question);
        g_byte_array_free(b, TRUE);
    }
    /* a label longer than the message; a name without its root */
    buf *b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put8(b, 30);
    putn(b, "short", 5);
    g_assert_cmpuint(dm_parse_name(b->data, b->len, 12, out, sizeof out), ==, 0);
    g_byte_array_free(b, TRUE);
    b = g_byte_array_new();
    put_header(b, 1, 0x0100, 1, 0, 0, 0);
    put_label(b, "www", 3);
    g_assert_cmpuint(dm_parse_name(b->data, b->len, 12, out, sizeof out), ==, 0);
    g_byte_array_free(b, TRUE);
}

/* ---- Extended DNS Errors (RFC 8914) ----------------------------------------- */

static void
test_ede(void)
{
    dm_dns_parsed d;
    /* EDE 6, no text, after a cookie option */
    buf *o = g_byte_array_new();
    put_option(o, 10, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    put_ede(o, 6, NULL);
    buf *b = dns_response(7, 2, "www.example.test", o);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_cmpuint(d.rcode, ==, 2);
    g_assert_true(d.has_ede);
    g_assert_cmpuint(d.ede_code, ==, 6);
    g_assert_cmpstr(d.ede_text, ==, "");
    /* not asked for */
    g_assert_true(dm_parse_dns(b->data, b->len, FALSE, &d));
    g_assert_false(d.has_ede);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(o, TRUE);

    /* EDE 18 with text */
    o = g_byte_array_new();
    put_ede(o, 18, "blocked by policy: example.test");
    b = dns_response(8, 5, "www.example.test", o);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_true(d.has_ede);
    g_assert_cmpuint(d.ede_code, ==, 18);
    g_assert_cmpstr(d.ede_text, ==, "blocked by policy: example.test");
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(o, TRUE);

    /* text too long for the buffer, and bytes that are not printable */
    char longtext[400];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = 0;
    longtext[3] = '\x01';
    o = g_byte_array_new();
    put_ede(o, 0, longtext);
    b = dns_response(9, 2, "www.example.test", o);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_true(d.has_ede);
    g_assert_cmpuint(strlen(d.ede_text), ==, DM_EDE_TEXT_MAX - 1);
    for (const char *p = d.ede_text; *p; p++)
        g_assert_true(*p >= 0x20 && *p < 0x7f);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(o, TRUE);

    /* an option running past the OPT record: no EDE, no read beyond */
    o = g_byte_array_new();
    put16(o, 15);
    put16(o, 40);
    put16(o, 6);
    b = dns_response(10, 2, "www.example.test", o);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_false(d.has_ede);
    parse_prefixes(b);
    /* an OPT whose rdlength runs past the message */
    b->data[b->len - o->len - 2] = 0x7f;
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_false(d.has_ede);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(o, TRUE);

    /* after two questions */
    b = g_byte_array_new();
    put_header(b, 11, 0x8182, 2, 0, 0, 1);
    put_name(b, "a.example");
    put16(b, 1);
    put16(b, 1);
    put_name(b, "b.example");
    put16(b, 28);
    put16(b, 1);
    put8(b, 0);
    put16(b, 41);
    put16(b, 1232);
    put32(b, 0);
    put16(b, 6);
    put_ede(b, 22, NULL);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_cmpstr(d.name, ==, "a.example");
    g_assert_true(d.has_ede);
    g_assert_cmpuint(d.ede_code, ==, 22);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* no additional records: nothing */
    b = dns_response(12, 2, "www.example.test", NULL);
    g_assert_true(dm_parse_dns(b->data, b->len, TRUE, &d));
    g_assert_false(d.has_ede);
    g_byte_array_free(b, TRUE);
}

/* ---- ICMP quotes ---------------------------------------------------------------- */

static void
assert_addr(const dm_addr *a, const char *s)
{
    char out[64];
    g_assert_cmpstr(dm_addr_to_str(a, out, sizeof out), ==, s);
}

static void
test_icmp4_full_quote(void)
{
    buf *dns = dns_query(0x890c, "yummyrecipesforme.com", 1);
    buf *b = icmp4_quote(3, 3, 0, dns);
    dm_icmp_quote q;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.type, ==, 3);
    g_assert_cmpuint(q.code, ==, 3);
    g_assert_true(q.has_ip);
    g_assert_cmpuint(q.src.family, ==, 4);
    assert_addr(&q.src, "198.51.100.10");
    assert_addr(&q.dst, "203.0.113.2");
    g_assert_cmpuint(q.proto, ==, 17);
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.sport, ==, 40000);
    g_assert_cmpuint(q.dport, ==, 53);
    g_assert_false(q.tcp_syn);
    g_assert_cmpuint(q.payload, ==, 8 + 20 + 8);
    g_assert_cmpuint(q.quote_end, ==, b->len);
    /* the DNS message at the payload */
    dm_dns_parsed d;
    g_assert_true(dm_parse_dns(b->data + q.payload, q.quote_end - q.payload, FALSE, &d));
    g_assert_cmpuint(d.id, ==, 0x890c);
    g_assert_cmpstr(d.name, ==, "yummyrecipesforme.com");
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* IP header + 8 bytes (RFC 792): ports, nothing after them */
    b = icmp4_quote(3, 1, 0, NULL);
    g_assert_cmpuint(b->len, ==, 36);
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.payload, ==, q.quote_end);
    parse_prefixes(b);
    /* the quote stops 4 bytes into UDP: both ports still there */
    g_assert_true(dm_parse_icmp(b->data, 8 + 20 + 4, 4, &q));
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.dport, ==, 53);
    g_assert_true(dm_parse_icmp(b->data, 8 + 20 + 3, 4, &q));
    g_assert_true(q.has_ip);
    g_assert_false(q.has_ports);
    g_assert_true(dm_parse_icmp(b->data, 8 + 19, 4, &q));
    g_assert_false(q.has_ip);
    g_assert_true(dm_parse_icmp(b->data, 8, 4, &q));
    g_assert_false(q.has_ip);
    g_assert_false(dm_parse_icmp(b->data, 7, 4, &q));
    g_byte_array_free(b, TRUE);
    g_byte_array_free(dns, TRUE);
}

static void
test_icmp4_ip_header_variants(void)
{
    dm_icmp_quote q;
    /* IP options: IHL 6 */
    buf *b = g_byte_array_new();
    put_icmp(b, 3, 3, 0);
    put_ipv4(b, 17, "198.51.100.10", "203.0.113.2", 8, 0);
    b->data[8] = 0x46;
    put32(b, 0x01010101);               /* 4 bytes of options (NOPs) */
    put_udp(b, 40001, 53, NULL);
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.sport, ==, 40001);
    g_assert_cmpuint(q.payload, ==, 8 + 24 + 8);
    parse_prefixes(b);
    /* IHL below 5, IHL beyond the quote, not IPv4 at all */
    b->data[8] = 0x44;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_false(q.has_ip);
    b->data[8] = 0x4f;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_false(q.has_ports);
    b->data[8] = 0x05;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_false(q.has_ip);
    g_byte_array_free(b, TRUE);

    /* fragments: only the first holds the transport header */
    b = g_byte_array_new();
    put_icmp(b, 3, 3, 0);
    put_ipv4(b, 17, "198.51.100.10", "203.0.113.2", 8, 0x2000);     /* MF, offset 0 */
    put_udp(b, 40002, 53, NULL);
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.sport, ==, 40002);
    b->data[8 + 6] = 0x00;
    b->data[8 + 7] = 0xb9;              /* offset 185 * 8: a later fragment */
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_true(q.has_ip);
    g_assert_cmpuint(q.proto, ==, 17);
    g_assert_false(q.has_ports);
    g_byte_array_free(b, TRUE);

    /* TCP: a SYN, in full and cut to 8 bytes */
    b = g_byte_array_new();
    put_icmp(b, 3, 13, 0);
    put_ipv4(b, 6, "198.51.100.10", "203.0.113.6", 20, 0);
    put_tcp(b, 45897, 53, 0x02);
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.proto, ==, 6);
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.sport, ==, 45897);
    g_assert_true(q.tcp_syn);
    g_assert_cmpuint(q.payload, ==, 8 + 20 + 20);
    g_assert_true(dm_parse_icmp(b->data, 8 + 20 + 8, 4, &q));
    g_assert_true(q.has_ports);
    g_assert_false(q.tcp_syn);
    b->data[8 + 20 + 13] = 0x14;        /* RST, ACK */
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_false(q.tcp_syn);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
}

/* RFC 4884: the length field says where the quote ends. */
static void
test_icmp_rfc4884(void)
{
    dm_icmp_quote q;
    buf *dns = dns_query(1, "www.example.test", 1);
    /* v4: 128 bytes of quote (32 words in byte 5), then an extension */
    buf *b = icmp4_quote(3, 3, 32u << 16, dns);
    g_assert_cmpuint(b->len, <=, 8 + 128);
    pad_to(b, 8 + 128);
    put32(b, 0x20000000);               /* extension header, version 2 */
    put32(b, 0x00080101);               /* an object */
    put32(b, 0xdeadbeef);
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.quote_end, ==, 8 + 128);
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.dport, ==, 53);
    parse_prefixes(b);
    /* a length shorter than the buffer cuts the quote */
    b->data[5] = 5;                     /* 20 bytes: the IP header only */
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.quote_end, ==, 28);
    g_assert_true(q.has_ip);
    g_assert_false(q.has_ports);
    /* a length longer than the buffer: the buffer wins */
    b->data[5] = 255;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.quote_end, ==, b->len);
    parse_prefixes(b);
    /* time exceeded and parameter problem have it too; frag needed keeps
     * the MTU in bytes 6-7 with the length still in byte 5 */
    b->data[5] = 5;
    b->data[0] = 11;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.quote_end, ==, 28);
    b->data[0] = 12;
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.quote_end, ==, 28);
    b->data[0] = 3;
    b->data[1] = 4;
    b->data[5] = 0;
    b->data[6] = 0x05;
    b->data[7] = 0xdc;                  /* MTU 1500 */
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_cmpuint(q.quote_end, ==, b->len);
    g_assert_true(q.has_ports);
    g_byte_array_free(b, TRUE);

    /* v6: 64-bit words in byte 4 */
    b = icmp6_quote(1, 4, 16u << 24, dns);
    g_assert_cmpuint(b->len, <=, 8 + 128);
    pad_to(b, 8 + 128);
    put32(b, 0x20000000);
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_cmpuint(q.quote_end, ==, 8 + 128);
    g_assert_true(q.has_ports);
    b->data[4] = 5;                     /* 40 bytes: the IPv6 header only */
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_cmpuint(q.quote_end, ==, 48);
    g_assert_true(q.has_ip);
    g_assert_false(q.has_ports);
    /* packet too big: bytes 4-7 are the MTU, not a length */
    b->data[0] = 2;
    b->data[1] = 0;
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_cmpuint(q.quote_end, ==, b->len);
    g_assert_true(q.has_ports);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(dns, TRUE);
}

static void
test_icmp6_quotes(void)
{
    dm_icmp_quote q;
    buf *dns = dns_query(2, "v6.example.test", 28);
    buf *b = icmp6_quote(1, 4, 0, dns);
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_cmpuint(q.type, ==, 1);
    g_assert_cmpuint(q.code, ==, 4);
    g_assert_cmpuint(q.src.family, ==, 6);
    assert_addr(&q.src, "2001:db8:1::10");
    assert_addr(&q.dst, "2001:db8:2::3");
    g_assert_cmpuint(q.proto, ==, 17);
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.dport, ==, 53);
    g_assert_cmpuint(q.payload, ==, 8 + 40 + 8);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* extension headers: hop-by-hop (8), destination options (16), a first
     * fragment (8), then UDP */
    b = g_byte_array_new();
    put_icmp(b, 1, 3, 0);
    put_ipv6(b, 0, "2001:db8:1::10", "2001:db8:2::99", 8 + 16 + 8 + 8);
    put8(b, 60);
    put8(b, 0);
    put16(b, 0);
    put32(b, 0);
    put8(b, 44);
    put8(b, 1);
    for (int i = 0; i < 14; i++)
        put8(b, 0);
    put8(b, 17);
    put8(b, 0);
    put16(b, 0x0001);                   /* offset 0, M */
    put32(b, 0xabcdef01);
    put_udp(b, 40003, 53, NULL);
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_cmpuint(q.proto, ==, 17);
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.sport, ==, 40003);
    g_assert_cmpuint(q.payload, ==, 8 + 40 + 32 + 8);
    parse_prefixes(b);
    /* a later fragment has no transport header */
    b->data[8 + 40 + 8 + 16 + 2] = 0x00;
    b->data[8 + 40 + 8 + 16 + 3] = 0xb9;
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_true(q.has_ip);
    g_assert_false(q.has_ports);
    /* a header length running past the quote */
    b->data[8 + 40 + 1] = 200;
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_false(q.has_ports);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);

    /* an authentication header: (len + 2) * 4 bytes */
    b = g_byte_array_new();
    put_icmp(b, 1, 1, 0);
    put_ipv6(b, 51, "2001:db8:1::10", "2001:db8:2::3", 16 + 8);
    put8(b, 17);
    put8(b, 2);                         /* (2 + 2) * 4 = 16 bytes */
    for (int i = 0; i < 14; i++)
        put8(b, 0);
    put_udp(b, 40004, 53, NULL);
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.sport, ==, 40004);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(dns, TRUE);
}

/* ICMP about ICMP: the quoted transport is ICMP; no ports. */
static void
test_icmp_in_icmp(void)
{
    dm_icmp_quote q;
    buf *dns = dns_query(3, "www.example.test", 1);
    buf *inner = icmp4_quote(3, 3, 0, dns);
    buf *b = g_byte_array_new();
    put_icmp(b, 3, 1, 0);
    put_ipv4(b, 1, "203.0.113.2", "198.51.100.10", inner->len, 0);
    putn(b, inner->data, inner->len);
    g_assert_true(dm_parse_icmp(b->data, b->len, 4, &q));
    g_assert_true(q.has_ip);
    g_assert_cmpuint(q.proto, ==, 1);
    g_assert_false(q.has_ports);
    assert_addr(&q.src, "203.0.113.2");
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(inner, TRUE);

    inner = icmp6_quote(1, 4, 0, dns);
    b = g_byte_array_new();
    put_icmp(b, 1, 3, 0);
    put_ipv6(b, 58, "2001:db8:2::3", "2001:db8:1::10", inner->len);
    putn(b, inner->data, inner->len);
    g_assert_true(dm_parse_icmp(b->data, b->len, 6, &q));
    g_assert_cmpuint(q.proto, ==, 58);
    g_assert_false(q.has_ports);
    parse_prefixes(b);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(inner, TRUE);
    g_byte_array_free(dns, TRUE);
}

/* ---- TCP and IP ---------------------------------------------------------------- */

static void
test_tcp_header(void)
{
    static const struct {
        guint flags;
        gboolean syn, ack, rst, fin;
    } cases[] = {
        { 0x02, TRUE, FALSE, FALSE, FALSE }, { 0x12, TRUE, TRUE, FALSE, FALSE },
        { 0x14, FALSE, TRUE, TRUE, FALSE },  { 0x04, FALSE, FALSE, TRUE, FALSE },
        { 0x11, FALSE, TRUE, FALSE, TRUE },  { 0x18, FALSE, TRUE, FALSE, FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        buf *b = g_byte_array_new();
        put_tcp(b, 36673, 53, cases[i].flags);
        dm_tcp_hdr h;
        g_assert_true(dm_parse_tcp(b->data, b->len, &h));
        g_assert_cmpuint(h.sport, ==, 36673);
        g_assert_cmpuint(h.dport, ==, 53);
        g_assert_cmpint(h.syn, ==, cases[i].syn);
        g_assert_cmpint(h.ack, ==, cases[i].ack);
        g_assert_cmpint(h.rst, ==, cases[i].rst);
        g_assert_cmpint(h.fin, ==, cases[i].fin);
        g_assert_true(dm_parse_tcp(b->data, 14, &h));
        g_assert_false(dm_parse_tcp(b->data, 13, &h));
        parse_prefixes(b);
        g_byte_array_free(b, TRUE);
    }
}

/* ---- mutations: no read past len, whatever the bytes ------------------------------
 * A read past len shows only under ASan (the sanitize build runs this too);
 * here the checks are on what the parsers accept: every accepted DNS
 * message, name and ICMP quote stays within its bounds (parse_all), and the
 * mutations reach both sides of each parser (some inputs accepted, some
 * rejected), or those checks would not have run. */

static void
test_mutations(void)
{
    GPtrArray *samples = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    buf *dns = dns_query(0x890c, "yummyrecipesforme.com", 1);
    buf *o = g_byte_array_new();
    put_ede(o, 22, "no reachable authority");
    g_ptr_array_add(samples, dns_response(1, 2, "www.example.test", o));
    g_ptr_array_add(samples, icmp4_quote(3, 3, 0, dns));
    g_ptr_array_add(samples, icmp6_quote(1, 4, 0, dns));
    g_ptr_array_add(samples, icmp4_quote(3, 3, 32u << 16, dns));
    g_ptr_array_add(samples, dns);
    GRand *rnd = g_rand_new_with_seed(4884);
    guint iterations = g_test_slow() ? 200000 : 20000;
    guint accepted[3] = { 0, 0, 0 };
    for (guint i = 0; i < iterations; i++) {
        const buf *s = g_ptr_array_index(samples, g_rand_int_range(rnd, 0, (gint32)samples->len));
        guint8 *c = g_memdup2(s->data, s->len);
        gsize len = s->len;
        int flips = g_rand_int_range(rnd, 1, 6);
        for (int k = 0; k < flips; k++) {
            guint pos = (guint)g_rand_int_range(rnd, 0, (gint32)len);
            switch (g_rand_int_range(rnd, 0, 4)) {
            case 0: c[pos] = (guint8)g_rand_int_range(rnd, 0, 256); break;
            case 1: c[pos] = 0xc0 | (c[pos] & 0x3f); break;    /* a pointer */
            case 2: c[pos] = 0xff; break;
            default: c[pos] = 0; break;
            }
        }
        if (g_rand_boolean(rnd))
            len = (gsize)g_rand_int_range(rnd, 0, (gint32)len + 1);
        guint parsed = parse_all(c, len);
        accepted[0] += !!(parsed & PARSED_DNS);
        accepted[1] += !!(parsed & PARSED_NAME);
        accepted[2] += !!(parsed & PARSED_ICMP);
        g_free(c);
    }
    g_test_message("accepted of %u mutated inputs: DNS %u, a name %u, ICMP %u", iterations,
                   accepted[0], accepted[1], accepted[2]);
    for (guint k = 0; k < 3; k++) {
        g_assert_cmpuint(accepted[k], >, iterations / 100);
        g_assert_cmpuint(accepted[k], <, iterations - iterations / 100);
    }
    g_rand_free(rnd);
    g_byte_array_free(o, TRUE);
    g_ptr_array_free(samples, TRUE);
}

/* dm_find_transport on a whole frame: Ethernet, IPv4, TCP, a DNS message
 * behind its length. A TCP data offset under 5 is no TCP header: never
 * read it as DNS. */
static void
test_find_transport_tcp(void)
{
    guint8 f[14 + 20 + 20 + 14];
    memset(f, 0, sizeof f);
    guint8 *ip = f + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    ip[2] = 0;
    ip[3] = 20 + 20 + 14;
    ip[9] = 6;
    const guint8 src[4] = { 198, 51, 100, 10 }, dst[4] = { 203, 0, 113, 2 };
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    tcp[0] = 0x9c; tcp[1] = 0x40;   /* 40000 */
    tcp[2] = 0; tcp[3] = 53;
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;                 /* PSH, ACK */
    tcp[20] = 0; tcp[21] = 12;      /* length of the DNS message */
    dm_addr s = { 0 }, d = { 0 };
    s.family = d.family = 4;
    memcpy(s.bytes, src, 4);
    memcpy(d.bytes, dst, 4);
    dm_located at;
    g_assert_true(dm_find_transport(f, sizeof f, 6, &s, &d, 40000, 53, &at));
    g_assert_cmpuint(at.transport, ==, 34);
    g_assert_cmpuint(at.payload, ==, 54);
    g_assert_cmpuint(at.end, ==, sizeof f);
    for (guint doff = 0; doff < 5; doff++) {
        tcp[12] = (guint8)(doff << 4);
        g_assert_false(dm_find_transport(f, sizeof f, 6, &s, &d, 40000, 53, &at));
    }
    /* The same bytes quoted by an ICMP error: no payload either. */
    guint8 icmp[8 + 20 + 20 + 14];
    memset(icmp, 0, 8);
    icmp[0] = 3;
    icmp[1] = 3;
    memcpy(icmp + 8, ip, sizeof icmp - 8);
    dm_icmp_quote q;
    g_assert_true(dm_parse_icmp(icmp, sizeof icmp, 4, &q));
    g_assert_true(q.has_ports);
    g_assert_cmpuint(q.payload, ==, 0);
    icmp[8 + 20 + 12] = 5 << 4;
    g_assert_true(dm_parse_icmp(icmp, sizeof icmp, 4, &q));
    g_assert_cmpuint(q.payload, ==, 8 + 20 + 20);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dns/header-question", test_dns_header_question);
    g_test_add_func("/dns/short-and-empty", test_dns_short_and_empty);
    g_test_add_func("/dns/root-name", test_dns_root_name);
    g_test_add_func("/dns/compression", test_name_compression);
    g_test_add_func("/dns/pointer-loops", test_name_pointer_loops);
    g_test_add_func("/dns/escapes", test_name_escapes);
    g_test_add_func("/dns/bad-labels", test_bad_label_types);
    g_test_add_func("/dns/ede", test_ede);
    g_test_add_func("/icmp/v4-full-and-short", test_icmp4_full_quote);
    g_test_add_func("/icmp/v4-ip-header", test_icmp4_ip_header_variants);
    g_test_add_func("/icmp/rfc4884", test_icmp_rfc4884);
    g_test_add_func("/icmp/v6", test_icmp6_quotes);
    g_test_add_func("/icmp/icmp-in-icmp", test_icmp_in_icmp);
    g_test_add_func("/tcp/header", test_tcp_header);
    g_test_add_func("/frame/find-transport-tcp", test_find_transport_tcp);
    g_test_add_func("/fuzz/mutations", test_mutations);
    return g_test_run();
}
