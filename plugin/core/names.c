/* names.c — the one vocabulary (dnsmon_names.h): outcome, lookup, ICMP
 * kind and transport names, DNS type and EDE mnemonics, addresses and
 * durations in words. Depends on nothing of the engine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <math.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "dnsmon_names.h"

static const struct {
    const char *name;       /* field value, filter value */
    const char *text;       /* in words */
} outcomes[DM_OUTCOME_COUNT] = {
    [DM_OUTCOME_PENDING] = { "pending", "pending (not known yet)" },
    [DM_OUTCOME_ANSWERED] = { "answered", "answered" },
    [DM_OUTCOME_NODATA] = { "nodata", "no data (NOERROR, no answer records)" },
    [DM_OUTCOME_TRUNCATED] = { "truncated", "truncated (TC=1: retry over TCP)" },
    [DM_OUTCOME_NXDOMAIN] = { "nxdomain", "no such name (NXDOMAIN)" },
    [DM_OUTCOME_SERVFAIL] = { "servfail", "server failure (SERVFAIL)" },
    [DM_OUTCOME_REFUSED] = { "refused", "refused (REFUSED)" },
    [DM_OUTCOME_ERROR] = { "error", "error response code" },
    [DM_OUTCOME_REJECTED] = { "rejected", "rejected (ICMP error or TCP reset)" },
    [DM_OUTCOME_WRONG_SOURCE] = { "wrong_source", "answered from the wrong address" },
    [DM_OUTCOME_INCOMPLETE] = { "incomplete", "incomplete (capture ended first)" },
    [DM_OUTCOME_UNANSWERED] = { "unanswered", "unanswered" },
    [DM_OUTCOME_REFERRAL] = { "referral", "referral (a delegation to other servers)" },
    [DM_OUTCOME_LAME] = { "lame", "lame (not authoritative for the zone it was delegated)" },
    [DM_OUTCOME_ENCRYPTED] = { "encrypted", "encrypted (data flowed; no keys to read it)" },
    [DM_OUTCOME_TLS_FAILED] = { "tls_failed", "TLS failed (handshake alert or closed early)" },
};

const char *
dm_outcome_name(dm_outcome o)
{
    return (o < DM_OUTCOME_COUNT) ? outcomes[o].name : "?";
}

const char *const *
dm_outcome_names(gsize *n)
{
    static const char *names[DM_OUTCOME_COUNT];
    for (int o = 0; o < DM_OUTCOME_COUNT; o++)
        names[o] = outcomes[o].name;
    *n = DM_OUTCOME_COUNT;
    return names;
}

static const char *const lookup_outcomes[DM_LOOKUP_COUNT] = {
    [DM_LOOKUP_PENDING] = "pending",
    [DM_LOOKUP_RESOLVED] = "resolved",
    [DM_LOOKUP_RECOVERED] = "recovered",
    [DM_LOOKUP_FAILED] = "failed",
    [DM_LOOKUP_INCOMPLETE] = "incomplete",
};

const char *
dm_lookup_outcome_name(dm_lookup_outcome o)
{
    return o < DM_LOOKUP_COUNT ? lookup_outcomes[o] : "?";
}

const char *const *
dm_lookup_outcome_names(gsize *n)
{
    *n = DM_LOOKUP_COUNT;
    return lookup_outcomes;
}

const char *
dm_outcome_text(dm_outcome o)
{
    return (o < DM_OUTCOME_COUNT) ? outcomes[o].text : "?";
}

gboolean
dm_outcome_is_failure(dm_outcome o)
{
    return o != DM_OUTCOME_ANSWERED && o != DM_OUTCOME_NODATA && o != DM_OUTCOME_TRUNCATED &&
           o != DM_OUTCOME_REFERRAL && o != DM_OUTCOME_ENCRYPTED && o != DM_OUTCOME_PENDING &&
           o < DM_OUTCOME_COUNT;
}

static const char *const upstream_causes[DM_UPSTREAM_COUNT] = {
    [DM_UPSTREAM_NONE] = "-",
    [DM_UPSTREAM_FAILED] = "upstream_failed",
    [DM_UPSTREAM_ANSWERED] = "upstream_answered",
    [DM_UPSTREAM_NONE_SEEN] = "none_seen",
};

const char *
dm_upstream_cause_name(dm_upstream_cause c)
{
    return c < DM_UPSTREAM_COUNT ? upstream_causes[c] : "?";
}

const char *const *
dm_upstream_cause_names(gsize *n)
{
    *n = DM_UPSTREAM_COUNT - 1;
    return upstream_causes + 1;
}

const char *
dm_reporter_name(dm_reporter r)
{
    switch (r) {
    case DM_REPORTER_SERVER: return "server";
    case DM_REPORTER_CLIENT: return "client";
    default: return "router";
    }
}

const char *
dm_reporter_text(dm_reporter r)
{
    switch (r) {
    case DM_REPORTER_SERVER: return "the server";
    case DM_REPORTER_CLIENT: return "the client";
    default: return "a router or firewall";
    }
}

/* Extended DNS Error info codes (RFC 8914, IANA registry). */
static const char *const ede_names[] = {
    "Other Error", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type",
    "Stale Answer", "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus",
    "Signature Expired", "Signature Not Yet Valid", "DNSKEY Missing", "RRSIGs Missing",
    "No Zone Key Bit Set", "NSEC Missing", "Cached Error", "Not Ready", "Blocked",
    "Censored", "Filtered", "Prohibited", "Stale NXDOMAIN Answer", "Not Authoritative",
    "Not Supported", "No Reachable Authority", "Network Error", "Invalid Data",
    "Signature Expired before Valid", "Too Early", "Unsupported NSEC3 Iterations Value",
    "Unable to conform to policy", "Synthesized", "Invalid Query Type",
};

const char *
dm_ede_name(guint16 code)
{
    return code < G_N_ELEMENTS(ede_names) ? ede_names[code] : NULL;
}

const char *
dm_rcode_name(guint8 rcode)
{
    static const char *const rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                          "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
                                          "NOTAUTH", "NOTZONE" };
    return rcode < G_N_ELEMENTS(rcodes) ? rcodes[rcode] : NULL;
}

/* The unit dm_duration_text() writes ns in: its size in ns and its name. */
static dm_time
duration_unit(dm_time ns, const char **name)
{
    if (ns >= DM_NS_PER_SEC) {
        *name = "s";
        return DM_NS_PER_SEC;
    }
    if (ns >= 1000000) {
        *name = "ms";
        return 1000000;
    }
    if (ns >= 1000) {
        *name = "\u00b5s";
        return 1000;
    }
    *name = "ns";
    return 1;
}

char *
dm_duration_text(dm_time ns)
{
    const char *name;
    dm_time unit = duration_unit(ns, &name);
    if (unit == DM_NS_PER_SEC)
        return g_strdup_printf("%.3f s", (double)ns / 1e9);
    if (unit == 1)
        return g_strdup_printf("%" G_GINT64_FORMAT " ns", (gint64)ns);
    return g_strdup_printf("%.0f %s", (double)ns / (double)unit, name);
}

char *
dm_duration_text_like(dm_time ns, dm_time like)
{
    const char *name;
    dm_time unit = duration_unit(like, &name);
    double v = (double)ns / (double)unit;
    int digits = unit == DM_NS_PER_SEC ? 3 : 0;
    /* below one unit, three significant digits ("0.648 ms", "0.000648 s") */
    if (v > 0 && v < 1 && unit > 1)
        digits = MAX(digits, MIN(9, 2 - (int)floor(log10(v))));
    return g_strdup_printf("%.*f %s", digits, v, name);
}

char *
dm_capture_end_text(dm_time gap)
{
    /* "0 ns after" reads oddly when the query is the capture's last packet. */
    if (gap <= 0)
        return g_strdup("the capture ended with the last attempt");
    char *d = dm_duration_text(gap);
    char *s = g_strdup_printf("the capture ended %s after the last attempt", d);
    g_free(d);
    return s;
}

char *
dm_question_text(const dm_question *q)
{
    char b[16];
    if (!q->name)
        return g_strdup("(no question)");
    return g_strdup_printf("%s %s", dm_qtype_text(q->type, b, sizeof b),
                           *q->name ? q->name : "<Root>");
}

static const struct {
    const char *name;       /* field value */
    const char *text;       /* in sentences */
    const char *meaning;    /* the likely cause, when the error hit a query */
} icmp_kinds[DM_ICMP_KIND_COUNT] = {
    [DM_ICMP_PORT_UNREACHABLE] = { "port_unreachable", "port unreachable", NULL },
    [DM_ICMP_HOST_UNREACHABLE] = { "host_unreachable", "host unreachable",
                                   "the server's host is down or unreachable" },
    [DM_ICMP_NET_UNREACHABLE] = { "net_unreachable", "network unreachable",
                                  "no route to the server's network" },
    [DM_ICMP_ADMIN_PROHIBITED] = { "admin_prohibited", "administratively prohibited",
                                   "blocked by policy (a firewall rejects it)" },
    [DM_ICMP_TTL_EXCEEDED] = { "ttl_exceeded", "time exceeded",
                               "the packet's TTL ran out on the way (routing loop or path too long)" },
    [DM_ICMP_FRAG_NEEDED] = { "frag_needed", "packet too big",
                              "the packet is too big for the path (fragmentation needed)" },
    [DM_ICMP_OTHER] = { "other", "error", "the network refused to deliver it" },
};

const char *
dm_icmp_kind_name(dm_icmp_kind k)
{
    return (k < DM_ICMP_KIND_COUNT) ? icmp_kinds[k].name : "other";
}

const char *
dm_icmp_kind_text(dm_icmp_kind k)
{
    return (k < DM_ICMP_KIND_COUNT) ? icmp_kinds[k].text : "error";
}

const char *
dm_icmp_kind_meaning(dm_icmp_kind k)
{
    return icmp_kinds[k < DM_ICMP_KIND_COUNT ? k : DM_ICMP_OTHER].meaning;
}

const char *const *
dm_icmp_kind_names(gsize *n)
{
    static const char *names[DM_ICMP_KIND_COUNT];
    for (int k = 0; k < DM_ICMP_KIND_COUNT; k++)
        names[k] = icmp_kinds[k].name;
    *n = DM_ICMP_KIND_COUNT;
    return names;
}

gboolean
dm_icmp_is_error(guint8 version, guint8 type)
{
    if (version == 6)
        return type >= 1 && type <= 4;
    /* 3 unreachable, 4 source quench, 11 time exceeded, 12 parameter problem.
     * Not 5: a redirect is advice about routing, the packet was delivered. */
    return type == 3 || type == 4 || type == 11 || type == 12;
}

dm_icmp_kind
dm_icmp_classify(guint8 version, guint8 type, guint8 code)
{
    if (version == 6) {
        if (type == 1) {
            switch (code) {
            case 0: return DM_ICMP_NET_UNREACHABLE;
            case 1: case 5: case 6: return DM_ICMP_ADMIN_PROHIBITED;
            case 3: return DM_ICMP_HOST_UNREACHABLE;
            case 4: return DM_ICMP_PORT_UNREACHABLE;
            default: return DM_ICMP_OTHER;
            }
        }
        if (type == 2)
            return DM_ICMP_FRAG_NEEDED;
        if (type == 3)
            return DM_ICMP_TTL_EXCEEDED;
        return DM_ICMP_OTHER;
    }
    if (type == 3) {
        switch (code) {
        case 0: case 6: return DM_ICMP_NET_UNREACHABLE;
        case 1: case 7: return DM_ICMP_HOST_UNREACHABLE;
        case 3: return DM_ICMP_PORT_UNREACHABLE;
        case 4: return DM_ICMP_FRAG_NEEDED;
        case 9: case 10: case 13: return DM_ICMP_ADMIN_PROHIBITED;
        default: return DM_ICMP_OTHER;
        }
    }
    if (type == 11)
        return DM_ICMP_TTL_EXCEEDED;
    return DM_ICMP_OTHER;
}

static const char *const transports[DM_TRANSPORT_COUNT] = {
    [DM_UDP] = "udp",
    [DM_TCP] = "tcp",
    [DM_DOT] = "dot",
    [DM_DOH] = "doh",
    [DM_DOQ] = "doq",
};

const char *
dm_transport_name(dm_transport t)
{
    return t < DM_TRANSPORT_COUNT ? transports[t] : "?";
}

const char *
dm_transport_text(dm_transport t)
{
    static const char *const text[DM_TRANSPORT_COUNT] = {
        [DM_UDP] = "DNS over UDP", [DM_TCP] = "DNS over TCP", [DM_DOT] = "DNS over TLS",
        [DM_DOH] = "DNS over HTTPS", [DM_DOQ] = "DNS over QUIC",
    };
    return t < DM_TRANSPORT_COUNT ? text[t] : "DNS";
}

const char *
dm_connection_text(dm_transport t)
{
    return t == DM_DOQ ? "QUIC connection attempt" : "TCP connection attempt";
}

const char *
dm_opening_packet_text(dm_transport t, guint n)
{
    if (t == DM_DOQ)
        return n == 1 ? "Initial packet" : "Initial packets";
    return n == 1 ? "SYN" : "SYNs";
}

const char *
dm_tls_alert_name(guint8 desc)
{
    switch (desc) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return NULL;
    }
}

const char *const *
dm_transport_names(gsize *n)
{
    *n = DM_TRANSPORT_COUNT;
    return transports;
}

static const dm_qtype qtypes[] = {
    { 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 13, "HINFO" },
    { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 29, "LOC" }, { 33, "SRV" }, { 35, "NAPTR" },
    { 39, "DNAME" }, { 41, "OPT" }, { 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" },
    { 48, "DNSKEY" }, { 50, "NSEC3" }, { 52, "TLSA" }, { 64, "SVCB" }, { 65, "HTTPS" },
    { 99, "SPF" }, { 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
};

const char *
dm_qtype_name(guint16 type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(qtypes); i++)
        if (qtypes[i].type == type)
            return qtypes[i].name;
    return NULL;
}

const dm_qtype *
dm_qtypes(gsize *n)
{
    *n = G_N_ELEMENTS(qtypes);
    return qtypes;
}

const char *
dm_qtype_text(guint16 type, char *buf, gsize len)
{
    const char *n = dm_qtype_name(type);
    if (n)
        return n;
    g_snprintf(buf, (gulong)len, "TYPE%u", type);
    return buf;
}

gboolean
dm_addr_equal(const dm_addr *a, const dm_addr *b)
{
    if (a->family != b->family)
        return FALSE;
    return memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4) == 0;
}

gboolean
dm_addr_is_multicast(const dm_addr *a)
{
    if (a->family == 4)
        return (a->bytes[0] & 0xf0) == 0xe0;
    if (a->family == 6)
        return a->bytes[0] == 0xff;
    return FALSE;
}

char *
dm_addr_to_str(const dm_addr *a, char *buf, gsize len)
{
    if (a->family == 4 || a->family == 6) {
        if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len))
            return buf;
    }
    g_strlcpy(buf, "?", len);
    return buf;
}

char *
dm_endpoint_to_str(const dm_addr *a, guint16 port)
{
    char s[48];
    dm_addr_to_str(a, s, sizeof s);
    return g_strdup_printf(a->family == 6 ? "[%s]:%u" : "%s:%u", s, port);
}
