/* report.c — the incident report: see dnsmon_report.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <time.h>

#include "dnsmon_report.h"

/* What went wrong at one server, and how it looks from the capture. */
typedef struct {
    dm_flow key;                /* transport, server and port only */
    guint txns, failed;
    guint queries, failed_queries;
    guint by_outcome[DM_OUTCOME_COUNT];
    guint by_icmp[DM_ICMP_KIND_COUNT];      /* rejected transactions by ICMP kind */
    GPtrArray *clients;         /* char*, unique, in order met */
    GPtrArray *names;           /* char*, unique */
    GPtrArray *reporters;       /* reporter*, unique by (address, kind) */
    GArray *frames;             /* guint32 */
    dm_time first, last;
} finding;

typedef struct {
    dm_addr addr;
    dm_icmp_kind kind;
    guint8 version;
    gboolean from_server;
    gboolean via_nat;           /* the server a NAT or forwarder sent the query on to */
    guint count;
} reporter;

static void
finding_free(gpointer p)
{
    finding *f = p;
    g_ptr_array_free(f->clients, TRUE);
    g_ptr_array_free(f->names, TRUE);
    g_ptr_array_free(f->reporters, TRUE);
    g_array_free(f->frames, TRUE);
    g_free(f);
}

static void
add_unique(GPtrArray *a, char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0) {
            g_free(s);
            return;
        }
    g_ptr_array_add(a, s);
}

char *
dm_time_text(dm_time t)
{
    time_t secs = (time_t)(t / DM_NS_PER_SEC);
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&secs, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm))
        return g_strdup("?");
    return g_strdup(buf);
}

static gint
cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

void
dm_frames_to_ranges(GArray *frames, GString *out)
{
    g_array_sort(frames, cmp_u32);
    guint i = 0;
    while (i < frames->len) {
        guint32 start = g_array_index(frames, guint32, i), end = start;
        while (i + 1 < frames->len && g_array_index(frames, guint32, i + 1) <= end + 1)
            end = g_array_index(frames, guint32, ++i);
        i++;
        if (out->len && out->str[out->len - 1] != ' ')
            g_string_append_c(out, ',');
        if (end == start)
            g_string_append_printf(out, "%u", start);
        else
            g_string_append_printf(out, "%u-%u", start, end);
    }
}

static char *
server_text(const dm_flow *k)
{
    char s[48];
    dm_addr_to_str(&k->server, s, sizeof s);
    return g_strdup_printf("DNS over %s to %s port %u", k->transport == DM_TCP ? "TCP" : "UDP", s,
                           k->server_port);
}

static void
note_frames(finding *f, const dm_txn *t)
{
    for (guint i = 0; i < t->attempts->len; i++) {
        const dm_attempt *a = &g_array_index(t->attempts, dm_attempt, i);
        g_array_append_val(f->frames, a->frame);
        f->first = MIN(f->first, a->ts);
        f->last = MAX(f->last, a->ts);
    }
    for (guint i = 0; i < t->responses->len; i++) {
        const dm_response *r = &g_array_index(t->responses, dm_response, i);
        g_array_append_val(f->frames, r->frame);
        f->last = MAX(f->last, r->ts);
    }
    for (guint i = 0; i < t->icmps->len; i++) {
        const dm_icmp_ref *ic = &g_array_index(t->icmps, dm_icmp_ref, i);
        g_array_append_val(f->frames, ic->frame);
        f->last = MAX(f->last, ic->ts);
    }
}

static void
note_reporters(finding *f, const dm_txn *t)
{
    for (guint i = 0; i < t->icmps->len; i++) {
        const dm_icmp_ref *ic = &g_array_index(t->icmps, dm_icmp_ref, i);
        if (ic->quotes_response)
            continue;
        reporter *r = NULL;
        for (guint j = 0; j < f->reporters->len && !r; j++) {
            reporter *x = g_ptr_array_index(f->reporters, j);
            if (dm_addr_equal(&x->addr, &ic->reporter) && x->kind == ic->kind)
                r = x;
        }
        if (!r) {
            r = g_new0(reporter, 1);
            r->addr = ic->reporter;
            r->kind = ic->kind;
            r->version = ic->version;
            r->from_server = ic->from_server;
            r->via_nat = ic->nat_server.family != 0;
            g_ptr_array_add(f->reporters, r);
        }
        r->count++;
    }
}

static finding *
finding_for(GHashTable *by_server, GPtrArray *order, const dm_txn *t)
{
    char s[48];
    char *key = g_strdup_printf("%d|%s|%u", t->flow.transport,
                                dm_addr_to_str(&t->flow.server, s, sizeof s), t->flow.server_port);
    finding *f = g_hash_table_lookup(by_server, key);
    if (f) {
        g_free(key);
        return f;
    }
    f = g_new0(finding, 1);
    f->key.transport = t->flow.transport;
    f->key.server = t->flow.server;
    f->key.server_port = t->flow.server_port;
    f->clients = g_ptr_array_new_with_free_func(g_free);
    f->names = g_ptr_array_new_with_free_func(g_free);
    f->reporters = g_ptr_array_new_with_free_func(g_free);
    f->frames = g_array_new(FALSE, FALSE, sizeof(guint32));
    f->first = G_MAXINT64;
    f->last = G_MININT64;
    g_hash_table_insert(by_server, key, f);
    g_ptr_array_add(order, f);
    return f;
}

/* Most affected first: most failed transactions, then the larger share. */
static gint
cmp_findings(gconstpointer a, gconstpointer b)
{
    const finding *x = *(finding *const *)a, *y = *(finding *const *)b;
    if (x->failed != y->failed)
        return x->failed > y->failed ? -1 : 1;
    if (x->txns != y->txns)
        return x->txns < y->txns ? -1 : 1;
    return 0;
}

static void
list_strings(GString *out, GPtrArray *a, guint max)
{
    for (guint i = 0; i < a->len && i < max; i++)
        g_string_append_printf(out, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(a, i));
    if (a->len > max)
        g_string_append_printf(out, " and %u more", a->len - max);
}

/* One phrase per failure kind, most frequent first. */
typedef struct {
    guint count;
    char *what;                 /* "3 answered only by ICMP port unreachable" */
    char *cause;                /* "no DNS service listening on ..." */
} part;

static gint
cmp_parts(gconstpointer a, gconstpointer b)
{
    const part *x = a, *y = b;
    return x->count > y->count ? -1 : x->count < y->count;
}

static const char *
rejected_cause(const finding *f, dm_icmp_kind kind, GString *tmp)
{
    char srv[48], rep[48] = "";
    dm_addr_to_str(&f->key.server, srv, sizeof srv);
    const reporter *r = NULL;
    for (guint i = 0; i < f->reporters->len && !r; i++) {
        const reporter *x = g_ptr_array_index(f->reporters, i);
        if (x->kind == kind)
            r = x;
    }
    if (r)
        dm_addr_to_str(&r->addr, rep, sizeof rep);
    const char *proto = f->key.transport == DM_TCP ? "tcp" : "udp";
    g_string_truncate(tmp, 0);
    switch (kind) {
    case DM_ICMP_PORT_UNREACHABLE:
        if (r && r->from_server && r->via_nat)
            g_string_printf(tmp, "no DNS service listening on %s %s/%u, where %s forwards the "
                            "queries", rep, proto, f->key.server_port, srv);
        else if (r && r->from_server)
            g_string_printf(tmp, "no DNS service listening on %s %s/%u", srv, proto,
                            f->key.server_port);
        else
            g_string_printf(tmp, "a firewall at %s rejects %s/%u on the way to %s", rep, proto,
                            f->key.server_port, srv);
        break;
    case DM_ICMP_HOST_UNREACHABLE:
        g_string_printf(tmp, "server host down or unreachable: %s cannot reach %s", rep, srv);
        break;
    case DM_ICMP_NET_UNREACHABLE:
        g_string_printf(tmp, "route down: %s has no route to %s's network", rep, srv);
        break;
    case DM_ICMP_ADMIN_PROHIBITED:
        g_string_printf(tmp, "blocked by policy: a firewall at %s rejects DNS to %s", rep, srv);
        break;
    case DM_ICMP_TTL_EXCEEDED:
        g_string_printf(tmp, "routing loop or path too long: TTL ran out at %s", rep);
        break;
    case DM_ICMP_FRAG_NEEDED:
        g_string_printf(tmp, "packets too big for the path (reported by %s)", rep);
        break;
    default:
        g_string_printf(tmp, "the network refused delivery (ICMP error from %s)", rep);
        break;
    }
    return tmp->str;
}

static GArray *
finding_parts(const finding *f)
{
    GArray *parts = g_array_new(FALSE, TRUE, sizeof(part));
    GString *tmp = g_string_new(NULL);
    for (int k = 0; k < DM_ICMP_KIND_COUNT; k++) {
        if (!f->by_icmp[k])
            continue;
        part p = { f->by_icmp[k], g_strdup_printf("%u answered only by ICMP %s", f->by_icmp[k],
                                                  dm_icmp_kind_text((dm_icmp_kind)k)),
                   g_strdup(rejected_cause(f, (dm_icmp_kind)k, tmp)) };
        g_array_append_val(parts, p);
    }
    static const struct { dm_outcome o; const char *what; const char *cause; } plain[] = {
        { DM_OUTCOME_UNANSWERED, "never answered",
          "server silent or dropping: no response and no ICMP error (server down, or a "
          "firewall dropping silently)" },
        { DM_OUTCOME_SERVFAIL, "answered SERVFAIL",
          "server failing upstream (SERVFAIL): it could not resolve the names itself" },
        { DM_OUTCOME_REFUSED, "answered REFUSED",
          "the server refuses these queries (REFUSED): not allowed to use it, or not "
          "authoritative" },
        { DM_OUTCOME_NXDOMAIN, "answered NXDOMAIN", "names that do not exist (NXDOMAIN)" },
        { DM_OUTCOME_ERROR, "answered with another error code",
          "the server rejected the queries as malformed or unsupported" },
        { DM_OUTCOME_INCOMPLETE, "still unanswered when the capture ended",
          "undecided: the capture ended before the timeout" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(plain); i++) {
        guint n = f->by_outcome[plain[i].o];
        if (!n)
            continue;
        part p = { n, g_strdup_printf("%u %s", n, plain[i].what), g_strdup(plain[i].cause) };
        g_array_append_val(parts, p);
    }
    g_array_sort(parts, cmp_parts);
    g_string_free(tmp, TRUE);
    return parts;
}

static void
write_finding(GString *out, guint n, const finding *f)
{
    char *title = server_text(&f->key);
    g_string_append_printf(out, "\nFinding %u: %s\n", n, title);
    g_free(title);

    GArray *parts = finding_parts(f);
    g_string_append_printf(out, "  What failed:  %u of %u transactions (%u of %u queries sent) ",
                           f->failed, f->txns, f->failed_queries, f->queries);
    g_string_append(out, "for ");
    list_strings(out, f->names, 5);
    g_string_append(out, ": ");
    for (guint i = 0; i < parts->len; i++)
        g_string_append_printf(out, "%s%s", i ? ", " : "", g_array_index(parts, part, i).what);
    g_string_append(out, ".\n");

    if (f->reporters->len) {
        g_string_append(out, "  Reported by:  ");
        for (guint i = 0; i < f->reporters->len; i++) {
            const reporter *r = g_ptr_array_index(f->reporters, i);
            char a[48];
            g_string_append_printf(out, "%sICMP%s %s from %s (%s), %u time%s", i ? "; " : "",
                                   r->version == 6 ? "v6" : "", dm_icmp_kind_text(r->kind),
                                   dm_addr_to_str(&r->addr, a, sizeof a),
                                   r->via_nat ? "the server behind the forwarder"
                                   : r->from_server ? "the server itself"
                                                    : "a router or firewall on the path",
                                   r->count, r->count == 1 ? "" : "s");
        }
        g_string_append(out, ".\n");
    } else {
        guint silent = f->by_outcome[DM_OUTCOME_UNANSWERED] + f->by_outcome[DM_OUTCOME_INCOMPLETE];
        g_string_append(out, "  Reported by:  ");
        g_string_append(out, silent == f->failed ? "nobody: no response and no ICMP error came back"
                             : silent ? "the server's own DNS responses; the rest got no response "
                                        "and no ICMP error"
                                      : "the server itself, in its DNS responses");
        g_string_append(out, ".\n");
    }    g_string_append(out, "  Likely cause: ");
    for (guint i = 0; i < parts->len; i++) {
        part *p = &g_array_index(parts, part, i);
        g_string_append_printf(out, "%s%s", i ? "; also " : "", p->cause);
        g_free(p->what);
        g_free(p->cause);
    }
    g_string_append(out, ".\n");
    g_array_free(parts, TRUE);

    g_string_append(out, "  Clients:      ");
    list_strings(out, f->clients, 10);
    char *t0 = dm_time_text(f->first), *t1 = dm_time_text(f->last);
    g_string_append_printf(out, "\n  When:         %s to %s UTC\n", t0, t1 + 11);
    if (strncmp(t0, t1, 10) != 0)
        g_string_append_printf(out, "                (ends %s)\n", t1);
    g_free(t0);
    g_free(t1);
    g_string_append(out, "  Evidence:     frames ");
    dm_frames_to_ranges(f->frames, out);
    g_string_append(out, "\n");
}

void
dm_report_write(const dm_tracker *tr, const dm_ledger *seen, GString *out)
{
    GHashTable *by_server = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *order = g_ptr_array_new_with_free_func(finding_free);
    guint total = 0, failed = 0, healthy = 0, healthy_by[DM_OUTCOME_COUNT] = { 0 };
    GHashTable *healthy_servers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    double rtt_sum = 0;
    guint rtt_n = 0;

    for (guint i = 1; i <= dm_tracker_txn_count(tr); i++) {
        const dm_txn *t = dm_tracker_txn(tr, i);
        if (seen && dm_ledger_counted(seen, t) == DM_NOT_COUNTED)
            continue;
        dm_outcome o = dm_txn_outcome(tr, t);
        total++;
        finding *f = finding_for(by_server, order, t);
        f->txns++;
        f->queries += t->attempts->len;
        if (!dm_outcome_is_failure(o)) {
            char s[48];
            healthy++;
            healthy_by[o]++;
            g_hash_table_add(healthy_servers, g_strdup(dm_addr_to_str(&t->flow.server, s, sizeof s)));
            dm_time rtt;
            if (dm_txn_rtt(t, &rtt)) {
                rtt_sum += (double)rtt / 1e6;
                rtt_n++;
            }
            continue;
        }
        failed++;
        f->failed++;
        f->failed_queries += t->attempts->len;
        f->by_outcome[o]++;
        if (o == DM_OUTCOME_REJECTED)
            f->by_icmp[dm_txn_first_icmp_on_query(t)->kind]++;
        char c[48], b[16];
        add_unique(f->clients, g_strdup(dm_addr_to_str(&t->flow.client, c, sizeof c)));
        if (t->q.name)
            add_unique(f->names, g_strdup_printf("%s (%s)", t->q.name,
                                                 dm_qtype_text(t->q.type, b, sizeof b)));
        note_frames(f, t);
        note_reporters(f, t);
    }

    guint affected = 0;
    for (guint i = 0; i < order->len; i++)
        affected += ((finding *)g_ptr_array_index(order, i))->failed ? 1 : 0;
    g_string_append(out, "dnsmon incident report\n");
    g_string_append_printf(out, "%u DNS transaction%s, %u failed, %u server%s affected.\n", total,
                           total == 1 ? "" : "s", failed, affected, affected == 1 ? "" : "s");
    g_ptr_array_sort(order, cmp_findings);
    guint n = 0;
    for (guint i = 0; i < order->len; i++) {
        const finding *f = g_ptr_array_index(order, i);
        if (f->failed)
            write_finding(out, ++n, f);
    }
    if (!n)
        g_string_append(out, "\nNo failed DNS transactions.\n");
    g_string_append(out, "\nHealthy traffic: ");
    if (healthy) {
        guint ns = g_hash_table_size(healthy_servers);
        g_string_append_printf(out, "%u transaction%s to %u server%s answered (%u with data, %u "
                               "NOERROR without data)", healthy, healthy == 1 ? "" : "s", ns,
                               ns == 1 ? "" : "s", healthy_by[DM_OUTCOME_ANSWERED],
                               healthy_by[DM_OUTCOME_NODATA]);
        if (rtt_n)
            g_string_append_printf(out, ", average response time %.1f ms", rtt_sum / rtt_n);
        g_string_append(out, ".\n");
    } else {
        g_string_append(out, "none: no DNS transaction in this capture was answered.\n");
    }
    g_hash_table_destroy(healthy_servers);
    g_hash_table_destroy(by_server);
    g_ptr_array_free(order, TRUE);
}
