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
#include "build_bytes.h"

/* ---- building packets ------------------------------------------------------ */

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

/* ---- encrypted DNS: the checks every call gets ---------------------------------
 * Each parser runs on an exact-size heap copy (ASan: no read past len), and
 * what it says must hold together whatever the bytes. */

static guint8 *
exact_copy(const guint8 *p, gsize len)
{
    guint8 *c = g_malloc(len ? len : 1);
    memcpy(c, p, len);
    return c;
}

static gboolean
tls_scan(const guint8 *p, gsize len, dm_tls_info *t)
{
    guint8 *c = exact_copy(p, len);
    gboolean ok = dm_tls_scan(c, len, t);
    g_free(c);
    g_assert_true(!t->alpn_dot || t->client_hello);
    g_assert_true(!t->tls13 || t->server_hello);
    g_assert_true(!t->alert_clear || t->alert);
    g_assert_true(t->alert_clear || (!t->alert_level && !t->alert_desc));
    if (!ok)    /* not TLS: nothing said */
        g_assert_true(!t->client_hello && !t->server_hello && !t->alert && !t->encrypted);
    return ok;
}

static guint
h2_frames(const guint8 *p, gsize len, dm_http2_frame *f, guint max)
{
    guint8 *c = exact_copy(p, len);
    guint n = dm_http2_frames(c, len, f, max);
    g_free(c);
    g_assert_cmpuint(n, <=, max);
    for (guint i = 0; i < n; i++) {
        g_assert_cmpuint(f[i].type, <=, 9);
        g_assert_cmpuint(f[i].stream, <, 1u << 31);
        g_assert_cmpuint(f[i].payload, >=, 9);
        g_assert_cmpuint(f[i].payload + f[i].payload_len, <=, len);
        if (i)  /* in order, each behind its 9-byte header */
            g_assert_cmpuint(f[i].payload, >=, f[i - 1].payload + f[i - 1].payload_len + 9);
    }
    return n;
}

/* The query of a DoH GET into a buffer of out_len bytes followed by a
 * canary the parser must leave alone. */
static gsize
doh_query(const guint8 *p, gsize len, guint8 *out, gsize out_len)
{
    guint8 *c = exact_copy(p, len);
    guint8 *o = g_malloc(out_len + 4);
    memset(o + out_len, 0xee, 4);
    gsize n = dm_doh_get_query(c, len, o, out_len);
    g_assert_cmpuint(n, <=, out_len);
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(o[out_len + i], ==, 0xee);
    if (n) {    /* a query of one question */
        dm_dns_parsed d;
        g_assert_cmpuint(n, >=, 12);
        g_assert_true(dm_parse_dns(o, n, FALSE, &d));
        g_assert_false(d.qr);
        g_assert_true(d.has_question);
        g_assert_cmpuint(d.qdcount, ==, 1);
        memcpy(out, o, n);
    }
    g_free(o);
    g_free(c);
    return n;
}

static guint
quic_streams(const guint8 *p, gsize len, dm_quic_stream *st, guint max)
{
    guint8 *c = exact_copy(p, len);
    guint n = dm_quic_streams(c, len, st, max);
    g_free(c);
    g_assert_cmpuint(n, <=, max);
    for (guint i = 0; i < n; i++) {
        g_assert_cmpuint(st[i].data + st[i].data_len, <=, len);
        g_assert_cmpuint(st[i].data, >=, 2);    /* a type and a stream id first */
        if (i)
            g_assert_cmpuint(st[i].data, >, st[i - 1].data + st[i - 1].data_len);
    }
    return n;
}

static gboolean
quic_scan(const guint8 *p, gsize len, dm_quic_info *q)
{
    guint8 *c = exact_copy(p, len);
    gboolean ok = dm_quic_scan(c, len, q);
    g_free(c);
    if (!ok)
        g_assert_true(!q->initial && !q->handshake && !q->one_rtt);
    return ok;
}

/* Where needle (n bytes) ends in b, searching from `from`; 0 if absent. */
static gsize
end_of(const buf *b, gsize from, const void *needle, gsize n)
{
    for (gsize i = from; i + n <= b->len; i++)
        if (memcmp(b->data + i, needle, n) == 0)
            return i + n;
    return 0;
}

/* ---- TLS records ----------------------------------------------------------------- */

/* A ClientHello as kdig sends it: server_name, supported_versions, then
 * ALPN with these names (NULL: none), then key_share. *dot_end: where the
 * "\3dot" entry of its ALPN list ends in the record (0: none); *alpn_ext:
 * where the ALPN extension starts. */
static buf *
client_hello(const char *const *alpn, gsize *dot_end, tls_hello_at *at, gsize *alpn_ext)
{
    static const guint8 sni[] = { 0, 14, 0, 0, 11, 'd', 'n', 's', '.', 'e', 'x', 'a', 'm', 'p',
                                  'l', 'e' };
    static const guint8 versions[] = { 4, 0x03, 0x04, 0x03, 0x03 };
    guint8 share[36] = { 0x00, 0x1d, 0x00, 0x20 };
    memset(share + 4, 0x5a, 32);
    buf *e = g_byte_array_new();
    put_tls_ext(e, 0, sni, sizeof sni);
    put_tls_ext(e, 43, versions, sizeof versions);
    gsize alpn_at = e->len;
    if (alpn) {
        buf *a = alpn_data(alpn);
        put_tls_ext(e, 16, a->data, a->len);
        g_byte_array_free(a, TRUE);
    }
    put_tls_ext(e, 51, share, sizeof share);
    tls_hello_at h;
    buf *r = tls_hello(1, e, &h);
    g_byte_array_free(e, TRUE);
    if (dot_end)
        *dot_end = alpn ? end_of(r, h.exts + alpn_at, "\3dot", 4) : 0;
    if (at)
        *at = h;
    if (alpn_ext)
        *alpn_ext = h.exts + alpn_at;
    return r;
}

static void
test_tls_client_hello_alpn(void)
{
    static const char *const dot[] = { "dot", NULL };
    static const char *const h2[] = { "h2", "http/1.1", NULL };
    static const char *const dot_last[] = { "h2", "http/1.1", "dot", NULL };
    static const char *const dot_second[] = { "doq", "dot", NULL };
    static const char *const dote[] = { "dote", NULL };
    static const char *const do_t[] = { "do", "t", NULL };
    static const char *const upper[] = { "DOT", NULL };
    static const char *const xdot[] = { "xdot", "dot2", NULL };
    static const struct {
        const char *const *alpn;
        gboolean dot;
    } cases[] = {
        { dot, TRUE }, { dot_last, TRUE }, { dot_second, TRUE }, { h2, FALSE }, { dote, FALSE },
        { do_t, FALSE }, { upper, FALSE }, { xdot, FALSE }, { NULL, FALSE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        gsize dot_end;
        buf *r = client_hello(cases[i].alpn, &dot_end, NULL, NULL);
        g_assert_cmpuint(dot_end != 0, ==, cases[i].dot);
        dm_tls_info t;
        g_assert_true(tls_scan(r->data, r->len, &t));
        g_assert_true(t.client_hello);
        g_assert_cmpint(t.alpn_dot, ==, cases[i].dot);
        g_assert_false(t.server_hello);
        g_assert_false(t.tls13);
        g_assert_false(t.alert);
        g_assert_cmpuint(t.encrypted, ==, 0);
        g_byte_array_free(r, TRUE);
    }

    /* "dot" as the data of another extension (type 17) is no ALPN offer. */
    buf *a = alpn_data(dot), *e = g_byte_array_new();
    put_tls_ext(e, 17, a->data, a->len);
    buf *r = tls_hello(1, e, NULL);
    dm_tls_info t;
    g_assert_true(tls_scan(r->data, r->len, &t));
    g_assert_true(t.client_hello);
    g_assert_false(t.alpn_dot);
    g_byte_array_free(r, TRUE);
    /* ... and the same bytes as type 16 are. */
    g_byte_array_set_size(e, 0);
    put_tls_ext(e, 16, a->data, a->len);
    r = tls_hello(1, e, NULL);
    g_assert_true(tls_scan(r->data, r->len, &t));
    g_assert_true(t.alpn_dot);
    g_byte_array_free(r, TRUE);
    /* An empty ALPN extension, and one holding only the list's length. */
    for (gsize len = 0; len <= 2; len += 2) {
        g_byte_array_set_size(e, 0);
        put_tls_ext(e, 16, "\0\0", len);
        r = tls_hello(1, e, NULL);
        g_assert_true(tls_scan(r->data, r->len, &t));
        g_assert_true(t.client_hello);
        g_assert_false(t.alpn_dot);
        g_byte_array_free(r, TRUE);
    }
    /* No extension block at all (a TLS 1.0 hello), no session id. */
    r = tls_hello_sid(1, 0, NULL, NULL);
    g_assert_true(tls_scan(r->data, r->len, &t));
    g_assert_true(t.client_hello);
    g_assert_false(t.alpn_dot);
    g_byte_array_free(r, TRUE);
    g_byte_array_free(e, TRUE);
    g_byte_array_free(a, TRUE);
}

/* A hello cut anywhere: its record header makes it TLS, 4 bytes of its
 * handshake a ClientHello, and the offer of "dot" counts once the bytes up
 * to its last letter are there — cut by the capture, by the handshake's
 * length, by the extension block's length or by the ALPN extension's. */
static void
test_tls_client_hello_truncated(void)
{
    static const char *const alpn[] = { "h2", "http/1.1", "dot", NULL };
    gsize dot_end, alpn_ext;
    tls_hello_at at;
    buf *r = client_hello(alpn, &dot_end, &at, &alpn_ext);
    g_assert_cmpuint(dot_end, >, at.exts);
    dm_tls_info t;
    for (gsize len = 0; len <= r->len; len++) {
        g_assert_cmpint(tls_scan(r->data, len, &t), ==, len >= 5);
        g_assert_cmpint(t.client_hello, ==, len >= 9);
        g_assert_cmpint(t.alpn_dot, ==, len >= dot_end);
        g_assert_false(t.server_hello || t.alert || t.encrypted);
    }
    buf *c = g_byte_array_new();
    putb(c, r);
    gsize body = r->len - 9;
    for (gsize h = 0; h <= body; h++) {
        set_be(c, at.hs_len, 3, h);
        g_assert_true(tls_scan(c->data, c->len, &t));
        g_assert_true(t.client_hello);
        g_assert_cmpint(t.alpn_dot, ==, 9 + h >= dot_end);
    }
    set_be(c, at.hs_len, 3, 0xffffff);      /* longer than the record: the record's end */
    g_assert_true(tls_scan(c->data, c->len, &t));
    g_assert_true(t.alpn_dot);
    set_be(c, at.hs_len, 3, body);
    gsize exts = r->len - at.exts;
    for (gsize k = 0; k <= exts; k++) {
        set_be(c, at.exts_len, 2, k);
        g_assert_true(tls_scan(c->data, c->len, &t));
        g_assert_cmpint(t.alpn_dot, ==, at.exts + k >= dot_end);
    }
    set_be(c, at.exts_len, 2, 0xffff);
    g_assert_true(tls_scan(c->data, c->len, &t));
    g_assert_true(t.alpn_dot);
    set_be(c, at.exts_len, 2, exts);
    /* The ALPN extension's own length: its data starts 4 bytes after its
     * type; with fewer than 2 bytes it holds no list and the walk goes on. */
    gsize data = alpn_ext + 4;
    g_assert_cmpuint(r->data[alpn_ext + 1], ==, 16);
    gsize elen = (gsize)(r->data[alpn_ext + 2] << 8 | r->data[alpn_ext + 3]);
    for (gsize k = 2; k <= elen; k++) {
        set_be(c, alpn_ext + 2, 2, k);
        g_assert_true(tls_scan(c->data, c->len, &t));
        g_assert_cmpint(t.alpn_dot, ==, data + k >= dot_end);
    }
    g_byte_array_free(c, TRUE);
    g_byte_array_free(r, TRUE);
}

/* A ServerHello with key_share, then supported_versions selecting version
 * (0: none, as TLS 1.2 servers send), then ALPN "dot" (a TLS 1.2 server's
 * choice is in the clear). *ver_end: where the selected version ends. */
static buf *
server_hello(guint version, gsize ver_len, gsize *ver_end)
{
    static const char *const dot[] = { "dot", NULL };
    guint8 share[36] = { 0x00, 0x1d, 0x00, 0x20 };
    memset(share + 4, 0x6b, 32);
    guint8 v[4] = { (guint8)(version >> 8), (guint8)version, 0x03, 0x03 };
    buf *e = g_byte_array_new();
    put_tls_ext(e, 51, share, sizeof share);
    gsize sv = e->len;
    if (version)
        put_tls_ext(e, 43, v, ver_len);
    buf *a = alpn_data(dot);
    put_tls_ext(e, 16, a->data, a->len);
    g_byte_array_free(a, TRUE);
    tls_hello_at at;
    buf *r = tls_hello(2, e, &at);
    g_byte_array_free(e, TRUE);
    if (ver_end)
        *ver_end = version ? at.exts + sv + 4 + ver_len : 0;
    return r;
}

static void
test_tls_server_hello_versions(void)
{
    static const struct {
        guint version;
        gsize len;
        gboolean tls13;
    } cases[] = {
        { 0x0304, 2, TRUE },    /* TLS 1.3 */
        { 0x0303, 2, FALSE },   /* supported_versions saying 1.2 */
        { 0, 0, FALSE },        /* TLS 1.2: no supported_versions */
        { 0x0304, 4, FALSE },   /* a list, as only a ClientHello sends: not a choice */
        { 0x7f1c, 2, FALSE },   /* a draft version */
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        gsize ver_end;
        buf *r = server_hello(cases[i].version, cases[i].len, &ver_end);
        dm_tls_info t;
        g_assert_true(tls_scan(r->data, r->len, &t));
        g_assert_true(t.server_hello);
        g_assert_cmpint(t.tls13, ==, cases[i].tls13);
        g_assert_false(t.client_hello);
        g_assert_false(t.alpn_dot);     /* only a ClientHello offers */
        g_assert_false(t.alert);
        if (cases[i].tls13) {
            for (gsize len = 0; len <= r->len; len++) {
                g_assert_cmpint(tls_scan(r->data, len, &t), ==, len >= 5);
                g_assert_cmpint(t.server_hello, ==, len >= 9);
                g_assert_cmpint(t.tls13, ==, len >= ver_end);
            }
        }
        g_byte_array_free(r, TRUE);
    }
    /* No extension block, no session id (TLS 1.2 without resumption). */
    buf *r = tls_hello_sid(2, 0, NULL, NULL);
    dm_tls_info t;
    g_assert_true(tls_scan(r->data, r->len, &t));
    g_assert_true(t.server_hello);
    g_assert_false(t.tls13);
    g_byte_array_free(r, TRUE);
    /* TLS 1.3 with an empty session id: the walk follows its length. */
    buf *e = g_byte_array_new();
    put_tls_ext(e, 43, "\x03\x04", 2);
    r = tls_hello_sid(2, 0, e, NULL);
    g_assert_true(tls_scan(r->data, r->len, &t));
    g_assert_true(t.tls13);
    g_byte_array_free(r, TRUE);
    g_byte_array_free(e, TRUE);
}

static void
test_tls_alerts(void)
{
    dm_tls_info t;
    /* kresd's answer to the wrong ALPN: fatal no_application_protocol. */
    static const guint8 fatal[] = { 21, 3, 3, 0, 2, 2, 120 };
    for (gsize len = 0; len <= sizeof fatal; len++) {
        g_assert_cmpint(tls_scan(fatal, len, &t), ==, len >= 5);
        g_assert_cmpint(t.alert, ==, len >= 5);
        g_assert_cmpint(t.alert_clear, ==, len == 7);   /* both bytes there */
        g_assert_cmpuint(t.alert_level, ==, len == 7 ? 2 : 0);
        g_assert_cmpuint(t.alert_desc, ==, len == 7 ? 120 : 0);
        g_assert_cmpuint(t.encrypted, ==, 0);
    }
    /* kdig's close_notify in TLS 1.2: a warning, in the clear. */
    static const guint8 warning[] = { 21, 3, 3, 0, 2, 1, 0 };
    g_assert_true(tls_scan(warning, sizeof warning, &t));
    g_assert_true(t.alert_clear);
    g_assert_cmpuint(t.alert_level, ==, 1);
    g_assert_cmpuint(t.alert_desc, ==, 0);
    /* An alert after ChangeCipherSpec (TLS 1.2) is encrypted: longer than
     * 2 bytes, read as an alert of unknown level and description. */
    buf *b = g_byte_array_new();
    guint8 sealed[26];
    memset(sealed, 0x42, sizeof sealed);
    put_tls_record(b, 21, 0x0303, sealed, sizeof sealed);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_true(t.alert);
    g_assert_false(t.alert_clear);
    g_assert_cmpuint(t.alert_level, ==, 0);
    g_assert_cmpuint(t.encrypted, ==, 0);
    /* TLS 1.3 hides its alerts in application data records. */
    g_byte_array_set_size(b, 0);
    put_tls_record(b, 23, 0x0303, sealed, 19);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_false(t.alert);
    g_assert_cmpuint(t.encrypted, ==, 1);
    /* A clear alert behind a ServerHello in the same segment. */
    g_byte_array_free(b, TRUE);
    b = server_hello(0, 0, NULL);
    putn(b, fatal, sizeof fatal);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_true(t.server_hello);
    g_assert_true(t.alert_clear);
    g_assert_cmpuint(t.alert_desc, ==, 120);
    g_byte_array_free(b, TRUE);
}

/* TLS 1.3's server flight in one segment: ServerHello, ChangeCipherSpec,
 * then application data records (its encrypted handshake). Every prefix
 * counts the application records whose header it holds. */
static void
test_tls_several_records(void)
{
    gsize ver_end;
    buf *b = server_hello(0x0304, 2, &ver_end);
    put_tls_record(b, 20, 0x0303, "\1", 1);
    gsize starts[3];
    guint8 body[40];
    memset(body, 0x17, sizeof body);
    for (guint i = 0; i < 3; i++) {
        starts[i] = b->len;
        put_tls_record(b, 23, 0x0303, body, 10 + 10 * i);
    }
    dm_tls_info t;
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_true(t.server_hello);
    g_assert_true(t.tls13);
    g_assert_cmpuint(t.encrypted, ==, 3);
    g_assert_false(t.alert);
    for (gsize len = 0; len <= b->len; len++) {
        guint want = 0;
        for (guint i = 0; i < 3; i++)
            want += starts[i] + 5 <= len;
        g_assert_true(tls_scan(b->data, len, &t) == (len >= 5));
        g_assert_cmpuint(t.encrypted, ==, want);
        g_assert_cmpint(t.tls13, ==, len >= ver_end);
    }
    /* The client's answer in TLS 1.3: ChangeCipherSpec, Finished, a query. */
    g_byte_array_set_size(b, 0);
    put_tls_record(b, 20, 0x0303, "\1", 1);
    put_tls_record(b, 23, 0x0303, body, 40);
    put_tls_record(b, 23, 0x0303, body, 30);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_cmpuint(t.encrypted, ==, 2);
    g_assert_false(t.client_hello || t.server_hello || t.alert);
    /* 300 records in one segment: the count is not capped here (the glue
     * caps it at 255 for dm_tcp_seg.encrypted). */
    g_byte_array_set_size(b, 0);
    for (guint i = 0; i < 300; i++)
        put_tls_record(b, 23, 0x0303, body, 1);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_cmpuint(t.encrypted, ==, 300);
    g_byte_array_free(b, TRUE);
}

static void
test_tls_not_tls(void)
{
    dm_tls_info t;
    static const guint8 *const not_tls[] = {
        (const guint8 *)"GET / HTTP/1.1\r\n",
        (const guint8 *)"\x16\x02\x00\x00\x04\x01\x00\x00\x00",   /* version 2.0 */
        (const guint8 *)"\x18\x03\x03\x00\x01\x01",               /* type 24 (heartbeat) */
        (const guint8 *)"\x13\x03\x03\x00\x01\x01",               /* type 19 */
        (const guint8 *)"\x80\x2e\x01\x00\x02\x00\x15\x00\x00",   /* an SSLv2 hello */
        (const guint8 *)"\x00\x1c\xab\xcd\x01\x00",               /* DNS over TCP */
    };
    static const gsize lens[] = { 16, 9, 6, 6, 9, 6 };
    for (guint i = 0; i < G_N_ELEMENTS(not_tls); i++)
        g_assert_false(tls_scan(not_tls[i], lens[i], &t));
    g_assert_false(tls_scan((const guint8 *)"\x17\x03\x03\x00", 4, &t));    /* under a header */
    g_assert_false(tls_scan((const guint8 *)"", 0, &t));
    /* The record limit: 2^14 + 2048 bytes (RFC 5246's ciphertext bound). */
    buf *b = g_byte_array_new();
    guint8 *big = g_malloc0(16384 + 2049);
    put_tls_record(b, 23, 0x0303, big, 16384 + 2048);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_cmpuint(t.encrypted, ==, 1);
    set_be(b, 3, 2, 16384 + 2049);
    g_assert_false(tls_scan(b->data, b->len, &t));
    /* ... and behind a good record, the walk stops there. */
    g_byte_array_set_size(b, 0);
    put_tls_record(b, 23, 0x0303, big, 4);
    put_tls_record(b, 23, 0x0303, big, 16384 + 2049);
    g_assert_true(tls_scan(b->data, b->len, &t));
    g_assert_cmpuint(t.encrypted, ==, 1);
    g_free(big);
    g_byte_array_free(b, TRUE);
}

/* ---- HTTP/2 frames and DoH GET ---------------------------------------------------- */

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

/* A client's first record: the preface, SETTINGS, HEADERS, then a DATA
 * frame carrying a 12-byte DNS header with 3 bytes of padding. */
static buf *
h2_client_start(gsize ends[3])
{
    static const guint8 settings[6] = { 0, 3, 0, 0, 0, 100 };
    static const guint8 hpack[10] = { 0x83, 0x86, 0x41, 0x8a, 0x08, 0x9d, 0x5c, 0x0b, 0x81, 0x70 };
    static const guint8 data[1 + 12 + 3] = { 3, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    buf *b = g_byte_array_new();
    putn(b, H2_PREFACE, H2_PREFACE_LEN);
    put_h2_frame(b, 4, 0, 0, settings, sizeof settings);
    ends[0] = b->len;
    put_h2_frame(b, DM_HTTP2_HEADERS, 0x04, 1, hpack, sizeof hpack);
    ends[1] = b->len;
    /* END_STREAM | PADDED; the reserved top bit of the stream id set */
    put_h2_frame(b, DM_HTTP2_DATA, 0x09, 0x80000001u, data, sizeof data);
    ends[2] = b->len;
    return b;
}

static void
assert_h2_frame(const dm_http2_frame *f, guint type, guint flags, guint32 stream, gsize payload,
                gsize len)
{
    g_assert_cmpuint(f->type, ==, type);
    g_assert_cmpuint(f->flags, ==, flags);
    g_assert_cmpuint(f->stream, ==, stream);
    g_assert_cmpuint(f->payload, ==, payload);
    g_assert_cmpuint(f->payload_len, ==, len);
}

static void
test_http2_frames(void)
{
    gsize ends[3];
    buf *b = h2_client_start(ends);
    dm_http2_frame f[8], g[8];
    g_assert_cmpuint(h2_frames(b->data, b->len, f, 8), ==, 3);
    assert_h2_frame(&f[0], 4, 0, 0, H2_PREFACE_LEN + 9, 6);
    assert_h2_frame(&f[1], DM_HTTP2_HEADERS, 0x04, 1, ends[0] + 9, 10);
    assert_h2_frame(&f[2], DM_HTTP2_DATA, 0x09, 1, ends[1] + 9 + 1, 12);  /* padding removed */
    /* The cap: at most max frames. */
    g_assert_cmpuint(h2_frames(b->data, b->len, g, 2), ==, 2);
    assert_h2_frame(&g[1], DM_HTTP2_HEADERS, 0x04, 1, ends[0] + 9, 10);
    g_assert_cmpuint(h2_frames(b->data, b->len, g, 1), ==, 1);
    g_assert_cmpuint(h2_frames(b->data, b->len, g, 0), ==, 0);
    /* Every prefix: the whole frames, or 0 when one is cut after its
     * header (the tail of a record is no frame); under 9 bytes after the
     * last whole frame are not looked at. A cut preface reads as a frame
     * header of type ' ': 0. */
    for (gsize len = 0; len <= b->len; len++) {
        guint k = 0;
        while (k < 3 && ends[k] <= len)
            k++;
        gsize last = k ? ends[k - 1] : H2_PREFACE_LEN;
        guint want = len < H2_PREFACE_LEN || len - last >= 9 ? 0 : k;
        guint n = h2_frames(b->data, len, g, 8);
        g_assert_cmpuint(n, ==, want);
        for (guint i = 0; i < n; i++)
            assert_h2_frame(&g[i], f[i].type, f[i].flags, f[i].stream, f[i].payload,
                            f[i].payload_len);
    }
    /* The preface alone: no frame. Without it (the server's side), frames
     * start at 0. */
    g_assert_cmpuint(h2_frames(b->data, H2_PREFACE_LEN, g, 8), ==, 0);
    g_assert_cmpuint(h2_frames(b->data + H2_PREFACE_LEN, b->len - H2_PREFACE_LEN, g, 8), ==, 3);
    assert_h2_frame(&g[0], 4, 0, 0, 9, 6);
    g_byte_array_free(b, TRUE);
}

static void
test_http2_padding_and_types(void)
{
    dm_http2_frame f[4];
    buf *b = g_byte_array_new();
    /* HEADERS, PADDED | END_HEADERS: pad length 2, 5 bytes, 2 of padding. */
    put_h2_frame(b, DM_HTTP2_HEADERS, 0x0c, 3, "\2abcde\0\0", 8);
    g_assert_cmpuint(h2_frames(b->data, b->len, f, 4), ==, 1);
    assert_h2_frame(&f[0], DM_HTTP2_HEADERS, 0x0c, 3, 10, 5);
    /* Padding of every length a 4-byte DATA payload allows: all of it but
     * the pad length byte at most. */
    for (guint pad = 0; pad <= 6; pad++) {
        g_byte_array_set_size(b, 0);
        guint8 payload[4] = { (guint8)pad, 'x', 'y', 'z' };
        put_h2_frame(b, DM_HTTP2_DATA, 0x08, 5, payload, 4);
        guint n = h2_frames(b->data, b->len, f, 4);
        g_assert_cmpuint(n, ==, pad <= 3 ? 1 : 0);
        if (n)
            assert_h2_frame(&f[0], DM_HTTP2_DATA, 0x08, 5, 10, 3 - pad);
    }
    /* PADDED with an empty payload: not even the pad length. */
    g_byte_array_set_size(b, 0);
    put_h2_frame(b, DM_HTTP2_DATA, 0x08, 5, NULL, 0);
    g_assert_cmpuint(h2_frames(b->data, b->len, f, 4), ==, 0);
    /* Flag 0x08 means PADDED on DATA and HEADERS only (on a PING: nothing). */
    g_byte_array_set_size(b, 0);
    put_h2_frame(b, 6, 0x08, 0, "\xff\1\2\3\4\5\6\7", 8);
    g_assert_cmpuint(h2_frames(b->data, b->len, f, 4), ==, 1);
    assert_h2_frame(&f[0], 6, 0x08, 0, 9, 8);
    /* Types 0-9 (RFC 9113) are frames; 10 and above end the walk with 0,
     * whatever came before. */
    for (guint type = 0; type <= 12; type++) {
        g_byte_array_set_size(b, 0);
        put_h2_frame(b, 4, 0x01, 0, NULL, 0);   /* SETTINGS ack */
        put_h2_frame(b, type, 0, 1, "\0\0\0\0", 4);
        g_assert_cmpuint(h2_frames(b->data, b->len, f, 4), ==, type <= 9 ? 2 : 0);
    }
    /* A payload longer than the bytes: 0, even after a whole frame. */
    g_byte_array_set_size(b, 0);
    put_h2_frame(b, 4, 0x01, 0, NULL, 0);
    put_h2_frame(b, DM_HTTP2_DATA, 0, 1, "abcd", 4);
    set_be(b, 9, 3, 5);
    g_assert_cmpuint(h2_frames(b->data, b->len, f, 4), ==, 0);
    set_be(b, 9, 3, 0xffffff);
    g_assert_cmpuint(h2_frames(b->data, b->len, f, 4), ==, 0);
    g_byte_array_free(b, TRUE);
}

/* Wireshark's decoded headers of a DoH GET whose :path is path (method:
 * NULL for none; path NULL for none); :method and :path first. *pairs_end:
 * where each of the five headers ends. */
static buf *
doh_headers(const char *method, const char *path, gsize pairs_end[5])
{
    buf *b = g_byte_array_new();
    gsize k = 0;
    if (method)
        put_h2_header(b, ":method", method);
    pairs_end[k++] = b->len;
    if (path)
        put_h2_header(b, ":path", path);
    pairs_end[k++] = b->len;
    put_h2_header(b, ":scheme", "https");
    pairs_end[k++] = b->len;
    put_h2_header(b, ":authority", "dns.example.test");
    pairs_end[k++] = b->len;
    put_h2_header(b, "accept", "application/dns-message");
    pairs_end[k++] = b->len;
    return b;
}

/* The DoH query of that path, or 0. */
static gsize
doh_of_path(const char *method, const char *path, guint8 *out, gsize out_len)
{
    gsize ends[5];
    buf *h = doh_headers(method, path, ends);
    gsize n = doh_query(h->data, h->len, out, out_len);
    g_byte_array_free(h, TRUE);
    return n;
}

static void
test_doh_get_query(void)
{
    /* ID 0xfbff: its base64url starts "-_", which standard base64 writes "+/". */
    buf *q = dns_query(0xfbff, "www.example.test", 1);
    g_assert_cmpuint(q->len % 3, !=, 0);    /* so that padding shows */
    char *bare = base64url(q->data, q->len, FALSE), *padded = base64url(q->data, q->len, TRUE);
    g_assert_true(g_str_has_prefix(bare, "-_"));
    g_assert_true(g_str_has_suffix(padded, "="));
    guint8 out[512];
    char *paths[] = {
        g_strconcat("/dns-query?dns=", bare, NULL),
        g_strconcat("/dns-query?dns=", padded, NULL),
        g_strconcat("/dns-query?ct=application/dns-message&dns=", bare, NULL),
        g_strconcat("/dns-query?dns=", bare, "&ct=application/dns-message", NULL),
        g_strconcat("/dns-query?dns=", padded, "&x=1", NULL),
        g_strconcat("/dns-query?dns=+/", bare + 2, NULL),      /* standard alphabet */
    };
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
        memset(out, 0, sizeof out);
        g_assert_cmpuint(doh_of_path("GET", paths[i], out, sizeof out), ==, q->len);
        g_assert_cmpmem(out, q->len, q->data, q->len);
    }
    /* The buffer: exactly the message fits; one byte less is none. */
    g_assert_cmpuint(doh_of_path("GET", paths[0], out, q->len), ==, q->len);
    g_assert_cmpuint(doh_of_path("GET", paths[0], out, q->len - 1), ==, 0);
    g_assert_cmpuint(doh_of_path("GET", paths[0], out, 0), ==, 0);
    /* Not a GET of a query. */
    g_assert_cmpuint(doh_of_path("POST", paths[0], out, sizeof out), ==, 0);
    g_assert_cmpuint(doh_of_path("get", paths[0], out, sizeof out), ==, 0);
    g_assert_cmpuint(doh_of_path("GETS", paths[0], out, sizeof out), ==, 0);
    g_assert_cmpuint(doh_of_path(NULL, paths[0], out, sizeof out), ==, 0);
    g_assert_cmpuint(doh_of_path("GET", NULL, out, sizeof out), ==, 0);
    char *other[] = {
        g_strconcat("/dns-query?xdns=", bare, NULL),          /* another parameter's tail */
        g_strconcat("/dns-query?a=dns=", bare, NULL),         /* inside another's value */
        g_strdup("/dns-query?dns="),
        g_strdup("/index.html"),
        g_strconcat("/dns-query?dns=", bare, NULL),
    };
    other[4][strlen("/dns-query?dns=") + 5] = '!';             /* not base64 */
    for (guint i = 0; i < G_N_ELEMENTS(other); i++)
        g_assert_cmpuint(doh_of_path("GET", other[i], out, sizeof out), ==, 0);
    /* What it decodes to must be a query of one question. */
    buf *bad[3] = { dns_response(7, 0, "www.example.test", NULL), g_byte_array_new(),
                    dns_query(7, "www.example.test", 1) };
    putn(bad[1], q->data, 11);
    set_be(bad[2], 4, 2, 2);                                   /* qdcount 2 */
    for (guint i = 0; i < 3; i++) {
        char *b64 = base64url(bad[i]->data, bad[i]->len, FALSE);
        char *path = g_strconcat("/dns-query?dns=", b64, NULL);
        g_assert_cmpuint(doh_of_path("GET", path, out, sizeof out), ==, 0);
        g_free(path);
        g_free(b64);
        g_byte_array_free(bad[i], TRUE);
    }
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++)
        g_free(paths[i]);
    for (guint i = 0; i < G_N_ELEMENTS(other); i++)
        g_free(other[i]);
    g_free(bare);
    g_free(padded);
    g_byte_array_free(q, TRUE);
}

/* The decoded header block cut anywhere: a cut header (its length there,
 * its bytes not) is 0; a cut under 4 bytes after a whole header is not
 * looked at. A length beyond the block is 0 too, wherever it is. */
static void
test_doh_truncated(void)
{
    buf *q = dns_query(0x2173, "v6.example.test", 28);
    char *b64 = base64url(q->data, q->len, FALSE);
    char *path = g_strconcat("/dns-query?dns=", b64, NULL);
    gsize ends[5];
    buf *h = doh_headers("GET", path, ends);
    guint8 out[512];
    for (gsize len = 0; len <= h->len; len++) {
        gsize last = 0;
        for (guint k = 0; k < 5; k++)
            if (ends[k] <= len)
                last = ends[k];
        gboolean whole = len - last < 4 && last >= ends[1];
        gsize n = doh_query(h->data, len, out, sizeof out);
        g_assert_cmpuint(n, ==, whole ? q->len : 0);
        if (n)
            g_assert_cmpmem(out, n, q->data, q->len);
    }
    /* The last header's value length too long by one, or by 2^32 - 1. */
    gsize vlen_at = ends[4] - strlen("application/dns-message") - 4;
    set_be(h, vlen_at, 4, strlen("application/dns-message") + 1);
    g_assert_cmpuint(doh_query(h->data, h->len, out, sizeof out), ==, 0);
    set_be(h, vlen_at, 4, 0xffffffffu);
    g_assert_cmpuint(doh_query(h->data, h->len, out, sizeof out), ==, 0);
    set_be(h, vlen_at, 4, strlen("application/dns-message"));
    g_assert_cmpuint(doh_query(h->data, h->len, out, sizeof out), ==, q->len);
    set_be(h, 0, 4, 0xffffffffu);                              /* :method's name */
    g_assert_cmpuint(doh_query(h->data, h->len, out, sizeof out), ==, 0);
    g_byte_array_free(h, TRUE);
    g_free(path);
    g_free(b64);
    g_byte_array_free(q, TRUE);
}

/* ---- QUIC ------------------------------------------------------------------------ */

static void
assert_stream(const dm_quic_stream *s, guint64 stream, guint64 offset, gsize data, gsize len)
{
    g_assert_cmpuint(s->stream, ==, stream);
    g_assert_cmpuint(s->offset, ==, offset);
    g_assert_cmpuint(s->data, ==, data);
    g_assert_cmpuint(s->data_len, ==, len);
}

/* STREAM frame types 0x08-0x0f: OFF (0x04) adds an offset, LEN (0x02) a
 * length (else the data runs to the end), FIN (0x01) changes nothing here. */
static void
test_quic_stream_types(void)
{
    dm_quic_stream st[4];
    for (guint type = 0x08; type <= 0x0f; type++) {
        buf *b = g_byte_array_new();
        put_varint(b, type, 1);
        put_varint(b, 4, 1);
        if (type & 0x04)
            put_varint(b, 300, 2);
        if (type & 0x02)
            put_varint(b, 5, 1);
        gsize data = b->len;
        putn(b, "hello", 5);
        /* behind it a second STREAM frame, or (no length) more data */
        put_varint(b, 0x0a, 1);
        put_varint(b, 8, 1);
        put_varint(b, 2, 1);
        putn(b, "xy", 2);
        guint n = quic_streams(b->data, b->len, st, 4);
        if (type & 0x02) {
            g_assert_cmpuint(n, ==, 2);
            assert_stream(&st[0], 4, type & 0x04 ? 300 : 0, data, 5);
            assert_stream(&st[1], 8, 0, data + 5 + 3, 2);
        } else {
            g_assert_cmpuint(n, ==, 1);
            assert_stream(&st[0], 4, type & 0x04 ? 300 : 0, data, b->len - data);
        }
        g_byte_array_free(b, TRUE);
    }
}

/* Varints of every size in every field, the largest values included. */
static void
test_quic_varints(void)
{
    static const guint sizes[] = { 1, 2, 4, 8 };
    dm_quic_stream st[2];
    for (guint i = 0; i < 4; i++) {
        buf *b = g_byte_array_new();
        put_varint(b, 0x0e, sizes[i]);                         /* the type too */
        put_varint(b, 4, sizes[i]);
        put_varint(b, 37, sizes[i]);
        put_varint(b, 3, sizes[i]);
        putn(b, "abc", 3);
        g_assert_cmpuint(quic_streams(b->data, b->len, st, 2), ==, 1);
        assert_stream(&st[0], 4, 37, 4 * sizes[i], 3);
        g_byte_array_free(b, TRUE);
    }
    static const struct {
        guint size;
        guint64 max;
    } limits[] = { { 1, 63 }, { 2, 16383 }, { 4, 1073741823 },
                   { 8, G_GUINT64_CONSTANT(4611686018427387903) } };
    for (guint i = 0; i < 4; i++) {
        buf *b = g_byte_array_new();
        put_varint(b, 0x0c, 1);
        put_varint(b, limits[i].max, limits[i].size);
        put_varint(b, limits[i].max, limits[i].size);
        putn(b, "z", 1);
        g_assert_cmpuint(quic_streams(b->data, b->len, st, 2), ==, 1);
        assert_stream(&st[0], limits[i].max, limits[i].max, 1 + 2 * limits[i].size, 1);
        /* the same bytes cut inside either varint: nothing */
        for (gsize len = 1; len < 1 + 2 * limits[i].size; len++)
            g_assert_cmpuint(quic_streams(b->data, len, st, 2), ==, 0);
        g_byte_array_free(b, TRUE);
    }
    /* A length of 2^62 - 1: more than the bytes. */
    buf *b = g_byte_array_new();
    put_varint(b, 0x0a, 1);
    put_varint(b, 0, 1);
    put_varint(b, limits[3].max, 8);
    putn(b, "abc", 3);
    g_assert_cmpuint(quic_streams(b->data, b->len, st, 2), ==, 0);
    g_byte_array_free(b, TRUE);
}

/* A decrypted 1-RTT payload: a frame of every other kind the walk skips,
 * then the STREAM frame. Where a walk that miscounted a frame's fields
 * would read the next type, the value is 33: a type it does not know, so
 * a miscount ends the walk rather than realigning by luck. Returns where
 * the STREAM frame's data starts. */
static gsize
put_quic_other_frames(buf *b)
{
    static const guint8 token[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    static const struct {
        guint8 type;
        guint n;                /* varints after the type, each 33 (1 byte) */
    } simple[] = {
        { 0x04, 3 },            /* RESET_STREAM: stream, error, final size */
        { 0x05, 2 },            /* STOP_SENDING: stream, error */
        { 0x10, 1 },            /* MAX_DATA */
        { 0x11, 2 },            /* MAX_STREAM_DATA: stream, maximum */
        { 0x12, 1 },            /* MAX_STREAMS (bidirectional) */
        { 0x13, 1 },            /* MAX_STREAMS (unidirectional) */
        { 0x14, 1 },            /* DATA_BLOCKED */
        { 0x15, 2 },            /* STREAM_DATA_BLOCKED: stream, limit */
        { 0x16, 1 },            /* STREAMS_BLOCKED (bidirectional) */
        { 0x17, 1 },            /* STREAMS_BLOCKED (unidirectional) */
        { 0x19, 1 },            /* RETIRE_CONNECTION_ID */
    };
    putn(b, "\0\0\0", 3);                                      /* PADDING */
    put8(b, 0x01);                                             /* PING */
    put8(b, 0x02);                                             /* ACK: largest 1000, */
    put_varint(b, 1000, 2);                                    /* delay 25, 1 range, */
    put_varint(b, 25, 1);                                      /* first 3, gap 1, length 33 */
    put_varint(b, 1, 1);
    put_varint(b, 3, 1);
    put_varint(b, 1, 1);
    put_varint(b, 33, 1);
    put8(b, 0x03);                                             /* ACK with ECN counts */
    put_varint(b, 7, 1);
    put_varint(b, 0, 1);
    put_varint(b, 0, 1);
    put_varint(b, 7, 1);
    put_varint(b, 10, 1);
    put_varint(b, 0, 1);
    put_varint(b, 33, 1);
    put8(b, 0x06);                                             /* CRYPTO: offset 0, 33 bytes */
    put_varint(b, 0, 1);
    put_varint(b, 33, 1);
    putn(b, "\4\0\0\35!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", 33);
    put8(b, 0x07);                                             /* NEW_TOKEN */
    put_varint(b, 3, 1);
    putn(b, "tok", 3);
    for (guint i = 0; i < G_N_ELEMENTS(simple); i++) {
        put8(b, simple[i].type);
        for (guint k = 0; k < simple[i].n; k++)
            put_varint(b, 33, 1);
    }
    put8(b, 0x18);                                             /* NEW_CONNECTION_ID */
    put_varint(b, 1, 1);
    put_varint(b, 0, 1);
    put8(b, 8);
    putn(b, "\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7", 8);
    putn(b, token, sizeof token);
    put8(b, 0x1a);                                             /* PATH_CHALLENGE */
    putn(b, "!!!!!!!!", 8);
    put8(b, 0x1b);                                             /* PATH_RESPONSE */
    putn(b, "!!!!!!!!", 8);
    put8(b, 0x1e);                                             /* HANDSHAKE_DONE */
    put8(b, 0x31);                                             /* DATAGRAM with a length */
    put_varint(b, 2, 1);
    putn(b, "!!", 2);
    for (guint app = 0; app < 2; app++) {
        put8(b, 0x1c + app);                                   /* CONNECTION_CLOSE: error, */
        put_varint(b, 0, 1);                                   /* frame type (not app), */
        if (!app)                                              /* 33 bytes of reason */
            put_varint(b, 0, 1);
        put_varint(b, 33, 1);
        putn(b, "connection closed by the server!!", 33);
    }
    put8(b, 0x0b);                                             /* STREAM, LEN | FIN */
    put_varint(b, 0, 1);
    put_varint(b, 16, 1);
    gsize data = b->len;
    putn(b, "\0\16\0\0\1\0\0\1\0\0\0\0\0\0", 14);
    putn(b, "\0\0", 2);
    return data;
}

static void
test_quic_frames_before_stream(void)
{
    dm_quic_stream st[4];
    buf *b = g_byte_array_new();
    gsize data = put_quic_other_frames(b);
    g_assert_cmpuint(data + 16, ==, b->len);
    g_assert_cmpuint(quic_streams(b->data, b->len, st, 4), ==, 1);
    assert_stream(&st[0], 0, 0, data, 16);
    /* Every prefix: nothing until the STREAM frame is whole. */
    for (gsize len = 0; len <= b->len; len++)
        g_assert_cmpuint(quic_streams(b->data, len, st, 4), ==, len == b->len ? 1 : 0);
    /* A frame it does not know stops the walk: before the STREAM frame,
     * nothing; after it, the STREAM frame stays. */
    static const guint8 stops[] = { 0x20, 0x21, 0x2f, 0x3f, 0x30 /* DATAGRAM to the end */ };
    for (guint i = 0; i < G_N_ELEMENTS(stops); i++) {
        buf *c = g_byte_array_new();
        put8(c, 0x01);
        put8(c, stops[i]);
        putb(c, b);
        g_assert_cmpuint(quic_streams(c->data, c->len, st, 4), ==, 0);
        g_byte_array_set_size(c, 0);
        putb(c, b);
        put8(c, stops[i]);
        putb(c, b);
        g_assert_cmpuint(quic_streams(c->data, c->len, st, 4), ==, 1);
        g_byte_array_free(c, TRUE);
    }
    /* An ACK claiming more ranges than there are bytes. */
    g_byte_array_set_size(b, 0);
    put8(b, 0x02);
    put_varint(b, 5, 1);
    put_varint(b, 0, 1);
    put_varint(b, 200, 2);
    put_varint(b, 0, 1);
    put8(b, 0x08);
    put_varint(b, 0, 1);
    putn(b, "data", 4);
    g_assert_cmpuint(quic_streams(b->data, b->len, st, 4), ==, 0);
    g_byte_array_free(b, TRUE);
}

/* Three STREAM frames: the cap, and every prefix (a frame with a length
 * needs all of it; the last, without one, takes what there is). */
static void
test_quic_streams_cap_and_prefixes(void)
{
    buf *b = g_byte_array_new();
    gsize data[3], end[3];
    for (guint i = 0; i < 3; i++) {
        put_varint(b, i < 2 ? 0x0a : 0x08, 1);
        put_varint(b, 4 * i, 1);
        if (i < 2)
            put_varint(b, 6, 1);
        data[i] = b->len;
        putn(b, "\0\4abcd", 6);
        end[i] = b->len;
    }
    dm_quic_stream st[4], g[4];
    g_assert_cmpuint(quic_streams(b->data, b->len, st, 4), ==, 3);
    for (guint i = 0; i < 3; i++)
        assert_stream(&st[i], 4 * i, 0, data[i], 6);
    g_assert_cmpuint(quic_streams(b->data, b->len, g, 2), ==, 2);
    assert_stream(&g[1], 4, 0, data[1], 6);
    g_assert_cmpuint(quic_streams(b->data, b->len, g, 0), ==, 0);
    for (gsize len = 0; len <= b->len; len++) {
        guint want = (len >= end[0]) + (len >= end[1]) + (len >= data[2]);
        g_assert_cmpuint(quic_streams(b->data, len, g, 4), ==, want);
        if (want == 3)
            assert_stream(&g[2], 8, 0, data[2], len - data[2]);
    }
    g_byte_array_free(b, TRUE);
}

/* The server's first datagram: Initial (ServerHello), Handshake, and a
 * 1-RTT packet (short header) coalesced. Each kind counts once its packet
 * is whole; a short header counts from its first byte. */
static void
test_quic_scan_coalesced(void)
{
    buf *b = g_byte_array_new();
    put_quic_long(b, 0, 120);
    gsize end1 = b->len;
    put_quic_long(b, 2, 300);
    gsize end2 = b->len;
    put_quic_short(b, 40);
    dm_quic_info q;
    g_assert_true(quic_scan(b->data, b->len, &q));
    g_assert_true(q.initial && q.handshake && q.one_rtt);
    for (gsize len = 0; len <= b->len; len++) {
        g_assert_cmpint(quic_scan(b->data, len, &q), ==, len >= end1);
        g_assert_cmpint(q.initial, ==, len >= end1);
        g_assert_cmpint(q.handshake, ==, len >= end2);
        g_assert_cmpint(q.one_rtt, ==, len > end2);
    }
    g_byte_array_free(b, TRUE);
}

static void
test_quic_scan_kinds(void)
{
    dm_quic_info q;
    buf *b = g_byte_array_new();
    /* The client's Initial with a token, padded to 1200 bytes with zeros
     * after the packet (what follows without the fixed bit is padding). */
    static const guint len_sizes[] = { 1, 2, 4, 8 };
    for (guint i = 0; i < 4; i++) {
        g_byte_array_set_size(b, 0);
        put_quic_long_full(b, 0, 20, len_sizes[i], 40);
        pad_to(b, 1200);
        g_assert_true(quic_scan(b->data, b->len, &q));
        g_assert_true(q.initial);
        g_assert_false(q.handshake || q.one_rtt);
    }
    g_byte_array_set_size(b, 0);
    put_quic_long(b, 2, 50);
    g_assert_true(quic_scan(b->data, b->len, &q));
    g_assert_true(q.handshake && !q.initial && !q.one_rtt);
    /* 0-RTT and Retry are QUIC, but none of the three kinds. */
    for (guint kind = 1; kind <= 3; kind += 2) {
        g_byte_array_set_size(b, 0);
        put_quic_long(b, kind, 30);
        g_assert_true(quic_scan(b->data, b->len, &q));
        g_assert_false(q.initial || q.handshake || q.one_rtt);
    }
    /* A short header alone; even a single byte of one. */
    g_byte_array_set_size(b, 0);
    put_quic_short(b, 30);
    g_assert_true(quic_scan(b->data, b->len, &q));
    g_assert_true(q.one_rtt && !q.initial && !q.handshake);
    g_assert_true(quic_scan(b->data, 1, &q));
    g_assert_true(q.one_rtt);
    /* Not QUIC: no fixed bit, nothing, a long header cut before its
     * connection ids end, ids or token or length beyond the datagram. */
    g_assert_false(quic_scan((const guint8 *)"\0\0\0\0", 4, &q));
    g_assert_false(quic_scan((const guint8 *)"\x80\0\0\0\1\0\0\0", 8, &q));
    g_assert_false(quic_scan((const guint8 *)"\x3f", 1, &q));
    g_assert_false(quic_scan((const guint8 *)"", 0, &q));
    g_byte_array_set_size(b, 0);
    put_quic_long(b, 0, 30);
    buf *c = g_byte_array_new();
    static const gsize fields[] = { 5, 14 };                   /* dcid and scid lengths */
    for (guint i = 0; i < 2; i++) {
        g_byte_array_set_size(c, 0);
        putb(c, b);
        c->data[fields[i]] = 200;
        g_assert_false(quic_scan(c->data, c->len, &q));
    }
    g_byte_array_set_size(c, 0);
    putb(c, b);
    c->data[19] = 0x3f;                                        /* token length 63 */
    g_assert_false(quic_scan(c->data, c->len, &q));
    g_byte_array_set_size(c, 0);
    putb(c, b);
    set_be(c, 20, 2, 0x4000 | 31);                             /* length one too many */
    g_assert_false(quic_scan(c->data, c->len, &q));
    set_be(c, 20, 2, 0x4000 | 29);                             /* one short: its last byte */
    g_assert_true(quic_scan(c->data, c->len, &q));             /* (0xa5, no fixed bit) is */
    g_assert_true(q.initial && !q.one_rtt);                    /* padding */
    g_byte_array_free(c, TRUE);
    g_byte_array_free(b, TRUE);
}

/* ---- mutations of encrypted-DNS samples ---------------------------------------------
 * Every sample through every encrypted-DNS parser, mutated and cut: the
 * wrappers above check what must hold whatever the bytes (offsets within
 * them, counts within the cap, a DoH query within its buffer and a query),
 * and each parser must both accept and refuse some of them, or those
 * checks would not have run. */
static void
test_encrypted_mutations(void)
{
    static const char *const alpn[] = { "h2", "dot", NULL };
    GPtrArray *samples = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    g_ptr_array_add(samples, client_hello(alpn, NULL, NULL, NULL));
    buf *b = server_hello(0x0304, 2, NULL);
    put_tls_record(b, 20, 0x0303, "\1", 1);
    put_tls_record(b, 23, 0x0303, "0123456789", 10);
    put_tls_record(b, 21, 0x0303, "\2\x2a", 2);
    g_ptr_array_add(samples, b);
    gsize ends[5];
    g_ptr_array_add(samples, h2_client_start(ends));
    buf *q = dns_query(0, "www.example.test", 1);
    char *b64 = base64url(q->data, q->len, FALSE);
    char *path = g_strconcat("/dns-query?ct=x&dns=", b64, "&y", NULL);
    g_ptr_array_add(samples, doh_headers("GET", path, ends));
    b = g_byte_array_new();
    put_quic_other_frames(b);
    g_ptr_array_add(samples, b);
    b = g_byte_array_new();
    put_quic_long(b, 0, 40);
    put_quic_long(b, 2, 30);
    put_quic_short(b, 10);
    g_ptr_array_add(samples, b);
    GRand *rnd = g_rand_new_with_seed(9250);
    guint iterations = g_test_slow() ? 200000 : 20000;
    guint accepted[5] = { 0 };
    for (guint i = 0; i < iterations; i++) {
        const buf *s = g_ptr_array_index(samples, g_rand_int_range(rnd, 0, (gint32)samples->len));
        guint8 *c = g_memdup2(s->data, s->len);
        gsize len = s->len;
        int flips = g_rand_int_range(rnd, 1, 4);
        for (int k = 0; k < flips; k++) {
            guint pos = (guint)g_rand_int_range(rnd, 0, (gint32)len);
            switch (g_rand_int_range(rnd, 0, 3)) {
            case 0: c[pos] = (guint8)g_rand_int_range(rnd, 0, 256); break;
            case 1: c[pos] = 0xff; break;
            default: c[pos] = 0; break;
            }
        }
        if (g_rand_boolean(rnd))
            len = (gsize)g_rand_int_range(rnd, 0, (gint32)len + 1);
        dm_tls_info t;
        dm_http2_frame f[8];
        guint8 out[512];
        dm_quic_stream st[8];
        dm_quic_info qi;
        accepted[0] += tls_scan(c, len, &t);
        accepted[1] += h2_frames(c, len, f, 8) > 0;
        accepted[2] += doh_query(c, len, out, sizeof out) > 0;
        accepted[3] += quic_streams(c, len, st, 8) > 0;
        accepted[4] += quic_scan(c, len, &qi);
        g_free(c);
    }
    g_test_message("accepted of %u mutated inputs: TLS %u, HTTP/2 %u, DoH %u, QUIC streams %u, "
                   "QUIC packets %u", iterations, accepted[0], accepted[1], accepted[2],
                   accepted[3], accepted[4]);
    for (guint k = 0; k < 5; k++) {
        g_assert_cmpuint(accepted[k], >, iterations / 200);
        g_assert_cmpuint(accepted[k], <, iterations - iterations / 200);
    }
    g_rand_free(rnd);
    g_free(path);
    g_free(b64);
    g_byte_array_free(q, TRUE);
    g_ptr_array_free(samples, TRUE);
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
    g_test_add_func("/tls/client-hello-alpn", test_tls_client_hello_alpn);
    g_test_add_func("/tls/client-hello-truncated", test_tls_client_hello_truncated);
    g_test_add_func("/tls/server-hello-versions", test_tls_server_hello_versions);
    g_test_add_func("/tls/alerts", test_tls_alerts);
    g_test_add_func("/tls/several-records", test_tls_several_records);
    g_test_add_func("/tls/not-tls", test_tls_not_tls);
    g_test_add_func("/http2/frames", test_http2_frames);
    g_test_add_func("/http2/padding-and-types", test_http2_padding_and_types);
    g_test_add_func("/doh/get-query", test_doh_get_query);
    g_test_add_func("/doh/truncated", test_doh_truncated);
    g_test_add_func("/quic/stream-types", test_quic_stream_types);
    g_test_add_func("/quic/varints", test_quic_varints);
    g_test_add_func("/quic/frames-before-stream", test_quic_frames_before_stream);
    g_test_add_func("/quic/streams-cap-and-prefixes", test_quic_streams_cap_and_prefixes);
    g_test_add_func("/quic/scan-coalesced", test_quic_scan_coalesced);
    g_test_add_func("/quic/scan-kinds", test_quic_scan_kinds);
    g_test_add_func("/fuzz/encrypted-mutations", test_encrypted_mutations);
    return g_test_run();
}
