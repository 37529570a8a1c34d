/* build_bytes.h — packet bytes for the parser tests, written field by
 * field: big-endian integers, QUIC varints, and what encrypted DNS shows
 * (TLS records and hellos, HTTP/2 frames, Wireshark's decoded HTTP/2
 * headers, QUIC long headers). Each builder says where the bytes a parser
 * looks for end, so a test can say what every prefix must give.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_BUILD_BYTES_H
#define DNSMON_BUILD_BYTES_H

#include <string.h>

#include <glib.h>

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

static G_GNUC_UNUSED void
put24(buf *b, guint32 v)
{
    put8(b, v >> 16);
    put16(b, v & 0xffff);
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

static G_GNUC_UNUSED void
putb(buf *b, const buf *src)
{
    putn(b, src->data, src->len);
}

/* Writes v as a big-endian integer of n bytes at b[at] (a length field
 * filled in, or changed, afterwards). */
static G_GNUC_UNUSED void
set_be(buf *b, gsize at, gsize n, guint64 v)
{
    for (gsize i = 0; i < n; i++)
        b->data[at + i] = (guint8)(v >> (8 * (n - 1 - i)));
}

/* ---- QUIC (RFC 9000) ------------------------------------------------------ */

/* A variable-length integer in exactly n bytes (1, 2, 4 or 8): the top two
 * bits of the first byte say which. */
static G_GNUC_UNUSED void
put_varint(buf *b, guint64 v, guint n)
{
    guint8 prefix = n == 1 ? 0x00 : n == 2 ? 0x40 : n == 4 ? 0x80 : 0xc0;
    gsize at = b->len;
    for (guint i = 0; i < n; i++)
        put8(b, 0);
    set_be(b, at, n, v);
    b->data[at] |= prefix;
}

/* A long-header packet (kind: 0 Initial, 1 0-RTT, 2 Handshake, 3 Retry)
 * with an 8-byte destination and a 4-byte source connection id, a token of
 * token_len bytes (Initial), its length as a varint of len_size bytes and
 * then payload_len bytes standing for the packet number and protected
 * payload. */
static G_GNUC_UNUSED void
put_quic_long_full(buf *b, guint kind, gsize token_len, guint len_size, gsize payload_len)
{
    put8(b, 0xc0 | (kind << 4) | 0x01);
    put32(b, 1);                            /* version 1 */
    put8(b, 8);
    for (guint i = 0; i < 8; i++)
        put8(b, 0xd0 + i);
    put8(b, 4);
    put32(b, 0x5c1d5c1d);
    if (kind == 3) {                        /* Retry: a token and a tag, no length */
        for (gsize i = 0; i < payload_len; i++)
            put8(b, 0x7e);
        return;
    }
    if (kind == 0) {
        put_varint(b, token_len, 1);
        for (gsize i = 0; i < token_len; i++)
            put8(b, 0x70);
    }
    put_varint(b, payload_len, len_size);
    for (gsize i = 0; i < payload_len; i++)
        put8(b, 0xa5);
}

/* The usual: no token, a 2-byte length. */
static G_GNUC_UNUSED void
put_quic_long(buf *b, guint kind, gsize payload_len)
{
    put_quic_long_full(b, kind, 0, 2, payload_len);
}

/* A short-header (1-RTT) packet: the fixed bit, an 8-byte connection id,
 * then protected bytes up to the datagram's end. */
static G_GNUC_UNUSED void
put_quic_short(buf *b, gsize payload_len)
{
    put8(b, 0x41);
    for (guint i = 0; i < 8; i++)
        put8(b, 0xd0 + i);
    for (gsize i = 0; i < payload_len; i++)
        put8(b, 0x3c);
}

/* ---- TLS ------------------------------------------------------------------ */

/* A record header: content type, version, length. */
static G_GNUC_UNUSED void
put_tls_record(buf *b, guint type, guint version, const void *body, gsize len)
{
    put8(b, type);
    put16(b, version);
    put16(b, (guint)len);
    putn(b, body, len);
}

/* One extension: type, length, data. */
static G_GNUC_UNUSED void
put_tls_ext(buf *b, guint type, const void *data, gsize len)
{
    put16(b, type);
    put16(b, (guint)len);
    putn(b, data, len);
}

/* ALPN extension data (RFC 7301): the list's length, then each protocol
 * name behind its one-byte length. */
static G_GNUC_UNUSED buf *
alpn_data(const char *const *names)
{
    buf *b = g_byte_array_new();
    put16(b, 0);
    for (const char *const *n = names; *n; n++) {
        put8(b, (guint)strlen(*n));
        putn(b, *n, strlen(*n));
    }
    set_be(b, 0, 2, b->len - 2);
    return b;
}

/* Offsets in a hello record: where its handshake length and its extension
 * block (the block's 2-byte length, then the extensions) sit. */
typedef struct {
    gsize hs_len;               /* the 3-byte handshake length */
    gsize exts_len;             /* the 2-byte extension block length */
    gsize exts;                 /* the first extension */
} tls_hello_at;

/* A ClientHello (hs_type 1) or ServerHello (2) in one handshake record:
 * version 1.2, random, a session id of sid bytes, cipher suites and
 * compression methods, then the extensions exts (NULL: no extension block
 * at all). */
static G_GNUC_UNUSED buf *
tls_hello_sid(guint hs_type, guint sid, const buf *exts, tls_hello_at *at)
{
    buf *body = g_byte_array_new();
    put16(body, 0x0303);
    for (guint i = 0; i < 32; i++)
        put8(body, 0x20 + i);               /* random */
    put8(body, sid);
    for (guint i = 0; i < sid; i++)
        put8(body, 0x90 + i);               /* session id */
    if (hs_type == 1) {
        put16(body, 6);                     /* three cipher suites */
        put16(body, 0x1301);
        put16(body, 0x1302);
        put16(body, 0xc02b);
        put8(body, 1);                      /* compression: null only */
        put8(body, 0);
    } else {
        put16(body, 0x1301);
        put8(body, 0);
    }
    gsize exts_len = body->len;
    if (exts) {
        put16(body, exts->len);
        putb(body, exts);
    }
    buf *r = g_byte_array_new();
    put8(r, 22);
    put16(r, 0x0301);
    put16(r, 4 + body->len);
    put8(r, hs_type);
    put24(r, body->len);
    putb(r, body);
    g_byte_array_free(body, TRUE);
    if (at) {
        at->hs_len = 6;
        at->exts_len = 9 + exts_len;
        at->exts = at->exts_len + 2;
    }
    return r;
}

/* With a 32-byte session id, as TLS 1.3 clients send (RFC 8446 D.4). */
static G_GNUC_UNUSED buf *
tls_hello(guint hs_type, const buf *exts, tls_hello_at *at)
{
    return tls_hello_sid(hs_type, 32, exts, at);
}

/* ---- HTTP/2 (RFC 9113) ------------------------------------------------------ */

static G_GNUC_UNUSED void
put_h2_frame(buf *b, guint type, guint flags, guint32 stream, const void *payload, gsize len)
{
    put24(b, (guint32)len);
    put8(b, type);
    put8(b, flags);
    put32(b, stream);
    putn(b, payload, len);
}

/* Wireshark's "Decompressed Header" source: each header as a 4-byte name
 * length, the name, a 4-byte value length, the value. */
static G_GNUC_UNUSED void
put_h2_header(buf *b, const char *name, const char *value)
{
    put32(b, (guint32)strlen(name));
    putn(b, name, strlen(name));
    put32(b, (guint32)strlen(value));
    putn(b, value, strlen(value));
}

/* base64url (RFC 4648 section 5) of p, with '=' padding or without. */
static G_GNUC_UNUSED char *
base64url(const guint8 *p, gsize len, gboolean padded)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < len; i += 3) {
        guint32 v = (guint32)p[i] << 16;
        if (i + 1 < len)
            v |= (guint32)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        gsize chars = i + 2 < len ? 4 : i + 1 < len ? 3 : 2;
        for (gsize k = 0; k < 4; k++) {
            if (k < chars)
                g_string_append_c(s, abc[(v >> (18 - 6 * k)) & 0x3f]);
            else if (padded)
                g_string_append_c(s, '=');
        }
    }
    return g_string_free(s, FALSE);
}

#endif
