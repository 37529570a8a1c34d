/* describe.c — see dnsmon_describe.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dnsmon_describe.h"

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
        why = dm_icmp_kind_meaning((dm_icmp_kind)ic->kind);
    char *s = g_strdup_printf("ICMP%s %s from %s (%s): %s", ic->version == 6 ? "v6" : "",
                              dm_icmp_kind_text((dm_icmp_kind)ic->kind), rep, who, why);
    g_free(owned);
    g_free(who);
    return s;
}

char *
dm_failure_detail(const dm_tracker *tr, const dm_txn *t, dm_outcome o)
{
    char a[48];
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    const dm_icmp *ic = dm_txn_icmp_on_query(tr, t);
    switch (o) {
    case DM_OUTCOME_REJECTED:
        if (ic)
            return g_strdup_printf("ICMP%s %s from %s (%s)", ic->version == 6 ? "v6" : "",
                                   dm_icmp_kind_text((dm_icmp_kind)ic->kind),
                                   dm_addr_to_str(dm_tracker_addr(tr, ic->reporter), a, sizeof a),
                                   dm_reporter_text((dm_reporter)ic->who));
        return g_strdup_printf("TCP reset from %s",
                               dm_addr_to_str(dm_tracker_addr(tr, t->server), a, sizeof a));
    case DM_OUTCOME_WRONG_SOURCE: {
        char *from = dm_endpoint_to_str(dm_tracker_addr(tr, e->wrong_from), e->wrong_port);
        char *s = g_strdup_printf("answered from %s instead", from);
        g_free(from);
        return s;
    }
    case DM_OUTCOME_UNANSWERED:
        return g_strdup_printf("no response within %g s (%u attempt%s)",
                               dm_tracker_config(tr)->timeout, dm_txn_attempts(tr, t),
                               dm_txn_attempts(tr, t) == 1 ? "" : "s");
    case DM_OUTCOME_INCOMPLETE:
        return dm_capture_end_text(dm_time_diff(dm_tracker_end_time(tr), dm_txn_last_ts(tr, t)));
    case DM_OUTCOME_LAME:
        return g_strdup("NOERROR without answers, not authoritative, no referral (lame)");
    case DM_OUTCOME_TLS_FAILED: {
        if (e && (e->alert_level || e->alert_desc)) {
            const char *n = dm_tls_alert_name(e->alert_desc);
            return g_strdup_printf("handshake alert %s (%s, %u)", n ? n : "unknown",
                                   e->alert_level == 2 ? "fatal" : "warning", e->alert_desc);
        }
        return g_strdup("the connection closed during the handshake, before any DNS data from the server");
    }
    case DM_OUTCOME_ENCRYPTED:
        return g_strdup("the server sent encrypted data (no keys to read it)");
    default: {
        const char *n = dm_rcode_name(t->rcode);
        char *rc = n ? g_strdup(n) : g_strdup_printf("rcode %u", t->rcode);
        if ((t->flags & DM_T_EDE) && e) {
            const char *en = dm_ede_name(e->ede_code);
            char *s = g_strdup_printf("%s (EDE %u: %s)", rc, e->ede_code, en ? en : "unknown");
            g_free(rc);
            return s;
        }
        return rc;
    }
    }
}

/* How one upstream transaction failed, in a phrase that follows
 * "queries to S were ...". */
static const char *
failure_phrase(const dm_tracker *tr, const dm_txn *u, dm_outcome o)
{
    switch (o) {
    case DM_OUTCOME_REJECTED: {
        const dm_icmp *ic = dm_txn_icmp_on_query(tr, u);
        if (!ic)
            return "refused by a TCP reset";
        switch (ic->kind) {
        case DM_ICMP_PORT_UNREACHABLE: return "answered by ICMP port unreachable";
        case DM_ICMP_HOST_UNREACHABLE: return "answered by ICMP host unreachable";
        case DM_ICMP_NET_UNREACHABLE: return "answered by ICMP network unreachable";
        case DM_ICMP_ADMIN_PROHIBITED: return "answered by ICMP administratively prohibited";
        case DM_ICMP_TTL_EXCEEDED: return "answered by ICMP time exceeded";
        case DM_ICMP_FRAG_NEEDED: return "answered by ICMP packet too big";
        default: return "answered by an ICMP error";
        }
    }
    case DM_OUTCOME_UNANSWERED:
    case DM_OUTCOME_INCOMPLETE: return "never answered";
    case DM_OUTCOME_LAME: return "answered lame (not authoritative, no referral)";
    case DM_OUTCOME_SERVFAIL: return "answered SERVFAIL";
    case DM_OUTCOME_REFUSED: return "answered REFUSED";
    case DM_OUTCOME_WRONG_SOURCE: return "answered from the wrong address";
    case DM_OUTCOME_TLS_FAILED: return "failed in the TLS handshake";
    default: return "answered with an error code";
    }
}

static void upstream_text(GString *s, const dm_tracker *tr, const dm_upstream *up, guint32 txn,
                          GArray *frames, guint depth);

char *
dm_upstream_failure_text(const dm_tracker *tr, const dm_upstream *up, guint32 txn,
                         GArray *frames)
{
    GString *s = g_string_new(NULL);
    upstream_text(s, tr, up, txn, frames, 0);
    return g_string_free(s, FALSE);
}

/* A failed server that is a resolver itself (a forwarder's upstream): why
 * it failed, a level further down (at most three levels). */
#define CHAIN_DEPTH 3

static void
upstream_text(GString *s, const dm_tracker *tr, const dm_upstream *up, guint32 txn,
              GArray *frames, guint depth)
{
    const guint32 *servers, *ups;
    guint ns = dm_upstream_failed_servers(up, txn, &servers);
    guint nu = dm_upstream_of(up, txn, &ups);
    const dm_txn *d = dm_tracker_txn(tr, txn);
    for (guint i = 0; i < ns && i < 3; i++) {
        guint32 behind = 0;     /* a failed transaction with a resolver, to follow down */
        /* Per server: each way its transactions failed, and how often. */
        const char *phrase[8];
        guint count[8], kinds = 0;
        for (guint j = 0; j < nu; j++) {
            const dm_txn *u = dm_tracker_txn(tr, ups[j]);
            dm_outcome o = dm_txn_outcome(tr, u);
            if (u->server != servers[i] || !dm_outcome_is_failure(o))
                continue;
            if (frames) {
                guint32 f = dm_tracker_item_frame(tr, u->first_item);
                g_array_append_val(frames, f);
                const dm_icmp *ic = dm_txn_icmp_on_query(tr, u);
                if (ic && (f = dm_tracker_item_frame(tr, ic->item)))
                    g_array_append_val(frames, f);
            }
            if (!behind && dm_upstream_cause_of(up, ups[j]) == DM_UPSTREAM_FAILED)
                behind = ups[j];
            const char *p = failure_phrase(tr, u, o);
            guint k = 0;
            while (k < kinds && phrase[k] != p)
                k++;
            if (k == kinds && kinds < G_N_ELEMENTS(phrase)) {
                phrase[kinds] = p;
                count[kinds++] = 0;
            }
            if (k < kinds)
                count[k]++;
        }
        char a[48];
        g_string_append_printf(s, "%squeries to %s for %s were ", i ? "; " : "",
                               dm_addr_to_str(dm_tracker_addr(tr, servers[i]), a, sizeof a),
                               d->name ? dm_tracker_name(tr, d->name) : "it");
        for (guint k = 0; k < kinds; k++) {
            g_string_append_printf(s, "%s%s", k ? (k + 1 == kinds ? " and " : ", ") : "",
                                   phrase[k]);
            if (kinds > 1)
                g_string_append_printf(s, " (%u)", count[k]);
        }
        if (behind && depth + 1 < CHAIN_DEPTH) {
            g_string_append_printf(s, " — behind it, %s's ", a);
            upstream_text(s, tr, up, behind, frames, depth + 1);
        }
    }
    if (ns > 3)
        g_string_append_printf(s, "; and %u more server%s", ns - 3, ns - 3 == 1 ? "" : "s");
}

char *
dm_encrypted_failure_text(const dm_tracker *tr, const dm_txn *t)
{
    dm_outcome o = dm_txn_outcome(tr, t);
    switch (o) {
    case DM_OUTCOME_REJECTED: {
        const dm_icmp *ic = dm_txn_icmp_on_query(tr, t);
        return ic ? g_strdup_printf("ICMP %s", dm_icmp_kind_text((dm_icmp_kind)ic->kind))
                  : g_strdup("reset");
    }
    case DM_OUTCOME_UNANSWERED:
    case DM_OUTCOME_INCOMPLETE:
        return g_strdup("no answer");
    default:
        return dm_failure_detail(tr, t, o);
    }
}
