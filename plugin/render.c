/* render.c — dnsmon's fields and expert info (SPEC.md "Fields" and
 * "Expert info"), drawn from the tracker's results on every pass.
 *
 * On the first pass a query's fate is not known yet: it says "pending", and
 * only what is already known is linked. On later passes (tshark -2, the GUI)
 * every frame carries the final outcome.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/column-utils.h>
#include <epan/expert.h>
#include <epan/proto.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"

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
static int hf_client = -1;
static int hf_client6 = -1;
static int hf_server = -1;
static int hf_server6 = -1;
static int hf_server_port = -1;
static int hf_client_port = -1;
static int hf_transport = -1;
static int hf_qname = -1;
static int hf_qtype = -1;
static int hf_truncated = -1;
static int hf_tcp_retry_in = -1;
static int hf_truncated_udp_in = -1;
static int hf_icmp_kind = -1;
static int hf_icmp_reporter = -1;
static int hf_icmp_reporter6 = -1;
static int hf_icmp_from_server = -1;
static int hf_icmp_quotes = -1;

static gint ett_dnsmon = -1;

static expert_field ei_rejected = EI_INIT;
static expert_field ei_icmp_error = EI_INIT;
static expert_field ei_unanswered = EI_INIT;
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
static expert_field ei_icmp_unmatched = EI_INIT;
static expert_field ei_no_question = EI_INIT;

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
#define ADDR_FIELD(hf4, hf6, name, abbr, blurb)                                        \
    { &hf4, { name, abbr, FT_IPv4, BASE_NONE, NULL, 0x0, blurb, HFILL } },              \
    { &hf6, { name " (IPv6)", abbr "6", FT_IPv6, BASE_NONE, NULL, 0x0, blurb, HFILL } }

void
dnsmon_render_register(int proto)
{
    static hf_register_info hf[] = {
        { &hf_txn, { "Transaction", "dnsmon.txn", FT_UINT32, BASE_DEC, NULL, 0x0,
            "DNS transaction number, in capture order", HFILL } },
        { &hf_outcome, { "Outcome", "dnsmon.outcome", FT_STRING, BASE_NONE, NULL, 0x0,
            "answered, nodata, nxdomain, servfail, refused, error, rejected, incomplete, "
            "unanswered or pending", HFILL } },
        { &hf_failed, { "Failed", "dnsmon.failed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when the outcome is a failure (not answered, nodata or pending)", HFILL } },
        { &hf_unanswered, { "Unanswered", "dnsmon.unanswered", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when nothing answered the transaction", HFILL } },
        { &hf_rejected, { "Rejected", "dnsmon.rejected", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Present when an ICMP error answered the transaction", HFILL } },
        { &hf_attempt, { "Attempt", "dnsmon.attempt", FT_UINT32, BASE_DEC, NULL, 0x0,
            "This query's attempt number in its transaction", HFILL } },
        { &hf_attempts, { "Attempts", "dnsmon.attempts", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Queries sent in the transaction", HFILL } },
        { &hf_retransmission, { "Retransmission", "dnsmon.retransmission", FT_BOOLEAN,
            BASE_NONE, NULL, 0x0, "Present on attempts 2, 3, ...", HFILL } },
        { &hf_query_in, { "Query in", "dnsmon.query_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, "The query this frame refers to", HFILL } },
        { &hf_response_in, { "Response in", "dnsmon.response_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, "The response that answered", HFILL } },
        { &hf_icmp_in, { "ICMP error in", "dnsmon.icmp_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, "An ICMP error about this packet", HFILL } },
        { &hf_rtt, { "Response time", "dnsmon.rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "From the first query to the first response", HFILL } },
        ADDR_FIELD(hf_client, hf_client6, "Client", "dnsmon.client", "Who asked"),
        ADDR_FIELD(hf_server, hf_server6, "Server", "dnsmon.server", "Who was asked"),
        { &hf_client_port, { "Client port", "dnsmon.client_port", FT_UINT16, BASE_DEC, NULL,
            0x0, NULL, HFILL } },
        { &hf_server_port, { "Server port", "dnsmon.server_port", FT_UINT16, BASE_DEC, NULL,
            0x0, NULL, HFILL } },
        { &hf_transport, { "Transport", "dnsmon.transport", FT_STRING, BASE_NONE, NULL, 0x0,
            "udp or tcp", HFILL } },
        { &hf_qname, { "Name", "dnsmon.qname", FT_STRING, BASE_NONE, NULL, 0x0,
            "The question's name", HFILL } },
        { &hf_qtype, { "Type", "dnsmon.qtype", FT_UINT16, BASE_DEC, NULL, 0x0,
            "The question's type", HFILL } },
        { &hf_truncated, { "Truncated", "dnsmon.truncated", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The answer had TC=1: the client must retry over TCP", HFILL } },
        { &hf_tcp_retry_in, { "Retried over TCP in", "dnsmon.tcp_retry_in", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0, "The TCP query that retried this truncated answer", HFILL } },
        { &hf_truncated_udp_in, { "Truncated UDP answer in", "dnsmon.truncated_udp_in",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0, "The UDP answer with TC=1 this retries", HFILL } },
        { &hf_icmp_kind, { "ICMP error kind", "dnsmon.icmp.kind", FT_STRING, BASE_NONE, NULL,
            0x0, "port_unreachable, host_unreachable, net_unreachable, admin_prohibited, "
            "ttl_exceeded, frag_needed or other", HFILL } },
        ADDR_FIELD(hf_icmp_reporter, hf_icmp_reporter6, "ICMP reporter", "dnsmon.icmp.reporter",
                   "Who sent the ICMP error"),
        { &hf_icmp_from_server, { "ICMP from the server", "dnsmon.icmp.from_server",
            FT_BOOLEAN, BASE_NONE, NULL, 0x0, "The server's own host sent the error", HFILL } },
        { &hf_icmp_quotes, { "ICMP quotes", "dnsmon.icmp.quotes", FT_STRING, BASE_NONE, NULL,
            0x0, "query or response", HFILL } },
    };
    static gint *ett[] = { &ett_dnsmon };
    static ei_register_info ei[] = {
        { &ei_rejected, { "dnsmon.expert.rejected", PI_RESPONSE_CODE, PI_ERROR,
            "Query rejected by an ICMP error", EXPFILL } },
        { &ei_icmp_error, { "dnsmon.expert.icmp_error", PI_RESPONSE_CODE, PI_ERROR,
            "ICMP error about a DNS query", EXPFILL } },
        { &ei_unanswered, { "dnsmon.expert.unanswered", PI_SEQUENCE, PI_WARN,
            "DNS query never answered", EXPFILL } },
        { &ei_servfail, { "dnsmon.expert.servfail", PI_RESPONSE_CODE, PI_WARN,
            "Server failure", EXPFILL } },
        { &ei_refused, { "dnsmon.expert.refused", PI_RESPONSE_CODE, PI_WARN,
            "Query refused", EXPFILL } },
        { &ei_error_rcode, { "dnsmon.expert.error_rcode", PI_RESPONSE_CODE, PI_WARN,
            "Error response code", EXPFILL } },
        { &ei_nxdomain, { "dnsmon.expert.nxdomain", PI_RESPONSE_CODE, PI_NOTE,
            "Name does not exist", EXPFILL } },
        { &ei_retransmission, { "dnsmon.expert.retransmission", PI_SEQUENCE, PI_NOTE,
            "DNS query retransmission", EXPFILL } },
        { &ei_slow, { "dnsmon.expert.slow", PI_SEQUENCE, PI_NOTE,
            "Slow DNS response", EXPFILL } },
        { &ei_late, { "dnsmon.expert.late", PI_SEQUENCE, PI_WARN,
            "DNS response after the timeout", EXPFILL } },
        { &ei_bounced, { "dnsmon.expert.bounced", PI_SEQUENCE, PI_WARN,
            "DNS response bounced: the client had given up", EXPFILL } },
        { &ei_duplicate, { "dnsmon.expert.duplicate_response", PI_SEQUENCE, PI_NOTE,
            "Duplicate DNS response", EXPFILL } },
        { &ei_unsolicited, { "dnsmon.expert.unsolicited", PI_SEQUENCE, PI_WARN,
            "DNS response without a query", EXPFILL } },
        { &ei_mismatch, { "dnsmon.expert.question_mismatch", PI_SECURITY, PI_WARN,
            "DNS response question differs from the query's", EXPFILL } },
        { &ei_incomplete, { "dnsmon.expert.incomplete", PI_SEQUENCE, PI_CHAT,
            "Capture ended before the timeout", EXPFILL } },
        { &ei_icmp_unmatched, { "dnsmon.expert.icmp_unmatched", PI_SEQUENCE, PI_NOTE,
            "ICMP error about DNS traffic not in this capture", EXPFILL } },
        { &ei_no_question, { "dnsmon.expert.no_question", PI_MALFORMED, PI_NOTE,
            "DNS query without a question", EXPFILL } },
    };
    proto_dnsmon = proto;
    for (gsize i = 0; i < array_length(hf); i++)
        if (hf[i].p_id == &hf_qtype)
            hf[i].hfinfo.strings = qtype_vals();
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_module_t *em = expert_register_protocol(proto);
    expert_register_field_array(em, ei, array_length(ei));
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct {
    dm_tracker *tr;
    packet_info *pinfo;
    tvbuff_t *tvb;
    proto_tree *tree;           /* the dnsmon subtree, NULL without a tree */
    proto_item *top;            /* the dnsmon item: expert info hangs on it */
    gboolean final;
} ctx;

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
add_bool(ctx *c, int hf, gboolean v)
{
    gen(proto_tree_add_boolean(c->tree, hf, c->tvb, 0, 0, v));
}

static void
add_str(ctx *c, int hf, const char *s)
{
    gen(proto_tree_add_string(c->tree, hf, c->tvb, 0, 0, s));
}

static void
add_addr(ctx *c, int hf4, int hf6, const dm_addr *a)
{
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
add_time(ctx *c, int hf, dm_time ns)
{
    nstime_t t;
    t.secs = (time_t)(ns / DM_NS_PER_SEC);
    t.nsecs = (int)(ns % DM_NS_PER_SEC);
    gen(proto_tree_add_time(c->tree, hf, c->tvb, 0, 0, &t));
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

static double
secs(dm_time ns)
{
    return (double)ns / (double)DM_NS_PER_SEC;
}

/* "A yummyrecipesforme.com" */
static char *
question_text(const dm_question *q)
{
    char b[16];
    if (!q->name)
        return g_strdup("(no question)");
    return g_strdup_printf("%s %s", dm_qtype_text(q->type, b, sizeof b), q->name);
}

static void
add_flow(ctx *c, const dm_flow *f, const dm_question *q)
{
    add_addr(c, hf_client, hf_client6, &f->client);
    add_uint(c, hf_client_port, f->client_port);
    add_addr(c, hf_server, hf_server6, &f->server);
    add_uint(c, hf_server_port, f->server_port);
    add_str(c, hf_transport, dm_transport_name(f->transport));
    if (q->name) {
        add_str(c, hf_qname, q->name);
        add_uint(c, hf_qtype, q->type);
    }
}

static void
add_icmp_fields(ctx *c, const dm_icmp_ref *ic)
{
    add_str(c, hf_icmp_kind, dm_icmp_kind_name(ic->kind));
    add_addr(c, hf_icmp_reporter, hf_icmp_reporter6, &ic->reporter);
    add_bool(c, hf_icmp_from_server, ic->from_server);
}

/* ---- the transaction part, common to all of its frames ----------------- */

static dm_outcome
shown_outcome(const ctx *c, const dm_item *it)
{
    if (!c->final && it->role == DM_ROLE_QUERY)
        return DM_OUTCOME_PENDING;
    return dm_txn_outcome(c->tr, it->txn);
}

static void
add_outcome(ctx *c, const dm_item *it, dm_outcome o)
{
    add_uint(c, hf_txn, it->txn->num);
    add_str(c, hf_outcome, dm_outcome_name(o));
    if (dm_outcome_is_failure(o))
        add_bool(c, hf_failed, TRUE);
    if (o == DM_OUTCOME_UNANSWERED)
        add_bool(c, hf_unanswered, TRUE);
    if (o == DM_OUTCOME_REJECTED)
        add_bool(c, hf_rejected, TRUE);
}

/* ICMP errors that quote the given frame. */
static void
add_icmp_links(ctx *c, const dm_txn *t, guint32 quoted)
{
    for (guint i = 0; i < t->icmps->len; i++) {
        const dm_icmp_ref *ic = &g_array_index(t->icmps, dm_icmp_ref, i);
        if (ic->quoted_frame == quoted && ic->frame != c->pinfo->num)
            add_uint(c, hf_icmp_in, ic->frame);
    }
}

static guint32
first_query_frame(const dm_txn *t)
{
    return g_array_index(t->attempts, dm_attempt, 0).frame;
}

/* The ICMP error that hit this query, else the transaction's first. */
static const dm_icmp_ref *
icmp_for_query(const dm_txn *t, guint32 frame)
{
    for (guint i = 0; i < t->icmps->len; i++) {
        const dm_icmp_ref *ic = &g_array_index(t->icmps, dm_icmp_ref, i);
        if (!ic->quotes_response && ic->quoted_frame == frame)
            return ic;
    }
    return dm_txn_first_icmp_on_query(t);
}

/* ---- per role ---------------------------------------------------------- */

static void
render_query(ctx *c, const dm_item *it)
{
    const dm_txn *t = it->txn;
    const dm_attempt *a = &g_array_index(t->attempts, dm_attempt, it->attempt - 1);
    dm_outcome o = shown_outcome(c, it);
    const dm_response *ans = dm_txn_answer(t);
    dm_time rtt;

    add_outcome(c, it, o);
    add_uint(c, hf_attempt, it->attempt);
    add_uint(c, hf_attempts, c->final ? t->attempts->len : it->attempt);
    if (it->attempt > 1) {
        add_bool(c, hf_retransmission, TRUE);
        add_uint(c, hf_query_in, first_query_frame(t));
    }
    if (c->final && ans)
        add_uint(c, hf_response_in, ans->frame);
    if (c->final)
        add_icmp_links(c, t, a->frame);
    if (c->final && dm_txn_rtt(t, &rtt))
        add_time(c, hf_rtt, rtt);
    add_flow(c, &t->flow, &t->q);
    const dm_icmp_ref *ic = (o == DM_OUTCOME_REJECTED) ? icmp_for_query(t, a->frame) : NULL;
    if (ic)
        add_icmp_fields(c, ic);
    if (c->final && t->tcp_retry)
        add_uint(c, hf_tcp_retry_in, first_query_frame(t->tcp_retry));

    if (it->attempt > 1)
        expert(c, &ei_retransmission, "attempt %u of transaction %u, first in frame %u",
               it->attempt, t->num, first_query_frame(t));
    if (it->flags & DM_F_NO_QUESTION)
        expert(c, &ei_no_question, "DNS query without a question section");
    if (o == DM_OUTCOME_REJECTED) {
        char *cause = dm_icmp_cause(t, ic);
        expert(c, &ei_rejected, "rejected: %s", cause);
        g_free(cause);
    } else if (o == DM_OUTCOME_UNANSWERED) {
        char *srv = dm_endpoint_to_str(&t->flow.server, t->flow.server_port);
        expert(c, &ei_unanswered, "no response from %s within %g s after %u attempt%s", srv,
               dm_tracker_config(c->tr)->timeout, t->attempts->len,
               t->attempts->len == 1 ? "" : "s");
        g_free(srv);
    } else if (o == DM_OUTCOME_INCOMPLETE) {
        expert(c, &ei_incomplete, "capture ended %.1f s after the last attempt, before the %g s "
               "timeout", secs(dm_tracker_end_time(c->tr) - t->last_attempt),
               dm_tracker_config(c->tr)->timeout);
    }
}

static void
rcode_expert(ctx *c, const dm_txn *t, dm_outcome o)
{
    char *q = question_text(&t->q);
    switch (o) {
    case DM_OUTCOME_SERVFAIL:
        expert(c, &ei_servfail, "server failure for %s", q);
        break;
    case DM_OUTCOME_REFUSED:
        expert(c, &ei_refused, "query refused for %s", q);
        break;
    case DM_OUTCOME_NXDOMAIN:
        expert(c, &ei_nxdomain, "no such name: %s", q);
        break;
    case DM_OUTCOME_ERROR:
        expert(c, &ei_error_rcode, "error response (rcode %u) for %s", dm_txn_answer(t)->rcode, q);
        break;
    default:
        break;
    }
    g_free(q);
}

static void
render_response(ctx *c, const dm_item *it)
{
    const dm_txn *t = it->txn;
    const dm_response *r = &g_array_index(t->responses, dm_response, it->index);
    const dm_response *ans = dm_txn_answer(t);
    dm_outcome o = shown_outcome(c, it);
    dm_time rtt;

    add_outcome(c, it, o);
    add_uint(c, hf_query_in, first_query_frame(t));
    if (ans && ans != r)
        add_uint(c, hf_response_in, ans->frame);
    if (c->final)
        add_icmp_links(c, t, r->frame);
    if (ans == r && dm_txn_rtt(t, &rtt))
        add_time(c, hf_rtt, rtt);
    add_flow(c, &t->flow, &t->q);
    if (r->flags & DM_F_TRUNCATED)
        add_bool(c, hf_truncated, TRUE);
    if (c->final && ans == r && t->tcp_retry)
        add_uint(c, hf_tcp_retry_in, first_query_frame(t->tcp_retry));

    if (ans == r) {
        rcode_expert(c, t, o);
        dm_time took = r->ts - g_array_index(t->attempts, dm_attempt, 0).ts;
        if (r->flags & DM_F_LATE)
            expert(c, &ei_late, "answered after %.3f s, later than the %g s timeout",
                   secs(took), dm_tracker_config(c->tr)->timeout);
        else if (r->flags & DM_F_SLOW)
            expert(c, &ei_slow, "answered after %.3f s", secs(took));
    }
    if (r->flags & DM_F_MISMATCH) {
        char *want = question_text(&t->q);
        char *got = question_text(&it->q);
        expert(c, &ei_mismatch,
               "response is for %s but the query in frame %u asked %s: possible spoofing",
               got, first_query_frame(t), want);
        g_free(want);
        g_free(got);
    } else if (r->flags & DM_F_DUPLICATE) {
        expert(c, &ei_duplicate, "duplicate response: first response in frame %u",
               ans ? ans->frame : 0);
    }
}

static void
render_icmp(ctx *c, const dm_item *it)
{
    const dm_txn *t = it->txn;
    const dm_icmp_ref *ic = &g_array_index(t->icmps, dm_icmp_ref, it->index);
    const dm_response *ans = dm_txn_answer(t);
    dm_outcome o = shown_outcome(c, it);

    add_outcome(c, it, o);
    add_uint(c, hf_query_in, ic->quotes_response || !ic->quoted_frame ? first_query_frame(t)
                                                                      : ic->quoted_frame);
    if (ic->quotes_response && ic->quoted_frame)
        add_uint(c, hf_response_in, ic->quoted_frame);
    else if (ans && (c->final || ans->frame < c->pinfo->num))
        add_uint(c, hf_response_in, ans->frame);
    add_flow(c, &t->flow, &t->q);
    add_icmp_fields(c, ic);
    add_str(c, hf_icmp_quotes, ic->quotes_response ? "response" : "query");

    char *q = question_text(&t->q);
    if (ic->quotes_response) {
        expert(c, &ei_bounced, "response in frame %u reached a closed port: the client had "
               "given up (%s)", ic->quoted_frame, q);
    } else {
        expert(c, &ei_icmp_error, "ICMP%s %s refers to DNS query in frame %u (%s)",
               ic->version == 6 ? "v6" : "", dm_icmp_kind_text(ic->kind), ic->quoted_frame, q);
    }
    g_free(q);
}

/* A response or ICMP error with no transaction: say what is known. */
static void
render_orphan(ctx *c, const dm_item *it)
{
    char sv[48];
    char *cl = dm_endpoint_to_str(&it->flow.client, it->flow.client_port);
    char *svp = dm_endpoint_to_str(&it->flow.server, it->flow.server_port);
    add_flow(c, &it->flow, &it->q);
    if (it->role == DM_ROLE_RESPONSE) {
        expert(c, &ei_unsolicited, "response from %s to %s matches no query in this capture",
               dm_addr_to_str(&it->flow.server, sv, sizeof sv), cl);
    } else {
        add_icmp_fields(c, &it->icmp);
        add_str(c, hf_icmp_quotes, it->icmp.quotes_response ? "response" : "query");
        expert(c, &ei_icmp_unmatched, "ICMP%s %s quotes a DNS %s between %s and %s that is "
               "not in this capture", it->icmp.version == 6 ? "v6" : "",
               dm_icmp_kind_text(it->icmp.kind), it->icmp.quotes_response ? "response" : "query",
               cl, svp);
    }
    g_free(cl);
    g_free(svp);
}

static const char *
role_text(const dm_item *it)
{
    switch (it->role) {
    case DM_ROLE_QUERY: return "query";
    case DM_ROLE_RESPONSE: return "response";
    default: return "ICMP error";
    }
}

void
dnsmon_render_frame(dm_tracker *tr, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    const GPtrArray *items = dm_tracker_frame_items(tr, pinfo->num);
    if (!items)
        return;
    for (guint i = 0; i < items->len; i++) {
        const dm_item *it = g_ptr_array_index(items, i);
        ctx c = { tr, pinfo, tvb, NULL, NULL, PINFO_FD_VISITED(pinfo) };
        if (tree) {
            c.top = proto_tree_add_item(tree, proto_dnsmon, tvb, 0, 0, ENC_NA);
            gen(c.top);
            c.tree = proto_item_add_subtree(c.top, ett_dnsmon);
        }
        if (!it->txn) {
            proto_item_append_text(c.top, ", %s without a transaction", role_text(it));
            render_orphan(&c, it);
            continue;
        }
        char *q = question_text(&it->txn->q);
        const char *o = dm_outcome_name(shown_outcome(&c, it));
        proto_item_append_text(c.top, ", transaction %u, %s: %s, %s", it->txn->num,
                               role_text(it), q, o);
        /* The verdict in the packet list too, as Wireshark's own analysis flags are. */
        col_append_fstr(pinfo->cinfo, COL_INFO, " [dnsmon %u: %s]", it->txn->num, o);
        g_free(q);
        switch (it->role) {
        case DM_ROLE_QUERY: render_query(&c, it); break;
        case DM_ROLE_RESPONSE: render_response(&c, it); break;
        case DM_ROLE_ICMP: render_icmp(&c, it); break;
        }
    }
}
