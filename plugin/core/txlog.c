/* txlog.c — the transaction log; see dnsmon_txlog.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <time.h>

#include "dnsmon_txlog.h"

void
dm_json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        switch (*p) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);   /* names are ASCII already */
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

static void
key(GString *o, const char *k)
{
    g_string_append_printf(o, "%s\"%s\":", o->len > 1 ? "," : "", k);
}

static void
kstr(GString *o, const char *k, const char *v)
{
    key(o, k);
    if (v)
        dm_json_string(o, v);
    else
        g_string_append(o, "null");
}

static void
kuint(GString *o, const char *k, guint64 v)
{
    key(o, k);
    g_string_append_printf(o, "%" G_GUINT64_FORMAT, v);
}

static void
knull(GString *o, const char *k)
{
    key(o, k);
    g_string_append(o, "null");
}

static void
kbool(GString *o, const char *k, gboolean v)
{
    key(o, k);
    g_string_append(o, v ? "true" : "false");
}

static void
kaddr(GString *o, const char *k, const dm_addr *a)
{
    char b[48];
    kstr(o, k, a && a->family ? dm_addr_to_str(a, b, sizeof b) : NULL);
}

/* A fixed-point decimal of v / 10^digits, written with integers only: the
 * JSON never depends on the locale's decimal separator. */
static void
fixed(GString *o, gint64 v, int digits)
{
    gint64 unit = 1;
    for (int i = 0; i < digits; i++)
        unit *= 10;
    guint64 a = v < 0 ? (guint64)(-(v + 1)) + 1 : (guint64)v;
    g_string_append_printf(o, "%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT, v < 0 ? "-" : "",
                           a / (guint64)unit, digits, a % (guint64)unit);
}

/* ms with microsecond detail, or null */
static void
kms(GString *o, const char *k, gboolean have, dm_time ns)
{
    key(o, k);
    if (have)
        fixed(o, ns / 1000, 3);
    else
        g_string_append(o, "null");
}

static void
ktime(GString *o, const char *prefix, dm_time t)
{
    gint64 secs = t / DM_NS_PER_SEC, ns = t % DM_NS_PER_SEC;
    if (ns < 0) {
        ns += DM_NS_PER_SEC;
        secs--;
    }
    time_t tt = (time_t)secs;
    struct tm tm;
    char buf[40] = "?";
    if (gmtime_r(&tt, &tm))
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    key(o, prefix);
    g_string_append_printf(o, "\"%s.%09" G_GINT64_FORMAT "Z\"", buf, ns);
    /* epoch seconds exactly; whole seconds (floor) and nanoseconds add up to it */
    char *k = g_strdup_printf("%s_epoch", prefix);
    key(o, k);
    fixed(o, t, 9);
    g_free(k);
    k = g_strdup_printf("%s_sec", prefix);
    key(o, k);
    g_string_append_printf(o, "%" G_GINT64_FORMAT, secs);
    g_free(k);
    k = g_strdup_printf("%s_nsec", prefix);
    kuint(o, k, (guint64)ns);
    g_free(k);
}

/* Frames of each transaction of [from, until) by role: counting sort over
 * the items held. */
typedef struct {
    guint32 from;               /* the first transaction */
    guint32 *start;             /* per txn - from + 1: first index into ids */
    guint32 *ids;               /* item ids, grouped by txn, in frame order */
} by_txn;

static void
group_items(const dm_tracker *tr, guint32 from, guint32 until, by_txn *g)
{
    guint32 n = until - from, items = dm_tracker_item_count(tr);
    g->from = from;
    g->start = g_new0(guint32, n + 2);
    for (guint32 id = dm_tracker_first_item(tr); id <= items; id++) {
        const dm_item *it = dm_tracker_item(tr, id);
        if (it->txn >= from && it->txn < until && dm_tracker_item_frame(tr, id))
            g->start[it->txn - from + 1]++;
    }
    for (guint32 t = 1; t <= n + 1; t++)
        g->start[t] += g->start[t - 1];
    g->ids = g_new(guint32, g->start[n + 1] + 1);
    guint32 *fill = g_memdup2(g->start, (n + 2) * sizeof(guint32));
    for (guint32 id = dm_tracker_first_item(tr); id <= items; id++) {
        const dm_item *it = dm_tracker_item(tr, id);
        if (it->txn >= from && it->txn < until && dm_tracker_item_frame(tr, id))
            g->ids[fill[it->txn - from]++] = id;
    }
    g_free(fill);
}

static void
kframes(GString *o, const char *k, const dm_tracker *tr, const by_txn *g, guint32 txn,
        dm_role role, guint16 must, guint16 must_not)
{
    key(o, k);
    g_string_append_c(o, '[');
    gboolean first = TRUE;
    txn -= g->from;
    for (guint32 i = g->start[txn]; i < g->start[txn + 1]; i++) {
        const dm_item *it = dm_tracker_item(tr, g->ids[i]);
        if (it->role != role || (it->flags & must) != must || (it->flags & must_not))
            continue;
        g_string_append_printf(o, "%s%u", first ? "" : ",", it->frame);
        first = FALSE;
    }
    g_string_append_c(o, ']');
}

static void
kids(GString *o, const char *k, const guint32 *v, guint n)
{
    key(o, k);
    g_string_append_c(o, '[');
    for (guint i = 0; i < n; i++)
        g_string_append_printf(o, "%s%u", i ? "," : "", v[i]);
    g_string_append_c(o, ']');
}

/* The resolver's side (docs/design.md, "Resolvers"). */
static void
write_upstream(GString *o, const dm_tracker *tr, const dm_upstream *up, guint32 id)
{
    const guint32 *v = NULL;
    guint n = up ? dm_upstream_of(up, id, &v) : 0;
    kids(o, "upstream", v, n);
    n = up ? dm_downstream_of(up, id, &v) : 0;
    kids(o, "downstream", v, n);
    dm_upstream_cause c = up ? dm_upstream_cause_of(up, id) : DM_UPSTREAM_NONE;
    kstr(o, "upstream_cause", c == DM_UPSTREAM_NONE ? NULL : dm_upstream_cause_name(c));
    n = up ? dm_upstream_failed_servers(up, id, &v) : 0;
    key(o, "upstream_failed_servers");
    g_string_append_c(o, '[');
    for (guint i = 0; i < n; i++) {
        char b[48];
        if (i)
            g_string_append_c(o, ',');
        dm_json_string(o, dm_addr_to_str(dm_tracker_addr(tr, v[i]), b, sizeof b));
    }
    g_string_append_c(o, ']');
}

static void
write_txn(GString *o, const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
          const dm_downgrades *dg, const by_txn *g, guint32 id)
{
    const dm_txn *t = dm_tracker_txn(tr, id);
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    dm_outcome oc = dm_txn_outcome(tr, t);
    char b[16];
    g_string_truncate(o, 0);
    g_string_append_c(o, '{');
    kuint(o, "txn", id);
    ktime(o, "time", t->first_ts);
    kstr(o, "outcome", dm_outcome_name(oc));
    kbool(o, "failed", dm_outcome_is_failure(oc));
    kaddr(o, "client", dm_tracker_addr(tr, t->client));
    kuint(o, "client_port", t->client_port);
    kaddr(o, "server", dm_tracker_addr(tr, t->server));
    kuint(o, "server_port", t->server_port);
    kstr(o, "transport", dm_transport_name((dm_transport)t->transport));
    if (t->flags & DM_T_CONNECTION)
        knull(o, "id");
    else
        kuint(o, "id", t->id);
    kstr(o, "qname", dm_tracker_name(tr, t->name));
    kstr(o, "qtype", t->name ? dm_qtype_text(t->qtype, b, sizeof b) : NULL);
    if (t->name)
        kuint(o, "qtype_num", t->qtype);
    else
        knull(o, "qtype_num");
    kuint(o, "attempts", (t->flags & DM_T_CONNECTION) && e ? e->syns : dm_txn_attempts(tr, t));
    kframes(o, "query_frames", tr, g, id, DM_ROLE_QUERY, 0, 0);
    kframes(o, "response_frames", tr, g, id, DM_ROLE_RESPONSE, 0, DM_F_WRONG_SOURCE);
    kframes(o, "icmp_frames", tr, g, id, DM_ROLE_ICMP, 0, 0);
    dm_time rtt = 0;
    gboolean has_rtt = dm_txn_rtt(tr, t, &rtt);
    kms(o, "rtt_ms", has_rtt, rtt);
    key(o, "rtt");
    if (has_rtt)
        fixed(o, rtt, 9);
    else
        g_string_append(o, "null");
    if (t->flags & DM_T_ANSWERED)
        kuint(o, "rcode", t->rcode);
    else
        knull(o, "rcode");
    kbool(o, "slow", (t->flags & DM_T_SLOW) != 0);
    kbool(o, "late", (t->flags & DM_T_LATE) != 0);
    kbool(o, "truncated", (t->flags & DM_T_TC) != 0);
    const dm_icmp *ic = dm_txn_icmp_on_query(tr, t);
    kstr(o, "icmp_kind", ic ? dm_icmp_kind_name((dm_icmp_kind)ic->kind) : NULL);
    kaddr(o, "icmp_reporter", ic ? dm_tracker_addr(tr, ic->reporter) : NULL);
    kstr(o, "icmp_from", ic ? (ic->who == DM_REPORTER_SERVER ? "server"
                               : ic->who == DM_REPORTER_CLIENT ? "client" : "router") : NULL);
    kbool(o, "bounced", (t->flags & DM_T_BOUNCED) != 0);
    kbool(o, "wrong_source", (t->flags & DM_T_WRONG_SOURCE) != 0);
    kaddr(o, "answered_from", e && e->wrong_item ? dm_tracker_addr(tr, e->wrong_from) : NULL);
    kframes(o, "wrong_source_frames", tr, g, id, DM_ROLE_RESPONSE, DM_F_WRONG_SOURCE, 0);
    kbool(o, "tcp_reset", (t->flags & DM_T_RESET) != 0);
    if (e && e->fallback_of)
        kuint(o, "fallback_of", e->fallback_of);
    else
        knull(o, "fallback_of");
    if (e && e->fallback_in)
        kuint(o, "fallback_in", e->fallback_in);
    else
        knull(o, "fallback_in");
    if ((t->flags & DM_T_EDE) && e) {
        kuint(o, "ede", e->ede_code);
        const char *n = dm_ede_name(e->ede_code);
        char *text = g_strdup_printf("%s%s%s", n ? n : "unknown code", e->ede_text ? ": " : "",
                                     e->ede_text ? e->ede_text : "");
        kstr(o, "ede_text", text);
        g_free(text);
    } else {
        knull(o, "ede");
        knull(o, "ede_text");
    }
    guint32 lid = dm_lookups_of(ls, id);
    const dm_lookup *l = dm_lookups_get(ls, lid);
    if (l) {
        dm_time delay = 0;
        gboolean has = dm_lookup_delay(ls, l, &delay);
        kuint(o, "lookup", lid);
        kstr(o, "lookup_outcome", dm_lookup_outcome_name(dm_lookup_outcome_of(ls, l)));
        kuint(o, "lookup_txns", l->txns);
        kuint(o, "lookup_servers", l->servers);
        kms(o, "lookup_delay_ms", has, delay);
    } else {
        knull(o, "lookup");
        knull(o, "lookup_outcome");
        knull(o, "lookup_txns");
        knull(o, "lookup_servers");
        knull(o, "lookup_delay_ms");
    }
    write_upstream(o, tr, up, id);
    guint32 of = dg ? dm_downgrade_of(dg, id) : 0;
    kbool(o, "downgraded", of != 0);
    if (of)
        kuint(o, "downgrade_of", of);
    else
        knull(o, "downgrade_of");
    ktime(o, "last_attempt", dm_txn_last_ts(tr, t));
    g_string_append(o, "}\n");
}

void
dm_txlog_write(const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
                    const dm_downgrades *dg, const dm_ledger *seen, FILE *out)
{
    dm_txlog_write_range(tr, ls, up, dg, seen, out, dm_tracker_first(tr),
                         dm_tracker_txn_count(tr) + 1);
}

void
dm_txlog_write_range(const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
                     const dm_downgrades *dg, const dm_ledger *seen, FILE *out, guint32 from,
                     guint32 until)
{
    from = MAX(from, dm_tracker_first(tr));
    until = MIN(until, dm_tracker_txn_count(tr) + 1);
    if (from >= until)
        return;
    by_txn g;
    group_items(tr, from, until, &g);
    GString *line = g_string_sized_new(1024);
    gboolean final = dm_tracker_finished(tr);
    for (guint32 id = from; id < until; id++) {
        if (seen && !dm_ledger_seen(seen, id))
            continue;
        if (!final && !(dm_tracker_txn(tr, id)->flags & DM_T_SETTLED))
            continue;           /* pending: its line comes once it is known */
        write_txn(line, tr, ls, up, dg, &g, id);
        fwrite(line->str, 1, line->len, out);
    }
    g_string_free(line, TRUE);
    g_free(g.start);
    g_free(g.ids);
}
