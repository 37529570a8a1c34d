/* dnsmon_parse.h — reading DNS messages, ICMP quotes and TCP headers from
 * packet bytes. Plain C, no epan, every read bounds-checked: this is what a
 * fuzzer drives directly.
 *
 * dnsmon asks Wireshark only for where the dns, icmp, icmpv6, ip, ipv6 and
 * tcp protocol items lie in a frame (cheap: no full protocol tree) and reads
 * the few values it needs from the bytes under them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_PARSE_H
#define DNSMON_PARSE_H

#include <glib.h>

#include "dnsmon_tracker.h"

G_BEGIN_DECLS

/* Presentation form of the longest name: 255 wire bytes, each up to "\DDD". */
#define DM_NAME_MAX 1100
#define DM_EDE_TEXT_MAX 160

typedef struct {
    guint16 id;
    gboolean qr, tc, aa, rd;
    guint8 opcode, rcode;
    guint16 qdcount, ancount, nscount, arcount;
    gboolean has_question;      /* the first question parsed */
    gboolean bad_question;      /* qdcount > 0 but it did not parse */
    char name[DM_NAME_MAX];     /* escaped: "\." for a dot inside a label, "\DDD" */
    guint16 qtype, qclass;
    gboolean has_ede;           /* Extended DNS Error, RFC 8914 */
    guint16 ede_code;
    char ede_text[DM_EDE_TEXT_MAX];
    /* With want_records: */
    gboolean ns_in_authority;   /* an NS record in the authority section (a referral) */
    gboolean cname_only;        /* every answer record is a CNAME: a step to its target */
    guint n_learned;            /* CNAME targets (answers), then NS names (authority) */
    char learned[DM_LEARNED_MAX][DM_NAME_MAX];
} dm_dns_parsed;

/* Parses a DNS message (no TCP length prefix). FALSE when shorter than a
 * header. With want_records, also walks its records: the OPT record's
 * Extended DNS Error, NS records in the authority section, and the names
 * it teaches (CNAME targets, nameserver names). */
gboolean dm_parse_dns(const guint8 *p, gsize len, gboolean want_records, dm_dns_parsed *out);

/* Reads one name at offset off of message p (following compression
 * pointers, safely) into out; returns the offset after it in the message,
 * or 0 when malformed. */
gsize dm_parse_name(const guint8 *p, gsize len, gsize off, char *out, gsize out_len);

typedef struct {
    guint8 type, code;
    gboolean has_ip;            /* the quote holds an IP header */
    dm_addr src, dst;           /* of the quoted packet */
    guint8 proto;               /* quoted transport: 17, 6, 1, 58, ... */
    gboolean has_ports;
    guint16 sport, dport;
    gboolean tcp_syn;           /* quoted TCP flags say SYN */
    gsize payload;              /* offset of the transport payload in the ICMP bytes */
    gsize quote_end;            /* where the quote ends (RFC 4884 length) */
} dm_icmp_quote;

/* Parses an ICMP (version 4) or ICMPv6 (6) message: type, code and the
 * packet its error quotes, as far as the bytes go. FALSE when shorter than
 * the ICMP header. */
gboolean dm_parse_icmp(const guint8 *p, gsize len, guint8 version, dm_icmp_quote *q);

typedef struct {
    guint16 sport, dport;
    gboolean syn, ack, rst, fin;
} dm_tcp_hdr;

gboolean dm_parse_tcp(const guint8 *p, gsize len, dm_tcp_hdr *h);

/* ---- encrypted DNS ------------------------------------------------------
 * What DNS over TLS, HTTPS and QUIC show (docs/design.md, "Encrypted DNS"):
 * in the clear, the TLS records and QUIC packet headers; with the keys,
 * Wireshark's decrypted data sources: the DoT byte stream, HTTP/2 frames,
 * the decoded HTTP/2 headers, QUIC frames. */

/* The TLS records that start a TCP payload. */
typedef struct {
    gboolean client_hello, server_hello;
    gboolean alpn_dot;          /* the ClientHello offers ALPN "dot" (DNS over TLS) */
    gboolean tls13;             /* the ServerHello chose TLS 1.3 (supported_versions) */
    gboolean alert;             /* an alert record (readable when clear: level and desc) */
    gboolean alert_clear;
    guint8 alert_level, alert_desc;
    guint encrypted;            /* application data records (content type 23) */
} dm_tls_info;

/* FALSE when the payload does not start with a TLS record. */
gboolean dm_tls_scan(const guint8 *p, gsize len, dm_tls_info *out);

/* One HTTP/2 frame: its type, flags, stream and payload (padding removed). */
typedef struct {
    guint8 type, flags;
    guint32 stream;
    gsize payload, payload_len; /* offsets into the buffer */
} dm_http2_frame;

#define DM_HTTP2_DATA 0
#define DM_HTTP2_HEADERS 1

/* The HTTP/2 frames that make up p (the client's connection preface is
 * skipped), at most max; 0 when p does not parse as frames. */
guint dm_http2_frames(const guint8 *p, gsize len, dm_http2_frame *out, guint max);

/* Wireshark's decoded HTTP/2 headers (4-byte length, name, 4-byte length,
 * value, ...): the DNS query of a DoH GET (":method" GET, ":path" with
 * "dns=" and a base64url message) into out; its length, 0 if none. */
gsize dm_doh_get_query(const guint8 *p, gsize len, guint8 *out, gsize out_len);

/* One QUIC STREAM frame. */
typedef struct {
    guint64 stream, offset;
    gsize data, data_len;       /* offsets into the buffer */
} dm_quic_stream;

/* The STREAM frames among the frames of a decrypted QUIC packet payload,
 * at most max (walking stops at a frame it does not know). */
guint dm_quic_streams(const guint8 *p, gsize len, dm_quic_stream *out, guint max);

/* The QUIC packets of one UDP datagram, by kind. */
typedef struct {
    gboolean initial, handshake, one_rtt;
} dm_quic_info;

/* FALSE when the datagram does not start like QUIC. */
gboolean dm_quic_scan(const guint8 *p, gsize len, dm_quic_info *out);

/* ---- finding headers in a frame ----------------------------------------
 * Without asking Wireshark for a protocol tree (which makes every dissector
 * do its tree work on every frame), dnsmon finds the headers it needs in
 * the frame's bytes, guided by what the dissectors left in packet_info:
 * the innermost addresses and ports. Link layers, VLANs, tunnels are never
 * parsed: only a header that agrees with all of that is taken. */

typedef struct {
    gsize transport;            /* offset of the UDP or TCP header */
    gsize payload;              /* of its payload */
    gsize end;                  /* where the IP packet ends (not the frame: padding) */
} dm_located;

/* The innermost UDP (proto 17) or TCP (6) header in buf whose ports are
 * sport -> dport and which follows an IPv4 or IPv6 header from src to dst
 * for that protocol. FALSE if there is none. */
gboolean dm_find_transport(const guint8 *buf, gsize len, guint8 proto, const dm_addr *src,
                           const dm_addr *dst, guint16 sport, guint16 dport, dm_located *at);

/* The first ICMP (IPv4 protocol 1) or ICMPv6 (IPv6 next header 58, after
 * extension headers) message in buf carried by an IP header from src to dst
 * (the addresses the dissectors left in packet_info): the offsets of that
 * IP header and of the ICMP message, and the ICMP version (4 or 6). */
gboolean dm_find_icmp(const guint8 *buf, gsize len, const dm_addr *src, const dm_addr *dst,
                      gsize *ip_off, gsize *icmp_off, guint8 *version);

G_END_DECLS

#endif
