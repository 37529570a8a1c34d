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
                               dm_tracker_config(tr)->timeout, t->attempts,
                               t->attempts == 1 ? "" : "s");
    case DM_OUTCOME_INCOMPLETE:
        return dm_capture_end_text(dm_time_diff(dm_tracker_end_time(tr), t->last_ts));
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
