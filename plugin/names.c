/* names.c — the words dnsmon shows users: outcome and ICMP kind names,
 * DNS type mnemonics, addresses, and the one-line cause of a rejection.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "dnsmon_tracker.h"

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
};

const char *
dm_outcome_name(dm_outcome o)
{
    return (o < DM_OUTCOME_COUNT) ? outcomes[o].name : "?";
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
           o != DM_OUTCOME_PENDING;
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

char *
dm_duration_text(dm_time ns)
{
    double s = (double)ns / 1e9;
    if (s >= 1.0)
        return g_strdup_printf("%.3f s", s);
    if (s >= 0.001)
        return g_strdup_printf("%.0f ms", s * 1e3);
    if (s >= 1e-6)
        return g_strdup_printf("%.0f \u00b5s", s * 1e6);
    return g_strdup_printf("%" G_GINT64_FORMAT " ns", (gint64)ns);
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
dm_transport_name(dm_transport t)
{
    return t == DM_TCP ? "tcp" : "udp";
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

char *
dm_icmp_cause(const dm_tracker *tr, const dm_txn *t, const dm_icmp *ic)
{
    char rep[48], srv[48];
    dm_addr_to_str(dm_tracker_addr(tr, ic->reporter), rep, sizeof rep);
    dm_addr_to_str(dm_tracker_addr(tr, t->server), srv, sizeof srv);
    gboolean from_server = ic->who == DM_REPORTER_SERVER;
    const char *tp = dm_transport_name((dm_transport)t->transport);
    char *who = ic->who == DM_REPORTER_CLIENT ? g_strdup("the client itself")
              : !from_server ? g_strdup("a router or firewall on the path")
              : ic->nat_server ? g_strdup_printf("the server that %s forwarded the query to", srv)
              : g_strdup("the server itself");
    const char *why;
    char *owned = NULL;
    if (ic->kind == DM_ICMP_PORT_UNREACHABLE)
        why = owned = from_server
            ? g_strdup_printf("no DNS service listening on %s/%u", tp, t->server_port)
            : g_strdup_printf("%s/%u is refused on the way (a firewall rejecting it)", tp,
                              t->server_port);
    else
        why = icmp_kinds[ic->kind < DM_ICMP_KIND_COUNT ? ic->kind : DM_ICMP_OTHER].meaning;
    char *s = g_strdup_printf("ICMP%s %s from %s (%s): %s", ic->version == 6 ? "v6" : "",
                              dm_icmp_kind_text(ic->kind), rep, who, why);
    g_free(owned);
    g_free(who);
    return s;
}
