/* render.c — dnsmon's fields and expert info (docs/design.md, "Fields
 * and expert info"), drawn from the tracker and the lookups on every pass.
 *
 * While the first pass runs (tshark without -2, a live capture, a file
 * loading in the GUI) nothing that a later frame can change is said: a
 * transaction shows the outcome its response decided, or "pending". Once the
 * first pass is over every frame carries its final outcome, whatever order
 * frames are redissected in.
 *
 * Severities follow Wireshark's scale (README.expert): a transaction or
 * lookup that failed is a warning; what is worth knowing but not a failure
 * is a note; the end of the capture cutting a transaction short is chat.
 * Errors are left to malformed packets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/column-utils.h>
#include <epan/expert.h>
#include <epan/proto.h>

#include "dnsmon_compat.h"
#include "dnsmon_describe.h"
#include "dnsmon_frame.h"
#include "dnsmon_report.h"
#include "dnsmon_render.h"

/* At most this many links of one kind on a frame (an ICMP storm on one
 * transaction must not make each redissection walk all of it). */
#define MAX_LINKS 32

static int proto_dnsmon = -1;
static int hf_txn = -1;
static int hf_outcome = -1;
static int hf_failed = -1;
static int hf_unanswered = -1;
static int hf_rejected = -1;
static int hf_attempt = -1;
static int hf_attempts = -1;
static int hf_retransmission = -1;
static int hf_query_in = -1;
static int hf_response_in = -1;
static int hf_icmp_in = -1;
static int hf_rtt = -1;
static int hf_rtt_ms = -1;
static int hf_client = -1;
static int hf_client6 = -1;
static int hf_client_port = -1;
static int hf_server = -1;
static int hf_server6 = -1;
static int hf_server_port = -1;
static int hf_transport = -1;
static int hf_qname = -1;
static int hf_qtype = -1;
static int hf_truncated = -1;
static int hf_icmp_kind = -1;
static int hf_icmp_reporter = -1;
static int hf_icmp_reporter6 = -1;
static int hf_icmp_from_server = -1;
static int hf_icmp_from_client = -1;
static int hf_icmp_quotes = -1;
static int hf_wrong_source = -1;
static int hf_answered_from = -1;
static int hf_answered_from6 = -1;
static int hf_tcp_syn = -1;
static int hf_tcp_reset = -1;
static int hf_fallback_of = -1;
static int hf_fallback_in = -1;
static int hf_ede = -1;
static int hf_ede_text = -1;
static int hf_lookup = -1;
static int hf_lookup_outcome = -1;
static int hf_lookup_txns = -1;
static int hf_lookup_servers = -1;
static int hf_lookup_delay = -1;
static int hf_lookup_delay_ms = -1;
static int hf_upstream = -1;
static int hf_downgraded = -1;
static int hf_downgrade_of = -1;
static int hf_tls_alert = -1;
static int hf_downstream = -1;
static int hf_upstream_cause = -1;
static int hf_upstream_failed_server = -1;
static int hf_upstream_failed_server6 = -1;

static gint ett_dnsmon = -1;

static expert_field ei_rejected = EI_INIT;
static expert_field ei_icmp_error = EI_INIT;
static expert_field ei_unanswered = EI_INIT;
static expert_field ei_connection_unanswered = EI_INIT;
static expert_field ei_servfail = EI_INIT;
static expert_field ei_refused = EI_INIT;
static expert_field ei_error_rcode = EI_INIT;
static expert_field ei_nxdomain = EI_INIT;
static expert_field ei_retransmission = EI_INIT;
static expert_field ei_slow = EI_INIT;
static expert_field ei_late = EI_INIT;
static expert_field ei_bounced = EI_INIT;
static expert_field ei_duplicate = EI_INIT;
static expert_field ei_unsolicited = EI_INIT;
static expert_field ei_mismatch = EI_INIT;
static expert_field ei_incomplete = EI_INIT;
static expert_field ei_wrong_source = EI_INIT;
static expert_field ei_tcp_reset = EI_INIT;
static expert_field ei_tcp_fallback_failed = EI_INIT;
static expert_field ei_lookup_failed = EI_INIT;
static expert_field ei_lookup_recovered = EI_INIT;
static expert_field ei_icmp_unmatched = EI_INIT;
static expert_field ei_no_question = EI_INIT;
static expert_field ei_upstream_failed = EI_INIT;
static expert_field ei_lame = EI_INIT;
static expert_field ei_tls_failed = EI_INIT;
static expert_field ei_downgraded = EI_INIT;

/* dnsmon.qtype's labels, filled from the one table of DNS type names
 * (names.c); static, as registered fields live as long as the program. */
static value_string qtype_labels[64];

static const value_string *
qtype_vals(void)
{
    gsize n;
    const dm_qtype *t = dm_qtypes(&n);
    n = MIN(n, G_N_ELEMENTS(qtype_labels) - 1);     /* the last one ends the list */
    for (gsize i = 0; i < n; i++) {
        qtype_labels[i].value = t[i].type;
        qtype_labels[i].strptr = t[i].name;
    }
    return qtype_labels;
}

/* IPv4 and IPv6 addresses get a field each, as ip.addr and ipv6.addr do:
 * Wireshark 4.0 compares a same-named field of the other type wrongly
 * (an IPv6 value "equals" any IPv4 address). */

/* The descriptions of the enumerated fields, written once at registration
 * from names.c (static: Wireshark keeps pointing at them, and nothing is
 * left to free at exit). */
#define BLURB_MAX 256
static char blurbs[6][BLURB_MAX];
static guint n_blurbs;

/* prefix + "a, b or c" + suffix: a field's values, for its description. */
static const char *
values_blurb(const char *prefix, const char *const *names, gsize n, const char *suffix)
{
    char *b = blurbs[MIN(n_blurbs, G_N_ELEMENTS(blurbs) - 1)];
    n_blurbs++;
    g_strlcpy(b, prefix, BLURB_MAX);
    for (gsize i = 0; i < n; i++) {
        g_strlcat(b, i == 0 ? "" : i + 1 == n ? " or " : ", ", BLURB_MAX);
        g_strlcat(b, names[i], BLURB_MAX);
    }
    g_strlcat(b, suffix, BLURB_MAX);
    return b;
}

static const char *
not_failures_blurb(void)
{
    const char *ok[DM_OUTCOME_COUNT];
    gsize n = 0;
    for (int o = 0; o < DM_OUTCOME_COUNT; o++)
        if (!dm_outcome_is_failure((dm_outcome)o))
            ok[n++] = dm_outcome_name((dm_outcome)o);
    return values_blurb("Present when the outcome is a failure (not ", ok, n, ")");
}

void
dnsmon_render_register(int proto)
{
    static hf_register_info hf[] = {
        { &hf_txn,
          { "Transaction", "dnsmon.txn", FT_UINT32, BASE_DEC, NULL, 0x0,
            "DNS transaction number, in capture order", HFILL } },
        { &hf_outcome,
          { "Outcome", "dnsmon.outcome", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL /* the outcome names, below */, HFILL } },
        { &hf_failed,
          { "Failed", "dnsmon.failed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            NULL /* the outcomes that are not failures, below */, HFILL } },
        { &hf_unanswered,
          { "Unanswered", "dnsmon.unanswered", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when nothing answered the transaction", HFILL } },
        { &hf_rejected,
          { "Rejected", "dnsmon.rejected", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when an ICMP error or a TCP reset refused the transaction", HFILL } },
        { &hf_attempt,
          { "Attempt", "dnsmon.attempt", FT_UINT32, BASE_DEC, NULL, 0x0,
            "This query's attempt number", HFILL } },
        { &hf_attempts,
          { "Attempts", "dnsmon.attempts", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Queries sent in the transaction", HFILL } },
        { &hf_retransmission,
          { "Retransmission", "dnsmon.retransmission", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present on attempts 2, 3, ...", HFILL } },
        { &hf_query_in,
          { "Query in", "dnsmon.query_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "The query this frame refers to", HFILL } },
        { &hf_response_in,
          { "Response in", "dnsmon.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The response that decided the outcome", HFILL } },
        { &hf_icmp_in,
          { "ICMP error in", "dnsmon.icmp_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "An ICMP error about this packet", HFILL } },
        { &hf_rtt, { "Response time", "dnsmon.rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "From the first query to the deciding response", HFILL } },
        { &hf_rtt_ms, { "Response time (ms)", "dnsmon.rtt_ms", FT_DOUBLE, BASE_NONE, NULL, 0x0,
            "dnsmon.rtt as a number of milliseconds (for log stores)", HFILL } },
        { &hf_client,
          { "Client", "dnsmon.client", FT_IPv4, BASE_NONE, NULL, 0x0,
            "Who asked", HFILL } },
        { &hf_client6,
          { "Client (IPv6)", "dnsmon.client6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "Who asked", HFILL } },
        { &hf_client_port, { "Client port", "dnsmon.client_port", FT_UINT16, BASE_DEC, NULL,
            0x0, NULL, HFILL } },
        { &hf_server,
          { "Server", "dnsmon.server", FT_IPv4, BASE_NONE, NULL, 0x0,
            "Who was asked", HFILL } },
        { &hf_server6,
          { "Server (IPv6)", "dnsmon.server6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "Who was asked", HFILL } },
        { &hf_server_port, { "Server port", "dnsmon.server_port", FT_UINT16, BASE_DEC, NULL,
            0x0, NULL, HFILL } },
        { &hf_transport,
          { "Transport", "dnsmon.transport", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL /* the transport names, below */, HFILL } },
        { &hf_qname,
          { "Name", "dnsmon.qname", FT_STRING, BASE_NONE, NULL, 0x0,
            "The question's name", HFILL } },
        { &hf_qtype, { "Type", "dnsmon.qtype", FT_UINT16, BASE_DEC, NULL, 0x0,
            "The question's type", HFILL } },
        { &hf_truncated,
          { "Truncated", "dnsmon.truncated", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The answer had TC=1: the client must retry over TCP", HFILL } },
        { &hf_icmp_kind,
          { "ICMP error kind", "dnsmon.icmp.kind", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL /* the ICMP kind names, below */, HFILL } },
        { &hf_icmp_reporter,
          { "ICMP reporter", "dnsmon.icmp.reporter", FT_IPv4, BASE_NONE, NULL, 0x0,
            "Who sent the ICMP error", HFILL } },
        { &hf_icmp_reporter6,
          { "ICMP reporter (IPv6)", "dnsmon.icmp.reporter6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "Who sent the ICMP error", HFILL } },
        { &hf_icmp_from_server,
          { "ICMP from the server", "dnsmon.icmp.from_server", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when the server's own host sent the error", HFILL } },
        { &hf_icmp_from_client,
          { "ICMP from the client", "dnsmon.icmp.from_client", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when the client itself sent the error (a response reached a closed port)", HFILL } },
        { &hf_icmp_quotes,
          { "ICMP quotes", "dnsmon.icmp.quotes", FT_STRING, BASE_NONE, NULL, 0x0,
            "query or response", HFILL } },
        { &hf_wrong_source,
          { "Answered from the wrong address", "dnsmon.wrong_source", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "A response came from another address or port than the query went to", HFILL } },
        { &hf_answered_from,
          { "Answered from", "dnsmon.answered_from", FT_IPv4, BASE_NONE, NULL, 0x0,
            "The address the wrong-source response came from", HFILL } },
        { &hf_answered_from6,
          { "Answered from (IPv6)", "dnsmon.answered_from6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "The address the wrong-source response came from", HFILL } },
        { &hf_tcp_syn,
          { "TCP connection attempt", "dnsmon.tcp.syn", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present on the SYNs of a TCP connection attempt to port 53", HFILL } },
        { &hf_tcp_reset,
          { "TCP reset", "dnsmon.tcp.reset", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when the server reset the transaction's TCP connection", HFILL } },
        { &hf_fallback_of,
          { "TCP fallback of", "dnsmon.tcp.fallback_of", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The truncated UDP answer this TCP transaction retries", HFILL } },
        { &hf_fallback_in,
          { "TCP fallback in", "dnsmon.tcp.fallback_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "The TCP retry of this truncated answer", HFILL } },
        { &hf_ede, { "Extended DNS Error", "dnsmon.ede", FT_UINT16, BASE_DEC, NULL, 0x0,
            "EDE info code (RFC 8914) of the deciding response", HFILL } },
        { &hf_ede_text,
          { "Extended DNS Error text", "dnsmon.ede.text", FT_STRING, BASE_NONE, NULL, 0x0,
            "The EDE's name and extra text", HFILL } },
        { &hf_lookup,
          { "Lookup", "dnsmon.lookup", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Lookup number: one client asking one question, across retries, servers and TCP", HFILL } },
        { &hf_lookup_outcome,
          { "Lookup outcome", "dnsmon.lookup.outcome", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL /* the lookup outcome names, below */, HFILL } },
        { &hf_lookup_txns,
          { "Lookup transactions", "dnsmon.lookup.txns", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Transactions in the lookup", HFILL } },
        { &hf_lookup_servers,
          { "Lookup servers", "dnsmon.lookup.servers", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Distinct servers the lookup tried", HFILL } },
        { &hf_lookup_delay, { "Lookup delay", "dnsmon.lookup.delay", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "First query of the lookup to its definitive answer", HFILL } },
        { &hf_lookup_delay_ms, { "Lookup delay (ms)", "dnsmon.lookup.delay_ms", FT_DOUBLE,
            BASE_NONE, NULL, 0x0, "dnsmon.lookup.delay as a number of milliseconds", HFILL } },
        { &hf_downgraded,
          { "Downgraded", "dnsmon.downgraded", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when the client sent this in plain DNS after an encrypted attempt failed",
            HFILL } },
        { &hf_downgrade_of,
          { "Downgrade of", "dnsmon.downgrade_of", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0,
            "The failed encrypted attempt this plain DNS fell back from", HFILL } },
        { &hf_tls_alert,
          { "TLS alert", "dnsmon.tls.alert", FT_UINT8, BASE_DEC, NULL, 0x0,
            "The alert a failed encrypted-DNS handshake showed in the clear", HFILL } },
        { &hf_upstream,
          { "Upstream transaction", "dnsmon.upstream", FT_UINT32, BASE_DEC, NULL, 0x0,
            "A transaction the resolver sent itself to answer this one", HFILL } },
        { &hf_downstream,
          { "Downstream transaction", "dnsmon.downstream", FT_UINT32, BASE_DEC, NULL, 0x0,
            "A client's transaction with the resolver that this one served", HFILL } },
        { &hf_upstream_cause,
          { "Upstream cause", "dnsmon.upstream.cause", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL /* the upstream cause names, below */, HFILL } },
        { &hf_upstream_failed_server,
          { "Failing upstream server", "dnsmon.upstream.failed_server", FT_IPv4, BASE_NONE,
            NULL, 0x0, "A server below the resolver whose transactions for this one failed",
            HFILL } },
        { &hf_upstream_failed_server6,
          { "Failing upstream server (IPv6)", "dnsmon.upstream.failed_server6", FT_IPv6,
            BASE_NONE, NULL, 0x0,
            "A server below the resolver whose transactions for this one failed", HFILL } },
    };
    static gint *ett[] = { &ett_dnsmon };
    static ei_register_info ei[] = {
        { &ei_rejected,
          { "dnsmon.expert.rejected", PI_RESPONSE_CODE, PI_WARN,
            "Query rejected by an ICMP error or a TCP reset", EXPFILL } },
        { &ei_icmp_error,
          { "dnsmon.expert.icmp_error", PI_RESPONSE_CODE, PI_WARN,
            "ICMP error about a DNS query", EXPFILL } },
        { &ei_unanswered,
          { "dnsmon.expert.unanswered", PI_SEQUENCE, PI_WARN,
            "DNS query never answered", EXPFILL } },
        { &ei_connection_unanswered,
          { "dnsmon.expert.connection_unanswered", PI_SEQUENCE, PI_WARN,
            "TCP connection attempt to a DNS server never answered", EXPFILL } },
        { &ei_servfail,
          { "dnsmon.expert.servfail", PI_RESPONSE_CODE, PI_WARN,
            "Server failure", EXPFILL } },
        { &ei_refused,
          { "dnsmon.expert.refused", PI_RESPONSE_CODE, PI_WARN,
            "Query refused", EXPFILL } },
        { &ei_error_rcode,
          { "dnsmon.expert.error_rcode", PI_RESPONSE_CODE, PI_WARN,
            "Error response code", EXPFILL } },
        { &ei_nxdomain,
          { "dnsmon.expert.nxdomain", PI_RESPONSE_CODE, PI_NOTE,
            "Name does not exist", EXPFILL } },
        { &ei_retransmission,
          { "dnsmon.expert.retransmission", PI_SEQUENCE, PI_NOTE,
            "DNS query retransmission Wireshark's DNS dissector does not flag", EXPFILL } },
        { &ei_slow,
          { "dnsmon.expert.slow", PI_SEQUENCE, PI_NOTE,
            "Slow DNS response", EXPFILL } },
        { &ei_late,
          { "dnsmon.expert.late", PI_SEQUENCE, PI_WARN,
            "DNS response after the timeout", EXPFILL } },
        { &ei_bounced,
          { "dnsmon.expert.bounced", PI_SEQUENCE, PI_WARN,
            "DNS response bounced: the client had given up", EXPFILL } },
        { &ei_duplicate,
          { "dnsmon.expert.duplicate_response", PI_SEQUENCE, PI_NOTE,
            "Duplicate DNS response Wireshark's DNS dissector does not flag", EXPFILL } },
        { &ei_unsolicited,
          { "dnsmon.expert.unsolicited", PI_SEQUENCE, PI_WARN,
            "DNS response without a query", EXPFILL } },
        { &ei_mismatch,
          { "dnsmon.expert.question_mismatch", PI_SECURITY, PI_WARN,
            "DNS response question differs from the query's", EXPFILL } },
        { &ei_incomplete,
          { "dnsmon.expert.incomplete", PI_SEQUENCE, PI_CHAT,
            "Capture ended before the timeout", EXPFILL } },
        { &ei_wrong_source,
          { "dnsmon.expert.wrong_source", PI_SEQUENCE, PI_WARN,
            "DNS response from another address than the query went to", EXPFILL } },
        { &ei_tcp_reset,
          { "dnsmon.expert.tcp_reset", PI_RESPONSE_CODE, PI_WARN,
            "DNS over TCP refused by a reset", EXPFILL } },
        { &ei_tcp_fallback_failed,
          { "dnsmon.expert.tcp_fallback_failed", PI_SEQUENCE, PI_WARN,
            "TCP retry of a truncated answer failed", EXPFILL } },
        { &ei_lookup_failed,
          { "dnsmon.expert.lookup_failed", PI_SEQUENCE, PI_WARN,
            "The lookup failed for good", EXPFILL } },
        { &ei_lookup_recovered,
          { "dnsmon.expert.lookup_recovered", PI_SEQUENCE, PI_NOTE,
            "The lookup recovered after failed tries", EXPFILL } },
        { &ei_icmp_unmatched,
          { "dnsmon.expert.icmp_unmatched", PI_SEQUENCE, PI_NOTE,
            "ICMP error about DNS traffic not in this capture", EXPFILL } },
        { &ei_no_question,
          { "dnsmon.expert.no_question", PI_MALFORMED, PI_NOTE,
            "DNS query without a valid question", EXPFILL } },
        { &ei_tls_failed,
          { "dnsmon.expert.tls_failed", PI_SECURITY, PI_WARN,
            "Encrypted DNS failed in the TLS handshake", EXPFILL } },
        { &ei_downgraded,
          { "dnsmon.expert.downgraded", PI_SECURITY, PI_WARN,
            "The client fell back to unencrypted DNS after an encrypted attempt failed",
            EXPFILL } },
        { &ei_upstream_failed,
          { "dnsmon.expert.upstream_failed", PI_SEQUENCE, PI_WARN,
            "The resolver failed because the servers below it failed", EXPFILL } },
        { &ei_lame,
          { "dnsmon.expert.lame", PI_RESPONSE_CODE, PI_WARN,
            "Lame server: not authoritative for what it was delegated, no referral", EXPFILL } },
    };
    proto_dnsmon = proto;
    /* The values of the enumerated fields come from names.c, so a new
     * outcome or transport cannot be left out of the fields' descriptions. */
    gsize n;
    const char *const *v;
    for (gsize i = 0; i < array_length(hf); i++) {
        int *id = hf[i].p_id;
        if (id == &hf_qtype)
            hf[i].hfinfo.strings = qtype_vals();
        else if (id == &hf_outcome && (v = dm_outcome_names(&n)))
            hf[i].hfinfo.blurb = values_blurb("", v, n, "");
        else if (id == &hf_transport && (v = dm_transport_names(&n)))
            hf[i].hfinfo.blurb = values_blurb("", v, n, "");
        else if (id == &hf_icmp_kind && (v = dm_icmp_kind_names(&n)))
            hf[i].hfinfo.blurb = values_blurb("", v, n, "");
        else if (id == &hf_lookup_outcome && (v = dm_lookup_outcome_names(&n)))
            hf[i].hfinfo.blurb = values_blurb("", v, n, "");
        else if (id == &hf_failed)
            hf[i].hfinfo.blurb = not_failures_blurb();
        else if (id == &hf_upstream_cause && (v = dm_upstream_cause_names(&n)))
            hf[i].hfinfo.blurb = values_blurb("Why the resolver failed: ", v, n, "");
    }
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_module_t *em = expert_register_protocol(proto);
    expert_register_field_array(em, ei, array_length(ei));
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct {
    const dm_tracker *tr;
    const dm_lookups *ls;
    const dm_upstream *up;
    const dm_downgrades *dg;
    packet_info *pinfo;
    tvbuff_t *tvb;
    proto_tree *tree;           /* the dnsmon subtree, NULL without a tree */
    gboolean final;             /* the first pass is over */
    guint32 *noted;             /* lookups whose note this frame carries (one frame's worth) */
    guint *n_noted;
    guint32 num;                /* the frame's number for the engine (dnsmon_frame_num) */
} ctx;

/* Each lookup's failed/recovered note once, even when its last frame holds
 * several of its items (pipelined DNS over TCP). */
static gboolean
expert_said(ctx *c, guint32 lookup)
{
    for (guint i = 0; i < *c->n_noted; i++)
        if (c->noted[i] == lookup)
            return TRUE;
    if (*c->n_noted < MAX_LINKS)
        c->noted[(*c->n_noted)++] = lookup;
    return FALSE;
}

static void
gen(proto_item *pi)
{
    if (pi)
        proto_item_set_generated(pi);
}

static void
add_uint(ctx *c, int hf, guint32 v)
{
    gen(proto_tree_add_uint(c->tree, hf, c->tvb, 0, 0, v));
}

static void
add_flag(ctx *c, int hf)
{
    gen(proto_tree_add_boolean(c->tree, hf, c->tvb, 0, 0, TRUE));
}

static void
add_str(ctx *c, int hf, const char *s)
{
    gen(proto_tree_add_string(c->tree, hf, c->tvb, 0, 0, s));
}

/* A string field whose filter value is a short name, shown in words. */
static void
add_named(ctx *c, int hf, const char *value, const char *words)
{
    gen(proto_tree_add_string_format_value(c->tree, hf, c->tvb, 0, 0, value, "%s", words));
}

/* A frame link, unless the item is gone (read filter) or is this frame. */
static void
add_link(ctx *c, int hf, guint32 item)
{
    guint32 f = dm_tracker_item_frame(c->tr, item);
    if (f && f != c->num && dnsmon_frame_session_num(f))
        add_uint(c, hf, dnsmon_frame_session_num(f));
}

static void
add_addr(ctx *c, int hf4, int hf6, const dm_addr *a)
{
    if (!c->tree)
        return;
    if (a->family == 4) {
        ws_in4_addr v;
        memcpy(&v, a->bytes, 4);
        gen(proto_tree_add_ipv4(c->tree, hf4, c->tvb, 0, 0, v));
    } else if (a->family == 6) {
        ws_in6_addr v;
        memcpy(&v, a->bytes, 16);
        gen(proto_tree_add_ipv6(c->tree, hf6, c->tvb, 0, 0, &v));
    }
}

static void
add_time(ctx *c, int hf, int hf_ms, dm_time ns)
{
    nstime_t t;
    t.secs = (time_t)(ns / DM_NS_PER_SEC);
    t.nsecs = (int)(ns % DM_NS_PER_SEC);
    gen(proto_tree_add_time(c->tree, hf, c->tvb, 0, 0, &t));
    gen(proto_tree_add_double(c->tree, hf_ms, c->tvb, 0, 0, (double)ns / 1e6));
}

/* Expert info is added even without a tree, so -z expert counts it. */
static void
expert(ctx *c, expert_field *ei, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void
expert(ctx *c, expert_field *ei, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    proto_tree_add_expert_format(c->tree, c->pinfo, ei, c->tvb, 0, 0, "%s", msg);
    g_free(msg);
}

static char *
txn_question(const ctx *c, const dm_txn *t)
{
    dm_question q = dm_txn_question(c->tr, t);
    return dm_question_text(&q);
}

static void
add_flow(ctx *c, const dm_flow *f, const char *name, guint16 qtype)
{
    if (!c->tree)
        return;
    add_addr(c, hf_client, hf_client6, &f->client);
    add_uint(c, hf_client_port, f->client_port);
    add_addr(c, hf_server, hf_server6, &f->server);
    add_uint(c, hf_server_port, f->server_port);
    add_str(c, hf_transport, dm_transport_name(f->transport));
    if (name) {
        add_str(c, hf_qname, name);
        gen(proto_tree_add_uint(c->tree, hf_qtype, c->tvb, 0, 0, qtype));
    }
}

static void
add_icmp_fields(ctx *c, const dm_icmp *ic)
{
    if (!c->tree)
        return;
    add_named(c, hf_icmp_kind, dm_icmp_kind_name((dm_icmp_kind)ic->kind),
              dm_icmp_kind_text((dm_icmp_kind)ic->kind));
    add_addr(c, hf_icmp_reporter, hf_icmp_reporter6, dm_tracker_addr(c->tr, ic->reporter));
    if (ic->who == DM_REPORTER_SERVER)
        add_flag(c, hf_icmp_from_server);
    else if (ic->who == DM_REPORTER_CLIENT)
        add_flag(c, hf_icmp_from_client);
}

static const dm_icmp *
icmp_at(const ctx *c, guint32 id)
{
    return dm_tracker_icmp_ref(c->tr, id);
}

static guint32
first_icmp(const ctx *c, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    return e ? e->first_icmp : 0;
}

/* ---- the part every frame of a transaction carries ---------------------- */

static dm_outcome
shown(const ctx *c, const dm_txn *t)
{
    return c->final ? dm_txn_outcome(c->tr, t) : dm_txn_shown_outcome(c->tr, t);
}

static void
add_outcome(ctx *c, guint32 num, const dm_txn *t, dm_outcome o)
{
    if (!c->tree)
        return;
    add_uint(c, hf_txn, num);
    add_named(c, hf_outcome, dm_outcome_name(o), dm_outcome_text(o));
    if (dm_outcome_is_failure(o))
        add_flag(c, hf_failed);
    if (o == DM_OUTCOME_UNANSWERED)
        add_flag(c, hf_unanswered);
    if (o == DM_OUTCOME_REJECTED)
        add_flag(c, hf_rejected);
    dm_flow f;
    dm_txn_flow(c->tr, t, &f);
    add_flow(c, &f, dm_tracker_name(c->tr, t->name), t->qtype);
}

/* What only some transactions have, on all of their frames. */
/* A resolver's side: links both ways, and why a failed client
 * transaction failed (once the first pass is over: docs/design.md,
 * "Resolvers"). */
static void
add_upstream(ctx *c, guint32 num)
{
    if (!c->final || !c->up || !dm_upstream_ready(c->up) || !c->tree)
        return;
    const guint32 *v;
    guint n = dm_upstream_of(c->up, num, &v);
    for (guint i = 0; i < n && i < MAX_LINKS; i++)
        add_uint(c, hf_upstream, v[i]);
    n = dm_downstream_of(c->up, num, &v);
    for (guint i = 0; i < n && i < MAX_LINKS; i++)
        add_uint(c, hf_downstream, v[i]);
    dm_upstream_cause cause = dm_upstream_cause_of(c->up, num);
    if (cause == DM_UPSTREAM_NONE)
        return;
    add_str(c, hf_upstream_cause, dm_upstream_cause_name(cause));
    n = dm_upstream_failed_servers(c->up, num, &v);
    for (guint i = 0; i < n && i < MAX_LINKS; i++)
        add_addr(c, hf_upstream_failed_server, hf_upstream_failed_server6,
                 dm_tracker_addr(c->tr, v[i]));
}

/* A plain transaction after a failed encrypted attempt by its client. */
static void
add_downgrade(ctx *c, guint32 num, const dm_txn *t, const dm_item *it)
{
    guint32 of = c->final && c->dg ? dm_downgrade_of(c->dg, num) : 0;
    if (!of)
        return;
    const dm_txn *e = dm_tracker_txn(c->tr, of);
    if (c->tree) {
        add_flag(c, hf_downgraded);
        add_link(c, hf_downgrade_of, e->first_item);
    }
    if (it->role != DM_ROLE_QUERY || dm_item_ref(c->tr, it) != 1)
        return;
    char srv[48], *how = dm_encrypted_failure_text(c->tr, e);
    expert(c, &ei_downgraded, "%s to %s failed (%s, frame %u): the client fell back to "
           "unencrypted DNS", dm_transport_text((dm_transport)e->transport),
           dm_addr_to_str(dm_tracker_addr(c->tr, e->server), srv, sizeof srv), how,
           dm_tracker_item_frame(c->tr, e->first_item));
    g_free(how);
    (void)t;
}

/* On the downstream response (or its last query when the resolver never
 * answered): the chain to the server that caused the failure. */
static void
upstream_expert(ctx *c, guint32 num, const dm_txn *t, const dm_item *it, dm_outcome o)
{
    if (!c->final || !c->up || dm_upstream_cause_of(c->up, num) != DM_UPSTREAM_FAILED)
        return;
    guint32 self = (guint32)(it - dm_tracker_item(c->tr, 1)) + 1;
    guint32 at = dm_txn_answer_item(c->tr, t);
    if (!at)
        at = dm_txn_last_item(c->tr, t);
    if (self != at)
        return;
    GArray *frames = g_array_new(FALSE, FALSE, sizeof(guint32));
    char *why = dm_upstream_failure_text(c->tr, c->up, num, frames);
    GString *ev = g_string_new(NULL);
    dm_frames_to_ranges(frames, 8, ev);
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    const char *ede = (t->flags & DM_T_EDE) && e ? dm_ede_name(e->ede_code) : NULL;
    char *what = g_ascii_strup(dm_outcome_name(o), -1);
    char r[48];
    dm_addr_to_str(dm_tracker_addr(c->tr, t->server), r, sizeof r);
    expert(c, &ei_upstream_failed, "%s because resolver %s's %s (frames %s)%s%s%s",
           o == DM_OUTCOME_UNANSWERED || o == DM_OUTCOME_INCOMPLETE ? "no answer" : what, r, why,
           ev->str, ede ? "; the resolver says: " : "", ede ? ede : "", ede ? " (EDE)" : "");
    g_free(what);
    g_string_free(ev, TRUE);
    g_free(why);
    g_array_free(frames, TRUE);
}

static void
add_extras(ctx *c, const dm_txn *t, dm_outcome o)
{
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    if (!e || !c->tree)
        return;
    if (e->wrong_item && (c->final || o != DM_OUTCOME_PENDING)) {
        add_flag(c, hf_wrong_source);
        add_addr(c, hf_answered_from, hf_answered_from6, dm_tracker_addr(c->tr, e->wrong_from));
    }
    if (t->flags & DM_T_RESET)
        add_flag(c, hf_tcp_reset);
    if (e->fallback_of) {
        const dm_txn *u = dm_tracker_txn(c->tr, e->fallback_of);
        add_link(c, hf_fallback_of, dm_txn_answer_item(c->tr, u));
    }
    if (e->fallback_in && c->final)
        add_link(c, hf_fallback_in, dm_tracker_txn(c->tr, e->fallback_in)->first_item);
    if ((t->flags & DM_T_EDE)) {
        const char *n = dm_ede_name(e->ede_code);
        gen(proto_tree_add_uint(c->tree, hf_ede, c->tvb, 0, 0, e->ede_code));
        char *text = g_strdup_printf("%s%s%s", n ? n : "unknown code",
                                     e->ede_text ? ": " : "", e->ede_text ? e->ede_text : "");
        add_str(c, hf_ede_text, text);
        g_free(text);
    }
}

/* The lookup the transaction belongs to; the failed/recovered note once
 * per lookup, on its last frame. */
static void
add_lookup(ctx *c, guint32 num, const dm_txn *t)
{
    guint32 id = dm_lookups_of(c->ls, num);
    const dm_lookup *l = dm_lookups_get(c->ls, id);
    if (!l)
        return;
    dm_lookup_outcome o = c->final ? dm_lookup_outcome_of(c->ls, l)
                                   : dm_lookup_shown_outcome(c->ls, l);
    dm_time delay;
    gboolean has_delay = dm_lookup_delay(c->ls, l, &delay);
    if (c->tree) {
        add_uint(c, hf_lookup, id);
        add_str(c, hf_lookup_outcome, dm_lookup_outcome_name(o));
        if (c->final || o != DM_LOOKUP_PENDING) {
            add_uint(c, hf_lookup_txns, l->txns);
            add_uint(c, hf_lookup_servers, l->servers);
        }
        if (has_delay)
            add_time(c, hf_lookup_delay, hf_lookup_delay_ms, delay);
    }
    if (!c->final || l->last_frame != c->num || expert_said(c, id))
        return;
    char who[48];
    char *q = txn_question(c, t);
    dm_addr_to_str(dm_tracker_addr(c->tr, t->client), who, sizeof who);
    if (o == DM_LOOKUP_FAILED) {
        expert(c, &ei_lookup_failed, "lookup of %s by %s failed on %u server%s after %u "
               "transaction%s", q, who, l->servers, l->servers == 1 ? "" : "s", l->txns,
               l->txns == 1 ? "" : "s");
    } else if (o == DM_LOOKUP_RECOVERED) {
        /* On its definitive answer, or on the referral it ended with after
         * trouble (no answer: no delay to tell). */
        char srv[48] = "?";
        const dm_txn *d = dm_tracker_txn(c->tr, l->definitive ? l->definitive : l->last_txn);
        if (d)
            dm_addr_to_str(dm_tracker_addr(c->tr, d->server), srv, sizeof srv);
        char *took = has_delay ? dm_duration_text(delay) : NULL;
        expert(c, &ei_lookup_recovered, "lookup of %s by %s recovered on %s%s%s (%u "
               "transactions)", q, who, srv, took ? " after " : "", took ? took : "", l->txns);
        g_free(took);
    }
    g_free(q);
}

/* ICMP errors of the transaction that quote the given item. */
static void
add_icmp_links(ctx *c, const dm_txn *t, guint32 quoted)
{
    guint n = 0;
    for (guint32 i = first_icmp(c, t); i && n < MAX_LINKS; i = icmp_at(c, i)->next) {
        const dm_icmp *ic = icmp_at(c, i);
        if (ic->quoted == quoted) {
            add_link(c, hf_icmp_in, ic->item);
            n++;
        }
    }
}

/* ---- per role ---------------------------------------------------------- */

static void
render_query(ctx *c, guint32 num, const dm_txn *t, const dm_item *it, dm_outcome o)
{
    guint32 self = (guint32)(it - dm_tracker_item(c->tr, 1)) + 1;
    gboolean syn = (it->flags & DM_F_SYN) != 0;
    guint32 attempt = dm_item_ref(c->tr, it);
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    if (c->tree) {
        if (syn) {
            add_flag(c, hf_tcp_syn);
        } else {
            add_uint(c, hf_attempt, attempt);
            add_uint(c, hf_attempts, c->final ? dm_txn_attempts(c->tr, t) : attempt);
        }
        if (syn && (t->flags & DM_T_CONNECTION)) {
            add_uint(c, hf_attempt, attempt);
            add_uint(c, hf_attempts, c->final && e ? e->syns : attempt);
        }
        if (attempt > 1) {
            add_flag(c, hf_retransmission);
            add_link(c, hf_query_in, (syn && !(t->flags & DM_T_CONNECTION)) ? 0 : t->first_item);
        }
        if (c->final && (t->flags & DM_T_ANSWERED))
            add_link(c, hf_response_in, dm_txn_answer_item(c->tr, t));
        if (c->final)
            add_icmp_links(c, t, self);
        dm_time rtt;
        if (c->final && dm_txn_rtt(c->tr, t, &rtt))
            add_time(c, hf_rtt, hf_rtt_ms, rtt);
    }
    const dm_icmp *ic = NULL;
    if (o == DM_OUTCOME_REJECTED && !(t->flags & DM_T_RESET)) {
        /* The ICMP error that hit this very query, else the first one. */
        for (guint32 i = first_icmp(c, t), n = 0; i && n < MAX_LINKS; i = icmp_at(c, i)->next, n++)
            if (icmp_at(c, i)->quoted == self) {
                ic = icmp_at(c, i);
                break;
            }
        if (!ic)
            ic = dm_txn_icmp_on_query(c->tr, t);
        if (ic)
            add_icmp_fields(c, ic);
    }

    if (attempt > 1 && !syn && !(it->flags & DM_F_WS_SAID))
        expert(c, &ei_retransmission, "attempt %u of transaction %u, first in frame %u",
               attempt, num, dm_tracker_item_frame(c->tr, t->first_item));
    if (it->flags & DM_F_NO_QUESTION)
        expert(c, &ei_no_question, "DNS query without a valid question section");
    if (o == DM_OUTCOME_REJECTED && ic) {
        char *cause = dm_icmp_cause(c->tr, t, ic);
        expert(c, &ei_rejected, "rejected: %s", cause);
        g_free(cause);
    } else if (o == DM_OUTCOME_REJECTED) {
        char *srv = dm_endpoint_to_str(dm_tracker_addr(c->tr, t->server), t->server_port);
        expert(c, &ei_rejected, "rejected: %s reset the TCP connection: no %s on %s",
               srv, dm_transport_text((dm_transport)t->transport), srv);
        g_free(srv);
    } else if (o == DM_OUTCOME_UNANSWERED && syn && (t->flags & DM_T_CONNECTION)) {
        guint n = e ? e->syns : dm_txn_attempts(c->tr, t);
        char *srv = dm_endpoint_to_str(dm_tracker_addr(c->tr, t->server), t->server_port);
        dm_transport tp = (dm_transport)t->transport;
        expert(c, &ei_connection_unanswered, "no answer to the %s to %s within %g s after %u %s",
               dm_connection_text(tp), srv, dm_tracker_config(c->tr)->timeout, n,
               dm_opening_packet_text(tp, n));
        g_free(srv);
    } else if (o == DM_OUTCOME_UNANSWERED) {
        char *srv = dm_endpoint_to_str(dm_tracker_addr(c->tr, t->server), t->server_port);
        expert(c, &ei_unanswered, "no response from %s within %g s after %u attempt%s", srv,
               dm_tracker_config(c->tr)->timeout, dm_txn_attempts(c->tr, t),
               dm_txn_attempts(c->tr, t) == 1 ? "" : "s");
        g_free(srv);
    } else if (o == DM_OUTCOME_INCOMPLETE) {
        char *left = dm_capture_end_text(dm_tracker_end_time(c->tr) - dm_txn_last_ts(c->tr, t));
        expert(c, &ei_incomplete, "%s, before the %g s timeout", left,
               dm_tracker_config(c->tr)->timeout);
        g_free(left);
    } else if (o == DM_OUTCOME_WRONG_SOURCE && e) {
        char *from = dm_endpoint_to_str(dm_tracker_addr(c->tr, e->wrong_from), e->wrong_port);
        char *srv = dm_endpoint_to_str(dm_tracker_addr(c->tr, t->server), t->server_port);
        expert(c, &ei_wrong_source, "the response to this query came from %s, not %s: the "
               "client discards it (%s)", from, srv,
               dm_transport_name((dm_transport)t->transport));
        g_free(from);
        g_free(srv);
    }
}

static void
rcode_expert(ctx *c, const dm_txn *t, dm_outcome o)
{
    char *q = txn_question(c, t);
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    char *ede = NULL;
    if ((t->flags & DM_T_EDE) && e) {
        const char *n = dm_ede_name(e->ede_code);
        ede = g_strdup_printf(" (Extended DNS Error %u: %s%s%s)", e->ede_code,
                              n ? n : "unknown code", e->ede_text ? ": " : "",
                              e->ede_text ? e->ede_text : "");
    }
    switch (o) {
    case DM_OUTCOME_SERVFAIL:
        expert(c, &ei_servfail, "server failure for %s%s", q, ede ? ede : "");
        break;
    case DM_OUTCOME_REFUSED:
        expert(c, &ei_refused, "query refused for %s%s", q, ede ? ede : "");
        break;
    case DM_OUTCOME_NXDOMAIN:
        expert(c, &ei_nxdomain, "no such name: %s", q);
        break;
    case DM_OUTCOME_LAME: {
        char srv[48];
        expert(c, &ei_lame, "%s is not authoritative for %s and refers nowhere (lame)",
               dm_addr_to_str(dm_tracker_addr(c->tr, t->server), srv, sizeof srv),
               t->name ? dm_tracker_name(c->tr, t->name) : "the name");
        break;
    }
    case DM_OUTCOME_ERROR:
        expert(c, &ei_error_rcode, "error response (rcode %u) for %s%s", t->rcode, q,
               ede ? ede : "");
        break;
    default:
        break;
    }
    g_free(ede);
    g_free(q);
}

static void
fallback_expert(ctx *c, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    const dm_txn *tcp = e && e->fallback_in ? dm_tracker_txn(c->tr, e->fallback_in) : NULL;
    if (!tcp || !c->final)
        return;
    dm_outcome o = dm_txn_outcome(c->tr, tcp);
    if (o != DM_OUTCOME_REJECTED && o != DM_OUTCOME_UNANSWERED && o != DM_OUTCOME_WRONG_SOURCE)
        return;
    char srv[48];
    dm_addr_to_str(dm_tracker_addr(c->tr, tcp->server), srv, sizeof srv);
    const char *how = o == DM_OUTCOME_UNANSWERED ? "got no answer from"
                    : (tcp->flags & DM_T_RESET) ? "was reset by" : "was refused on the way to";
    expert(c, &ei_tcp_fallback_failed, "TCP retry of this truncated answer (frame %u) %s %s: "
           "large answers cannot reach this client (is TCP/53 blocked?)",
           dm_tracker_item_frame(c->tr, tcp->first_item), how, srv);
}

/* The packet that decided an encrypted connection read without keys. */
static void
render_seal(ctx *c, const dm_txn *t, dm_outcome o)
{
    if (c->tree)
        add_link(c, hf_query_in, t->first_item);
    const dm_txn_ext *e = dm_tracker_ext(c->tr, t);
    if (c->tree && e && (e->alert_level || e->alert_desc))
        add_uint(c, hf_tls_alert, e->alert_desc);
    if (o != DM_OUTCOME_TLS_FAILED)
        return;
    char srv[48], *how = dm_failure_detail(c->tr, t, o);
    expert(c, &ei_tls_failed, "%s to %s: %s", dm_transport_text((dm_transport)t->transport),
           dm_addr_to_str(dm_tracker_addr(c->tr, t->server), srv, sizeof srv), how);
    g_free(how);
}

static void
render_response(ctx *c, guint32 num, const dm_txn *t, const dm_item *it, dm_outcome o)
{
    if (it->flags & DM_F_SEAL) {
        render_seal(c, t, o);
        return;
    }
    guint32 self = (guint32)(it - dm_tracker_item(c->tr, 1)) + 1;
    gboolean deciding = dm_txn_answer_item(c->tr, t) == self;
    if (c->tree) {
        add_link(c, hf_query_in, t->first_item);
        if ((t->flags & DM_T_ANSWERED) && !deciding && !(it->flags & DM_F_WRONG_SOURCE))
            add_link(c, hf_response_in, dm_txn_answer_item(c->tr, t));
        if (c->final)
            add_icmp_links(c, t, self);
        dm_time rtt;
        if (deciding && dm_txn_rtt(c->tr, t, &rtt))
            add_time(c, hf_rtt, hf_rtt_ms, rtt);
        if (it->flags & DM_F_TRUNCATED)
            add_flag(c, hf_truncated);
    }
    if (deciding) {
        rcode_expert(c, t, o);
        dm_time took;
        dm_txn_rtt(c->tr, t, &took);
        char *d = dm_duration_text(took);
        if (t->flags & DM_T_LATE)
            expert(c, &ei_late, "late: answered after %s, later than the %g s timeout", d,
                   dm_tracker_config(c->tr)->timeout);
        else if (t->flags & DM_T_SLOW)
            expert(c, &ei_slow, "slow: answered after %s (threshold %g ms)", d,
                   dm_tracker_config(c->tr)->slow_threshold * 1000.0);
        g_free(d);
        if (o == DM_OUTCOME_TRUNCATED)
            fallback_expert(c, t);
    }
    const dm_note *n = dm_tracker_note(c->tr, dm_item_ref(c->tr, it));
    if ((it->flags & DM_F_MISMATCH) && n) {
        char *want = txn_question(c, t);
        dm_question got_q = { dm_tracker_name(c->tr, n->name), n->qtype, 1 };
        char *got = dm_question_text(&got_q);
        expert(c, &ei_mismatch, "response is for %s but the query in frame %u asked %s: "
               "possible spoofing", got, dm_tracker_item_frame(c->tr, t->first_item), want);
        g_free(want);
        g_free(got);
    } else if ((it->flags & DM_F_WRONG_SOURCE) && n) {
        char *from = dm_endpoint_to_str(&n->flow.server, n->flow.server_port);
        char *to = dm_endpoint_to_str(dm_tracker_addr(c->tr, t->server), t->server_port);
        expert(c, &ei_wrong_source, "response to the query in frame %u came from %s, not %s: "
               "the client discards it", dm_tracker_item_frame(c->tr, t->first_item), from, to);
        g_free(from);
        g_free(to);
    } else if ((it->flags & DM_F_DUPLICATE) && !(it->flags & DM_F_WS_SAID)) {
        expert(c, &ei_duplicate, "duplicate response: first response in frame %u",
               dm_tracker_item_frame(c->tr, dm_txn_answer_item(c->tr, t)));
    }
}

static void
render_icmp(ctx *c, const dm_txn *t, const dm_item *it)
{
    const dm_icmp *ic = icmp_at(c, dm_item_ref(c->tr, it));
    if (c->tree) {
        add_link(c, hf_query_in, ic->quotes_response ? t->first_item : ic->quoted);
        if (ic->quotes_response)
            add_link(c, hf_response_in, ic->quoted);
        else if ((t->flags & DM_T_ANSWERED) &&
                 (c->final || dm_tracker_item_frame(c->tr, dm_txn_answer_item(c->tr, t)) < c->num))
            add_link(c, hf_response_in, dm_txn_answer_item(c->tr, t));
        add_icmp_fields(c, ic);
        add_str(c, hf_icmp_quotes, ic->quotes_response ? "response" : "query");
    }
    char *q = txn_question(c, t);
    const char *v6 = ic->version == 6 ? "v6" : "";
    const char *kind = dm_icmp_kind_text((dm_icmp_kind)ic->kind);
    guint32 qf = dm_tracker_item_frame(c->tr, ic->quoted);
    if (ic->quotes_response && qf) {
        expert(c, &ei_bounced, "ICMP%s %s: the response in frame %u reached a closed port: the "
               "client had given up (%s)", v6, kind, qf, q);
    } else if (ic->quotes_response) {
        expert(c, &ei_bounced, "ICMP%s %s: a response to the query in frame %u (not in this "
               "capture) reached a closed port: the client had given up (%s)", v6, kind,
               dm_tracker_item_frame(c->tr, t->first_item), q);
    } else if (qf) {
        expert(c, &ei_icmp_error, "ICMP%s %s refers to the %s in frame %u (%s)", v6, kind,
               (t->flags & DM_T_CONNECTION) ? dm_connection_text((dm_transport)t->transport)
                                         : "DNS query", qf, q);
    } else {
        expert(c, &ei_icmp_error, "ICMP%s %s refers to a DNS query of transaction %u (%s)", v6,
               kind, it->txn, q);
    }
    g_free(q);
}

static void
render_reset(ctx *c, const dm_txn *t)
{
    char *srv = dm_endpoint_to_str(dm_tracker_addr(c->tr, t->server), t->server_port);
    if (t->flags & DM_T_CONNECTION)
        expert(c, &ei_tcp_reset, "TCP reset from %s: the connection attempt in frame %u was "
               "refused: no %s there", srv, dm_tracker_item_frame(c->tr, t->first_item),
               dm_transport_text((dm_transport)t->transport));
    else
        expert(c, &ei_tcp_reset, "TCP reset from %s while the query in frame %u waited for "
               "its answer", srv, dm_tracker_item_frame(c->tr, t->first_item));
    g_free(srv);
}

/* A response or ICMP error with no transaction: say what is known. */
static void
render_orphan(ctx *c, const dm_item *it)
{
    guint32 ref = dm_item_ref(c->tr, it);
    const dm_icmp *ic = it->role == DM_ROLE_ICMP ? icmp_at(c, ref) : NULL;
    const dm_note *n = dm_tracker_note(c->tr, ic ? ic->note : ref);
    if (!n)
        return;
    char sv[48];
    char *cl = dm_endpoint_to_str(&n->flow.client, n->flow.client_port);
    char *svp = dm_endpoint_to_str(&n->flow.server, n->flow.server_port);
    add_flow(c, &n->flow, dm_tracker_name(c->tr, n->name), n->qtype);
    if (!ic) {
        expert(c, &ei_unsolicited, "response from %s to %s matches no query in this capture",
               dm_addr_to_str(&n->flow.server, sv, sizeof sv), cl);
    } else {
        add_icmp_fields(c, ic);
        add_str(c, hf_icmp_quotes, ic->quotes_response ? "response" : "query");
        expert(c, &ei_icmp_unmatched, "ICMP%s %s quotes a DNS %s between %s and %s that is "
               "not in this capture", ic->version == 6 ? "v6" : "",
               dm_icmp_kind_text((dm_icmp_kind)ic->kind),
               ic->quotes_response ? "response" : "query", cl, svp);
    }
    g_free(cl);
    g_free(svp);
}

static const char *
role_text(const dm_item *it, const dm_txn *t)
{
    switch (it->role) {
    case DM_ROLE_QUERY:
        return (it->flags & DM_F_SYN) ? dm_connection_text(t ? (dm_transport)t->transport : DM_TCP)
                                      : "query";
    case DM_ROLE_RESPONSE: return "response";
    case DM_ROLE_RESET: return "TCP reset";
    default: return "ICMP error";
    }
}

/* SYNs say something only while they are (or may become) a failed
 * connection attempt: not once their connection carried a DNS query, nor
 * before they became a transaction at all. */
static gboolean
hidden(const ctx *c, const dm_item *it, const dm_txn *t)
{
    (void)c;
    if (!(it->flags & DM_F_SYN))
        return FALSE;
    return !t || !(t->flags & DM_T_CONNECTION);
}

void
dnsmon_render_frame(const dnsmon_view *v, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    const dm_tracker *tr = v->tr;
    guint32 first, noted[MAX_LINKS];
    guint n_noted = 0;
    guint32 num = dnsmon_frame_num(pinfo);
    guint n = dm_tracker_frame_items(tr, num, &first);
    for (guint i = 0; i < n; i++) {
        const dm_item *it = dm_tracker_item(tr, first + i);
        ctx c = { tr, v->ls, v->up, v->dg, pinfo, tvb, NULL, dm_tracker_finished(tr), noted,
                  &n_noted, num };
        const dm_txn *t = dm_tracker_txn(tr, it->txn);
        if (hidden(&c, it, t))
            continue;
        proto_item *top = NULL;
        if (tree) {
            top = proto_tree_add_item(tree, proto_dnsmon, tvb, 0, 0, ENC_NA);
            gen(top);
            c.tree = proto_item_add_subtree(top, ett_dnsmon);
        }
        if (!t) {
            proto_item_append_text(top, ", %s without a transaction", role_text(it, t));
            render_orphan(&c, it);
            continue;
        }
        dm_outcome o = shown(&c, t);
        if (top) {
            char *q = txn_question(&c, t);
            proto_item_append_text(top, ", transaction %u, %s: %s, %s", it->txn, role_text(it, t), q,
                                   dm_outcome_text(o));
            g_free(q);
        }
        /* The verdict in the packet list too, as Wireshark's own analysis flags are. */
        col_append_fstr(pinfo->cinfo, COL_INFO, " [dnsmon %u: %s]", it->txn, dm_outcome_name(o));
        add_outcome(&c, it->txn, t, o);
        add_extras(&c, t, o);
        add_upstream(&c, it->txn);
        switch (it->role) {
        case DM_ROLE_QUERY: render_query(&c, it->txn, t, it, o); break;
        case DM_ROLE_RESPONSE: render_response(&c, it->txn, t, it, o); break;
        case DM_ROLE_ICMP: render_icmp(&c, t, it); break;
        case DM_ROLE_RESET:
            if (c.tree)
                add_link(&c, hf_query_in, t->first_item);
            render_reset(&c, t);
            break;
        }
        add_lookup(&c, it->txn, t);
        upstream_expert(&c, it->txn, t, it, o);
        add_downgrade(&c, it->txn, t, it);
    }
}
