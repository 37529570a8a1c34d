/* report.c — the incident report: see dnsmon_report.h.
 *
 * Everything is gathered in one pass over transactions, one over lookups and
 * one over frame items; names, clients and reporters are deduplicated with
 * hash sets and listed up to a cap, evidence frames up to a number of runs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsmon_describe.h"
#include "dnsmon_report.h"

#define NAMES_LISTED 5
#define CLIENTS_LISTED 10
#define EVIDENCE_RUNS 20

/* Distinct values (addresses, questions) by integer key, the first `cap`
 * kept in the order met for listing: no string is made for a value that is
 * not listed, so 100 000 made-up names cost a hash insert each, no more. */
typedef enum { KS_ADDR, KS_QUESTION } keyset_kind;

typedef struct {
    GHashTable *set;            /* guint64 keys */
    GArray *first;              /* guint64 values to show, in order met */
    guint cap;
    keyset_kind kind;
} keyset;

static void
keyset_init(keyset *s, guint cap, keyset_kind kind)
{
    s->set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    s->first = g_array_new(FALSE, FALSE, sizeof(guint64));
    s->cap = cap;
    s->kind = kind;
}

static void
keyset_clear(keyset *s)
{
    g_array_free(s->first, TRUE);
    g_hash_table_destroy(s->set);
}

static void
keyset_add(keyset *s, guint64 key, guint64 show)
{
    if (g_hash_table_contains(s->set, &key))
        return;
    guint64 *k = g_new(guint64, 1);
    *k = key;
    g_hash_table_add(s->set, k);
    if (s->first->len < s->cap)
        g_array_append_val(s->first, show);
}

static guint
keyset_size(const keyset *s)
{
    return g_hash_table_size(s->set);
}

/* A question's key (case-folded name, type) and what shows it (the name as
 * first met, type). */
static guint64
question_key(const dm_tracker *tr, const dm_txn *t)
{
    return ((guint64)dm_tracker_name_folded(tr, t->name) << 16) | t->qtype;
}

static guint64
question_show(const dm_txn *t)
{
    return ((guint64)t->name << 16) | t->qtype;
}

static void
keyset_list(GString *out, const dm_tracker *tr, const keyset *s)
{
    for (guint i = 0; i < s->first->len; i++) {
        guint64 v = g_array_index(s->first, guint64, i);
        if (i)
            g_string_append(out, ", ");
        if (s->kind == KS_ADDR) {
            char a[48];
            g_string_append(out, dm_addr_to_str(dm_tracker_addr(tr, (guint32)v), a, sizeof a));
        } else {
            char b[16];
            g_string_append_printf(out, "%s (%s)", dm_tracker_name(tr, (guint32)(v >> 16)),
                                   dm_qtype_text((guint16)(v & 0xffff), b, sizeof b));
        }
    }
    guint n = keyset_size(s);
    if (n > s->first->len)
        g_string_append_printf(out, " and %u more", n - s->first->len);
}

typedef struct {
    guint32 addr;
    dm_icmp_kind kind;
    guint8 version, who;
    gboolean via_nat;
    guint count;
} reporter;

/* What went wrong at one server, and how it looks from the capture. */
typedef struct {
    guint8 transport;
    guint32 server;
    guint16 port;
    guint txns, failed, queries, failed_queries;
    guint by_outcome[DM_OUTCOME_COUNT];
    guint by_icmp[DM_ICMP_KIND_COUNT];      /* rejected transactions by ICMP kind */
    guint resets, fallbacks_failed, connections;
    guint wrong;                /* wrong-source transactions */
    guint by_cause[DM_UPSTREAM_COUNT];  /* failed transactions by upstream cause (a resolver) */
    guint nx_relayed;           /* NXDOMAIN the servers below gave: not the resolver's failure */
    guint32 cause_txn;          /* one of its upstream_failed transactions, to say why */
    guint32 wrong_from;
    guint16 wrong_port;
    GHashTable *ede;            /* EDE code -> count */
    keyset clients, names;
    GHashTable *reporters;      /* key -> reporter */
    GPtrArray *reporter_order;
    GArray *frames;             /* guint32 */
    dm_time first, last;
} finding;

static void
finding_free(gpointer p)
{
    finding *f = p;
    keyset_clear(&f->clients);
    keyset_clear(&f->names);
    g_hash_table_destroy(f->reporters);
    g_ptr_array_free(f->reporter_order, TRUE);
    g_hash_table_destroy(f->ede);
    g_array_free(f->frames, TRUE);
    g_free(f);
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
dm_frames_to_ranges(GArray *frames, guint max_runs, GString *out)
{
    g_array_sort(frames, cmp_u32);
    guint i = 0, runs = 0;
    while (i < frames->len) {
        if (max_runs && runs == max_runs) {
            guint left = frames->len - i;
            g_string_append_printf(out, " and %u more frame%s", left, left == 1 ? "" : "s");
            return;
        }
        guint32 start = g_array_index(frames, guint32, i), end = start;
        while (i + 1 < frames->len && g_array_index(frames, guint32, i + 1) <= end + 1)
            end = g_array_index(frames, guint32, ++i);
        i++;
        runs++;
        if (out->len && out->str[out->len - 1] != ' ')
            g_string_append_c(out, ',');
        if (end == start)
            g_string_append_printf(out, "%u", start);
        else
            g_string_append_printf(out, "%u-%u", start, end);
    }
}

static finding *
finding_for(GHashTable *by_server, GPtrArray *order, const dm_txn *t)
{
    guint64 key = ((guint64)t->server << 24) | ((guint64)t->server_port << 8) | t->transport;
    finding *f = g_hash_table_lookup(by_server, &key);
    if (f)
        return f;
    f = g_new0(finding, 1);
    f->transport = t->transport;
    f->server = t->server;
    f->port = t->server_port;
    keyset_init(&f->clients, CLIENTS_LISTED, KS_ADDR);
    keyset_init(&f->names, NAMES_LISTED, KS_QUESTION);
    f->reporters = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    f->reporter_order = g_ptr_array_new();
    f->ede = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->frames = g_array_new(FALSE, FALSE, sizeof(guint32));
    f->first = G_MAXINT64;
    f->last = G_MININT64;
    guint64 *k = g_new(guint64, 1);
    *k = key;
    g_hash_table_insert(by_server, k, f);
    g_ptr_array_add(order, f);
    return f;
}

static void
note_reporters(finding *f, const dm_tracker *tr, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    for (guint32 i = e ? e->first_icmp : 0; i; i = dm_tracker_icmp_ref(tr, i)->next) {
        const dm_icmp *ic = dm_tracker_icmp_ref(tr, i);
        if (ic->quotes_response)
            continue;
        guint64 key = ((guint64)ic->reporter << 16) | ((guint64)ic->kind << 8) |
                      ((guint64)ic->who << 1) | (ic->nat_server != 0);
        reporter *r = g_hash_table_lookup(f->reporters, &key);
        if (!r) {
            r = g_new0(reporter, 1);
            r->addr = ic->reporter;
            r->kind = (dm_icmp_kind)ic->kind;
            r->version = ic->version;
            r->who = ic->who;
            r->via_nat = ic->nat_server != 0;
            guint64 *k = g_new(guint64, 1);
            *k = key;
            g_hash_table_insert(f->reporters, k, r);
            g_ptr_array_add(f->reporter_order, r);
        }
        r->count++;
    }
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

static const reporter *
reporter_of_kind(const finding *f, dm_icmp_kind kind)
{
    for (guint i = 0; i < f->reporter_order->len; i++) {
        const reporter *r = g_ptr_array_index(f->reporter_order, i);
        if (r->kind == kind)
            return r;
    }
    return NULL;
}

static char *
rejected_cause(const dm_tracker *tr, const finding *f, dm_icmp_kind kind)
{
    char srv[48], rep[48] = "";
    dm_addr_to_str(dm_tracker_addr(tr, f->server), srv, sizeof srv);
    const reporter *r = reporter_of_kind(f, kind);
    if (r)
        dm_addr_to_str(dm_tracker_addr(tr, r->addr), rep, sizeof rep);
    const char *proto = dm_transport_name(dm_wire((dm_transport)f->transport));
    gboolean server = r && r->who == DM_REPORTER_SERVER;
    switch (kind) {
    case DM_ICMP_PORT_UNREACHABLE:
        if (server && r->via_nat)
            return g_strdup_printf("no DNS service listening on %s %s/%u, where %s forwards the "
                                   "queries", rep, proto, f->port, srv);
        if (server)
            return g_strdup_printf("no DNS service listening on %s %s/%u", srv, proto, f->port);
        return g_strdup_printf("a firewall at %s rejects %s/%u on the way to %s", rep, proto,
                               f->port, srv);
    case DM_ICMP_HOST_UNREACHABLE:
        return g_strdup_printf("server host down or unreachable: %s cannot reach %s", rep, srv);
    case DM_ICMP_NET_UNREACHABLE:
        return g_strdup_printf("route down: %s has no route to %s's network", rep, srv);
    case DM_ICMP_ADMIN_PROHIBITED:
        return g_strdup_printf("blocked by policy: a firewall at %s rejects DNS to %s", rep, srv);
    case DM_ICMP_TTL_EXCEEDED:
        return g_strdup_printf("routing loop or path too long: TTL ran out at %s", rep);
    case DM_ICMP_FRAG_NEEDED:
        return g_strdup_printf("packets too big for the path (reported by %s)", rep);
    default:
        return g_strdup_printf("the network refused delivery (ICMP error from %s)", rep);
    }
}

static gint
cmp_keys(gconstpointer a, gconstpointer b)
{
    guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);
    return x < y ? -1 : x > y;
}

/* "; Extended DNS Error: DNSSEC Bogus (2), Network Error" */
static void
append_ede(GString *s, GHashTable *ede)
{
    if (!g_hash_table_size(ede))
        return;
    GList *codes = g_list_sort(g_hash_table_get_keys(ede), cmp_keys);
    g_string_append(s, "; Extended DNS Error: ");
    for (GList *l = codes; l; l = l->next) {
        guint code = GPOINTER_TO_UINT(l->data) - 1;
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ede, l->data));
        const char *name = dm_ede_name((guint16)code);
        g_string_append_printf(s, "%s%s", l != codes ? ", " : "", name ? name : "code");
        if (!name)
            g_string_append_printf(s, " %u", code);
        if (n > 1)
            g_string_append_printf(s, " (%u)", n);
    }
    g_list_free(codes);
}

static void
add_part(GArray *parts, guint count, char *what, char *cause)
{
    part p = { count, what, cause };
    g_array_append_val(parts, p);
}

/* A resolver's failures, by why (docs/design.md, "Resolvers"). */
static void
cause_parts(GArray *parts, const dm_tracker *tr, const dm_upstream *up, const finding *f)
{
    guint n = f->by_cause[DM_UPSTREAM_FAILED];
    if (n && f->cause_txn) {
        GArray *frames = g_array_new(FALSE, FALSE, sizeof(guint32));
        char *why = dm_upstream_failure_text(tr, up, f->cause_txn, frames);
        GString *ev = g_string_new(NULL);
        dm_frames_to_ranges(frames, 8, ev);
        GString *cause = g_string_new(NULL);
        g_string_append_printf(cause, "the servers below the resolver failed: its %s (frames %s)",
                               why, ev->str);
        append_ede(cause, f->ede);
        add_part(parts, n, NULL, g_string_free(cause, FALSE));
        g_string_free(ev, TRUE);
        g_free(why);
        g_array_free(frames, TRUE);
    }
    if ((n = f->nx_relayed))
        add_part(parts, n, NULL, g_strdup("names that do not exist: the servers below the resolver "
                          "said so (NXDOMAIN)"));
    if ((n = f->by_cause[DM_UPSTREAM_ANSWERED]))
        add_part(parts, n, NULL, g_strdup("the resolver failed by itself: the servers below it answered "
                          "(DNSSEC validation, a policy, a limit, a CNAME loop)"));
    if ((n = f->by_cause[DM_UPSTREAM_NONE_SEEN]))
        add_part(parts, n, NULL, g_strdup("answered from the resolver's cache (a failure it remembers), or its "
                          "upstream side is out of the capture's sight then"));
}

static GArray *
finding_parts(const dm_tracker *tr, const dm_upstream *up, const finding *f)
{
    GArray *parts = g_array_new(FALSE, TRUE, sizeof(part));
    char srv[48];
    dm_addr_to_str(dm_tracker_addr(tr, f->server), srv, sizeof srv);
    for (int k = 0; k < DM_ICMP_KIND_COUNT; k++) {
        if (f->by_icmp[k])
            add_part(parts, f->by_icmp[k],
                     g_strdup_printf("%u answered only by ICMP %s", f->by_icmp[k],
                                     dm_icmp_kind_text((dm_icmp_kind)k)),
                     rejected_cause(tr, f, (dm_icmp_kind)k));
    }
    if (f->resets)
        add_part(parts, f->resets, g_strdup_printf("%u refused by a TCP reset", f->resets),
                 g_strdup_printf("no %s on %s port %u (connections refused)",
                                 dm_transport_text((dm_transport)f->transport), srv, f->port));
    if (f->wrong) {
        char *from = dm_endpoint_to_str(dm_tracker_addr(tr, f->wrong_from), f->wrong_port);
        add_part(parts, f->wrong,
                 g_strdup_printf("%u answered only from the wrong address (%s)", f->wrong, from),
                 g_strdup_printf("the server answers from the wrong address: queries to %s are "
                                 "answered from %s, which the clients discard (a multi-homed "
                                 "server, or NAT or load-balancer asymmetry)", srv, from));
        g_free(from);
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
        { DM_OUTCOME_TLS_FAILED, "failed in the TLS handshake",
          "the encrypted connection fails in its handshake (a certificate the client rejects, "
          "no common TLS version or ALPN)" },
        { DM_OUTCOME_LAME, "answered lame (not authoritative, no referral)",
          "a lame delegation: the server is not authoritative for the zone it was delegated and "
          "refers nowhere" },
        { DM_OUTCOME_INCOMPLETE, "still unanswered when the capture ended",
          "undecided: the capture ended before the timeout" },
    };
    gboolean ede_said = FALSE;
    guint explained = up ? f->by_cause[DM_UPSTREAM_FAILED] + f->by_cause[DM_UPSTREAM_ANSWERED] +
                           f->by_cause[DM_UPSTREAM_NONE_SEEN] + f->nx_relayed : 0;
    if (explained)
        cause_parts(parts, tr, up, f);
    for (gsize i = 0; i < G_N_ELEMENTS(plain); i++) {
        guint n = f->by_outcome[plain[i].o];
        if (!n)
            continue;
        GString *cause = g_string_new(plain[i].cause);
        if (!ede_said && (plain[i].o == DM_OUTCOME_SERVFAIL || plain[i].o == DM_OUTCOME_REFUSED ||
                          plain[i].o == DM_OUTCOME_ERROR)) {
            append_ede(cause, f->ede);
            ede_said = TRUE;
        }
        /* A resolver whose failures the capture explains: the causes above
         * say why, the outcome only what its clients got. */
        gboolean said = explained && plain[i].o != DM_OUTCOME_INCOMPLETE;
        add_part(parts, n, g_strdup_printf("%u %s", n, plain[i].what),
                 said ? NULL : g_string_free(cause, FALSE));
        if (said)
            g_string_free(cause, TRUE);
    }
    g_array_sort(parts, cmp_parts);
    /* Whatever refused them, failed TCP retries of truncated answers mean
     * that large answers cannot reach the clients: say that first. */
    if (f->fallbacks_failed) {
        part p = { G_MAXUINT,
                   g_strdup_printf("%u of them TCP retr%s of truncated UDP answers",
                                   f->fallbacks_failed, f->fallbacks_failed == 1 ? "y" : "ies"),
                   g_strdup("large answers cannot reach the clients: the TCP retry of a "
                            "truncated answer fails (typical cause: a firewall blocking TCP/53)") };
        g_array_prepend_val(parts, p);
    }
    return parts;
}

static const char *
reporter_role(const reporter *r)
{
    if (r->who == DM_REPORTER_CLIENT)
        return "the client itself";
    if (r->who == DM_REPORTER_SERVER)
        return r->via_nat ? "the server behind the forwarder" : "the server itself";
    return "a router or firewall on the path";
}

/* "2024-05-14 13:24:32 to 13:28:50 UTC"; to the millisecond when it all
 * happened within a few seconds ("07:16:14.102 to 07:16:14.860"). */
static void
write_when(GString *out, dm_time first, dm_time last)
{
    char *t0 = dm_time_text(first), *t1 = dm_time_text(last);
    gboolean fine = dm_time_diff(last, first) < 10 * DM_NS_PER_SEC;
    g_string_append_printf(out, "\n  When:         %s", t0);
    if (fine)
        g_string_append_printf(out, ".%03d", (int)((first % DM_NS_PER_SEC + DM_NS_PER_SEC) %
                                                   DM_NS_PER_SEC / 1000000));
    /* One moment (one transaction, or all within a millisecond) is one time. */
    int ms0 = (int)((first % DM_NS_PER_SEC + DM_NS_PER_SEC) % DM_NS_PER_SEC / 1000000);
    int ms1 = (int)((last % DM_NS_PER_SEC + DM_NS_PER_SEC) % DM_NS_PER_SEC / 1000000);
    if (strcmp(t0, t1) != 0 || ms0 != ms1) {
        g_string_append_printf(out, " to %s", strlen(t1) > 11 ? t1 + 11 : t1);
        if (fine)
            g_string_append_printf(out, ".%03d", ms1);
    }
    g_string_append(out, " UTC\n");
    if (strncmp(t0, t1, 10) != 0)
        g_string_append_printf(out, "                (ends %s)\n", t1);
    g_free(t0);
    g_free(t1);
}

static void
write_finding(GString *out, const dm_tracker *tr, const dm_upstream *up, guint n, finding *f)
{
    char srv[48];
    dm_addr_to_str(dm_tracker_addr(tr, f->server), srv, sizeof srv);
    g_string_append_printf(out, "\nFinding %u: %s to %s port %u%s\n", n,
                           dm_transport_text((dm_transport)f->transport), srv, f->port,
                           up && dm_upstream_is_resolver(up, f->server) ? " (a resolver)" : "");
    GArray *parts = finding_parts(tr, up, f);
    g_string_append_printf(out, "  What failed:  %u of %u transactions (%u of %u %s) for ",
                           f->failed, f->txns, f->failed_queries, f->queries,
                           f->connections == f->txns ? "connection attempts" : "queries sent");
    if (keyset_size(&f->names))
        keyset_list(out, tr, &f->names);
    else
        g_string_append(out, "no question (connection attempts)");
    g_string_append(out, ": ");
    for (guint i = 0, said = 0; i < parts->len; i++)
        if (g_array_index(parts, part, i).what)
            g_string_append_printf(out, "%s%s", said++ ? ", " : "",
                                   g_array_index(parts, part, i).what);
    g_string_append(out, ".\n");

    g_string_append(out, "  Reported by:  ");
    if (f->reporter_order->len) {
        for (guint i = 0; i < f->reporter_order->len; i++) {
            const reporter *r = g_ptr_array_index(f->reporter_order, i);
            char a[48];
            g_string_append_printf(out, "%sICMP%s %s from %s (%s), %u time%s", i ? "; " : "",
                                   r->version == 6 ? "v6" : "", dm_icmp_kind_text(r->kind),
                                   dm_addr_to_str(dm_tracker_addr(tr, r->addr), a, sizeof a),
                                   reporter_role(r), r->count, r->count == 1 ? "" : "s");
        }
        if (f->resets)
            g_string_append_printf(out, "; TCP resets from %s", srv);
    } else if (f->resets) {
        g_string_append_printf(out, "TCP resets from %s", srv);
    } else if (f->wrong) {
        g_string_append(out, "the clients themselves: answers came back from another address, "
                             "and the clients refused them");
    } else if (f->by_outcome[DM_OUTCOME_TLS_FAILED] == f->failed) {
        g_string_append(out, "the TLS handshake, in the clear (an alert, or the connection "
                             "closed during the handshake)");
    } else {
        guint silent = f->by_outcome[DM_OUTCOME_UNANSWERED] + f->by_outcome[DM_OUTCOME_INCOMPLETE];
        g_string_append(out, silent == f->failed ? "nobody: no response and no ICMP error came back"
                             : silent ? "the server's own DNS responses; the rest got no response "
                                        "and no ICMP error"
                                      : "the server itself, in its DNS responses");
    }
    g_string_append(out, ".\n  Likely cause: ");
    for (guint i = 0, said = 0; i < parts->len; i++) {
        part *p = &g_array_index(parts, part, i);
        if (p->cause)
            g_string_append_printf(out, "%s%s", said++ ? "; also " : "", p->cause);
        g_free(p->what);
        g_free(p->cause);
    }
    g_string_append(out, ".\n");
    g_array_free(parts, TRUE);

    g_string_append(out, "  Clients:      ");
    keyset_list(out, tr, &f->clients);
    write_when(out, f->first, f->last);
    g_string_append_printf(out, "  Evidence:     frame%s ", f->frames->len == 1 ? "" : "s");
    dm_frames_to_ranges(f->frames, EVIDENCE_RUNS, out);
    g_string_append(out, "\n");
}

/* ---- what the users felt ----------------------------------------------- */

static gint
cmp_time(gconstpointer a, gconstpointer b)
{
    dm_time x = *(const dm_time *)a, y = *(const dm_time *)b;
    return x < y ? -1 : x > y;
}

/* Failed lookups of end clients that went through one resolver, and why. */
typedef struct {
    guint32 resolver;
    guint32 example;            /* a failed transaction with the resolver: says why */
    guint32 outcomes;           /* what the clients got: a bit per dm_outcome */
    guint lookups;
    keyset clients;
    keyset names;               /* the failed lookups' questions (counted, not listed) */
} via;

static void
note_via(GPtrArray *vias, const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
         const dm_lookup *l)
{
    if (!up)
        return;
    /* The first of its transactions the servers below a resolver failed. */
    guint32 why = l->first_txn;
    while (why && dm_upstream_cause_of(up, why) != DM_UPSTREAM_FAILED)
        why = dm_lookups_next(ls, why);
    if (!why)
        return;
    const dm_txn *last = dm_tracker_txn(tr, why);
    via *v = NULL;
    for (guint i = 0; i < vias->len && !v; i++)
        if (((via *)g_ptr_array_index(vias, i))->resolver == last->server)
            v = g_ptr_array_index(vias, i);
    if (!v) {
        v = g_new0(via, 1);
        v->resolver = last->server;
        v->example = why;
        keyset_init(&v->clients, 0, KS_ADDR);
        keyset_init(&v->names, 0, KS_QUESTION);
        g_ptr_array_add(vias, v);
    }
    v->lookups++;
    v->outcomes |= 1u << dm_txn_outcome(tr, last);
    keyset_add(&v->clients, last->client, last->client);
    keyset_add(&v->names, question_key(tr, last), question_show(last));
}

/* "SERVFAIL", "SERVFAIL or no answer": what the clients of a resolver got. */
static char *
got_text(guint32 outcomes)
{
    GString *s = g_string_new(NULL);
    gboolean silent = FALSE;
    for (int o = 0; o < DM_OUTCOME_COUNT; o++) {
        if (!(outcomes & (1u << o)))
            continue;
        if (o == DM_OUTCOME_UNANSWERED || o == DM_OUTCOME_INCOMPLETE) {
            silent = TRUE;
            continue;
        }
        char *up = g_ascii_strup(dm_outcome_name((dm_outcome)o), -1);
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", up);
        g_free(up);
    }
    if (silent)
        g_string_append(s, s->len ? " or no answer" : "no answer");
    return g_string_free(s, FALSE);
}

static void
via_free(gpointer p)
{
    via *v = p;
    keyset_clear(&v->clients);
    keyset_clear(&v->names);
    g_free(v);
}

/* "2 lookups by 2 clients got SERVFAIL from resolver R because its queries
 * to S for N were answered by ICMP port unreachable (frames ...)." */
static void
write_vias(GString *out, const dm_tracker *tr, const dm_upstream *up, GPtrArray *vias)
{
    for (guint i = 0; i < vias->len; i++) {
        via *v = g_ptr_array_index(vias, i);
        GArray *frames = g_array_new(FALSE, FALSE, sizeof(guint32));
        char *why = dm_upstream_failure_text(tr, up, v->example, frames);
        GString *ev = g_string_new(NULL);
        dm_frames_to_ranges(frames, 8, ev);
        char r[48], *got = got_text(v->outcomes);
        guint nc = keyset_size(&v->clients), nn = keyset_size(&v->names);
        g_string_append_printf(out, "    Why: %u lookup%s by %u client%s got %s from resolver %s "
                               "because its %s (frames %s)", v->lookups,
                               v->lookups == 1 ? "" : "s", nc, nc == 1 ? "" : "s", got,
                               dm_addr_to_str(dm_tracker_addr(tr, v->resolver), r, sizeof r), why,
                               ev->str);
        /* One example says why; a flood of names must not read as one name. */
        if (nn > 1)
            g_string_append_printf(out, "; that is the first of %u questions whose lookups "
                                   "failed below the resolver", nn);
        g_string_append(out, ".\n");
        g_free(got);
        g_string_free(ev, TRUE);
        g_free(why);
        g_array_free(frames, TRUE);
    }
}

static void
write_impact(GString *out, const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
             const dm_ledger *seen, guint failed_txns, guint failed_alone)
{
    GPtrArray *vias = g_ptr_array_new_with_free_func(via_free);
    guint resolvers_own = 0;
    guint by[DM_LOOKUP_COUNT] = { 0 };
    keyset fail_names, fail_clients, rec_servers, all_clients;
    keyset_init(&fail_names, NAMES_LISTED, KS_QUESTION);
    keyset_init(&fail_clients, CLIENTS_LISTED, KS_ADDR);
    keyset_init(&rec_servers, CLIENTS_LISTED, KS_ADDR);
    keyset_init(&all_clients, 0, KS_ADDR);
    GArray *delays = g_array_new(FALSE, FALSE, sizeof(dm_time));
    for (guint32 id = dm_lookups_first(ls); id <= dm_lookups_count(ls); id++) {
        const dm_lookup *l = dm_lookups_get(ls, id);
        if (seen && dm_ledger_lookup_counted(seen, id) == DM_NOT_COUNTED)
            continue;
        if (!dm_tracker_finished(tr) && !l->settled)
            continue;           /* pending: the capture goes on */
        dm_lookup_outcome o = dm_lookup_outcome_of(ls, l);
        const dm_txn *first = dm_tracker_txn(tr, l->first_txn);
        if (!first)
            continue;           /* forgotten (docs/design.md, "Memory") */
        /* A resolver's own lookups are its upstream side, not a user's. */
        if (up && dm_upstream_is_resolver(up, first->client)) {
            resolvers_own++;
            continue;
        }
        by[o]++;
        keyset_add(&all_clients, first->client, first->client);
        if (o == DM_LOOKUP_FAILED) {
            keyset_add(&fail_names, question_key(tr, first), question_show(first));
            keyset_add(&fail_clients, first->client, first->client);
            note_via(vias, tr, ls, up, l);
        } else if (o == DM_LOOKUP_RECOVERED) {
            const dm_txn *d = dm_tracker_txn(tr, l->definitive);
            if (d)
                keyset_add(&rec_servers, d->server, d->server);
            dm_time delay;
            if (dm_lookup_delay(ls, l, &delay))
                g_array_append_val(delays, delay);
        }
    }
    guint total = by[DM_LOOKUP_RESOLVED] + by[DM_LOOKUP_RECOVERED] + by[DM_LOOKUP_FAILED] +
                  by[DM_LOOKUP_INCOMPLETE];
    guint clients = keyset_size(&all_clients);
    g_string_append_printf(out, "%u lookup%s by %u client%s: %u resolved, %u recovered, %u failed, "
                           "%u incomplete.\n", total, total == 1 ? "" : "s", clients,
                           clients == 1 ? "" : "s", by[DM_LOOKUP_RESOLVED], by[DM_LOOKUP_RECOVERED],
                           by[DM_LOOKUP_FAILED], by[DM_LOOKUP_INCOMPLETE]);
    if (resolvers_own)
        g_string_append_printf(out, "%u more lookup%s by resolvers themselves (their upstream "
                               "side, under each resolver's finding).\n", resolvers_own,
                               resolvers_own == 1 ? "" : "s");
    if (failed_txns) {
        g_string_append(out, "\nWhat users felt:\n");
        if (by[DM_LOOKUP_FAILED]) {
            g_string_append_printf(out, "  Failed for good: %u lookup%s of ", by[DM_LOOKUP_FAILED],
                                   by[DM_LOOKUP_FAILED] == 1 ? "" : "s");
            keyset_list(out, tr, &fail_names);
            g_string_append(out, " by ");
            keyset_list(out, tr, &fail_clients);
            g_string_append(out, ".\n");
            write_vias(out, tr, up, vias);
        }
        if (by[DM_LOOKUP_RECOVERED]) {
            g_array_sort(delays, cmp_time);
            dm_time med = g_array_index(delays, dm_time, (delays->len - 1) / 2);
            dm_time max = g_array_index(delays, dm_time, delays->len - 1);
            char *med_s = dm_duration_text_like(med, max), *max_s = dm_duration_text(max);
            g_string_append_printf(out, "  Recovered: %u lookup%s after failed tries, on ",
                                   by[DM_LOOKUP_RECOVERED], by[DM_LOOKUP_RECOVERED] == 1 ? "" : "s");
            keyset_list(out, tr, &rec_servers);
            g_string_append_printf(out, "; added delay median %s, max %s.\n", med_s, max_s);
            g_free(med_s);
            g_free(max_s);
        }
        if (!by[DM_LOOKUP_FAILED] && !by[DM_LOOKUP_INCOMPLETE] && !failed_alone)
            g_string_append(out, "  Every failure recovered: no lookup failed for good.\n");
        if (failed_alone)
            g_string_append_printf(out, "  Outside any lookup: %u failed transaction%s without a "
                                   "question (connection attempts, encrypted connections read "
                                   "without keys, malformed queries).\n",
                                   failed_alone, failed_alone == 1 ? "" : "s");
        if (by[DM_LOOKUP_INCOMPLETE])
            g_string_append_printf(out, "  Still open when the capture ended: %u lookup%s.\n",
                                   by[DM_LOOKUP_INCOMPLETE], by[DM_LOOKUP_INCOMPLETE] == 1 ? "" : "s");
    }
    g_array_free(delays, TRUE);
    g_ptr_array_free(vias, TRUE);
    keyset_clear(&fail_names);
    keyset_clear(&fail_clients);
    keyset_clear(&rec_servers);
    keyset_clear(&all_clients);
}

/* ---- falling back to unencrypted DNS ----------------------------------- */

typedef struct {
    guint32 attempt;            /* a failed encrypted transaction: what is said of the group */
    guint txns;
    keyset clients;
    GArray *frames;             /* guint32: the failed attempts' first frames */
} fallback;

/* Plain transactions that followed a failed encrypted attempt, grouped by
 * where and how it failed: "clients fall back to unencrypted DNS because
 * DNS over TLS to S is reset". */
static void
write_downgrades(GString *out, const dm_tracker *tr, const dm_downgrades *dg,
                 const dm_ledger *seen)
{
    if (!dm_downgrades_ready(dg))
        return;
    GPtrArray *groups = g_ptr_array_new();
    GHashTable *by = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *attempts = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint32 id = dm_tracker_first(tr); id <= dm_tracker_txn_count(tr); id++) {
        guint32 of = dm_downgrade_of(dg, id);
        if (!of || (seen && !dm_ledger_seen(seen, id)))
            continue;
        const dm_txn *e = dm_tracker_txn(tr, of);
        char *how = dm_encrypted_failure_text(tr, e);
        char *key = g_strdup_printf("%u/%u/%s", e->transport, e->server, how);
        g_free(how);
        fallback *g = g_hash_table_lookup(by, key);
        if (!g) {
            g = g_new0(fallback, 1);
            g->attempt = of;
            keyset_init(&g->clients, CLIENTS_LISTED, KS_ADDR);
            g->frames = g_array_new(FALSE, FALSE, sizeof(guint32));
            g_hash_table_insert(by, key, g);
            g_ptr_array_add(groups, g);
        } else {
            g_free(key);
        }
        g->txns++;
        const dm_txn *t = dm_tracker_txn(tr, id);
        keyset_add(&g->clients, t->client, t->client);
        if (!g_hash_table_contains(attempts, GUINT_TO_POINTER(of))) {
            g_hash_table_add(attempts, GUINT_TO_POINTER(of));
            guint32 f = dm_tracker_item_frame(tr, e->first_item);
            g_array_append_val(g->frames, f);
        }
    }
    if (groups->len)
        g_string_append(out, "\nFallback to unencrypted DNS (a privacy finding):\n");
    for (guint i = 0; i < groups->len; i++) {
        fallback *g = g_ptr_array_index(groups, i);
        const dm_txn *e = dm_tracker_txn(tr, g->attempt);
        char srv[48], *how = dm_encrypted_failure_text(tr, e);
        guint nc = keyset_size(&g->clients);
        g_string_append_printf(out, "  %u client%s fall%s back to unencrypted DNS because %s to "
                               "%s fails (%s): %u plain DNS transaction%s after it. Clients: ",
                               nc, nc == 1 ? "" : "s", nc == 1 ? "s" : "",
                               dm_transport_text((dm_transport)e->transport),
                               dm_addr_to_str(dm_tracker_addr(tr, e->server), srv, sizeof srv),
                               how, g->txns, g->txns == 1 ? "" : "s");
        keyset_list(out, tr, &g->clients);
        g_string_append(out, ". Failed attempts: frame");
        g_string_append(out, g->frames->len == 1 ? " " : "s ");
        dm_frames_to_ranges(g->frames, EVIDENCE_RUNS, out);
        g_string_append(out, ".\n");
        g_free(how);
        keyset_clear(&g->clients);
        g_array_free(g->frames, TRUE);
        g_free(g);
    }
    g_ptr_array_free(groups, TRUE);
    g_hash_table_destroy(by);
    g_hash_table_destroy(attempts);
}

/* ---- the report -------------------------------------------------------- */

void
dm_report_write(const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
                     const dm_downgrades *dg, const dm_ledger *seen, GString *out)
{
    GHashTable *by_server = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    GPtrArray *order = g_ptr_array_new_with_free_func(finding_free);
    guint32 n = dm_tracker_txn_count(tr);
    finding **of = g_new0(finding *, n + 1);    /* failed transactions' findings */
    guint total = 0, failed = 0, failed_alone = 0, healthy = 0, pending = 0;
    guint healthy_by[DM_OUTCOME_COUNT] = { 0 };
    guint tc_retried_ok = 0, tc_retried_failed = 0, tc_not_retried = 0;
    gboolean final = dm_tracker_finished(tr);
    GHashTable *healthy_servers = g_hash_table_new(g_direct_hash, g_direct_equal);
    double rtt_sum = 0;
    guint rtt_n = 0;

    for (guint32 i = dm_tracker_first(tr); i <= n; i++) {
        const dm_txn *t = dm_tracker_txn(tr, i);
        if (seen && !dm_ledger_seen(seen, i))
            continue;
        if (!final && !(t->flags & DM_T_SETTLED)) {
            pending++;          /* the capture goes on: its fate is not known yet */
            continue;
        }
        dm_outcome o = dm_txn_outcome(tr, t);
        const dm_txn_ext *e = dm_tracker_ext(tr, t);
        total++;
        finding *f = finding_for(by_server, order, t);
        f->txns++;
        gboolean connection = (t->flags & DM_T_CONNECTION) != 0;
        guint attempts = connection && e ? e->syns : dm_txn_attempts(tr, t);
        f->queries += attempts;
        f->connections += connection;
        if (o == DM_OUTCOME_TRUNCATED) {
            /* Not healthy by itself: its TCP retry tells. */
            const dm_txn *retry = e && e->fallback_in ? dm_tracker_txn(tr, e->fallback_in) : NULL;
            if (!retry)
                tc_not_retried++;
            else if (dm_outcome_is_failure(dm_txn_outcome(tr, retry)))
                tc_retried_failed++;
            else
                tc_retried_ok++;
            continue;
        }
        if (!dm_outcome_is_failure(o)) {
            healthy++;
            healthy_by[o]++;
            g_hash_table_add(healthy_servers, GUINT_TO_POINTER(t->server));
            dm_time rtt;
            if (dm_txn_rtt(tr, t, &rtt)) {
                rtt_sum += (double)rtt / 1e6;
                rtt_n++;
            }
            continue;
        }
        failed++;
        /* a resolver's own question-less attempts are its upstream side */
        failed_alone += dm_lookups_of(ls, i) || (up && dm_upstream_is_resolver(up, t->client))
                            ? 0 : 1;
        of[i] = f;
        f->failed++;
        f->failed_queries += attempts;
        f->by_outcome[o]++;
        const dm_icmp *ic = dm_txn_icmp_on_query(tr, t);
        if (e && e->fallback_of && (o == DM_OUTCOME_REJECTED || o == DM_OUTCOME_UNANSWERED))
            f->fallbacks_failed++;
        if (o == DM_OUTCOME_REJECTED && ic)
            f->by_icmp[ic->kind]++;
        else if (o == DM_OUTCOME_REJECTED)
            f->resets++;
        if (o == DM_OUTCOME_WRONG_SOURCE && e) {
            if (!f->wrong++) {
                f->wrong_from = e->wrong_from;
                f->wrong_port = e->wrong_port;
            }
        }
        dm_upstream_cause cause = up ? dm_upstream_cause_of(up, i) : DM_UPSTREAM_NONE;
        if (cause == DM_UPSTREAM_ANSWERED && o == DM_OUTCOME_NXDOMAIN)
            f->nx_relayed++;
        else
            f->by_cause[cause]++;
        if (cause == DM_UPSTREAM_FAILED && !f->cause_txn)
            f->cause_txn = i;
        if ((t->flags & DM_T_EDE) && e) {
            gpointer k = GUINT_TO_POINTER((guint)e->ede_code + 1);
            g_hash_table_insert(f->ede, k,
                                GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(f->ede, k)) + 1));
        }
        keyset_add(&f->clients, t->client, t->client);
        if (t->name)
            keyset_add(&f->names, question_key(tr, t), question_show(t));
        f->first = MIN(f->first, t->first_ts);
        f->last = MAX(f->last, dm_txn_last_ts(tr, t));
        if (t->flags & DM_T_ANSWERED)
            f->last = MAX(f->last, dm_txn_answer_ts(tr, t));
        note_reporters(f, tr, t);
    }
    /* Evidence: every frame of the failed transactions, in one pass. */
    for (guint32 id = dm_tracker_first_item(tr); id <= dm_tracker_item_count(tr); id++) {
        const dm_item *it = dm_tracker_item(tr, id);
        guint32 frame = dm_tracker_item_frame(tr, id);
        if (it->txn && of[it->txn] && frame) {
            g_array_append_val(of[it->txn]->frames, frame);
            if (it->role == DM_ROLE_ICMP)
                of[it->txn]->last = MAX(of[it->txn]->last, dm_tracker_icmp_ref(tr, dm_item_ref(tr, it))->ts);
        }
    }
    g_free(of);

    guint affected = 0;
    for (guint i = 0; i < order->len; i++)
        affected += ((finding *)g_ptr_array_index(order, i))->failed ? 1 : 0;
    g_string_append(out, "dnsmon incident report\n");
    g_string_append_printf(out, "%u DNS transaction%s, %u failed, %u server%s affected.\n", total,
                           total == 1 ? "" : "s", failed, affected, affected == 1 ? "" : "s");
    if (pending)
        g_string_append_printf(out, "The capture goes on: %u more transaction%s still pending "
                               "(not counted until they settle).\n", pending,
                               pending == 1 ? "" : "s");
    write_impact(out, tr, ls, up, seen, failed, failed_alone);
    g_ptr_array_sort(order, cmp_findings);
    guint k = 0;
    for (guint i = 0; i < order->len; i++) {
        finding *f = g_ptr_array_index(order, i);
        if (f->failed)
            write_finding(out, tr, up, ++k, f);
    }
    if (!k)
        g_string_append(out, "\nNo failed DNS transactions.\n");
    if (dg)
        write_downgrades(out, tr, dg, seen);
    g_string_append(out, "\nHealthy traffic: ");
    if (healthy) {
        guint ns = g_hash_table_size(healthy_servers);
        g_string_append_printf(out, "%u transaction%s to %u server%s answered (%u with data, %u "
                               "NOERROR without data", healthy, healthy == 1 ? "" : "s",
                               ns, ns == 1 ? "" : "s", healthy_by[DM_OUTCOME_ANSWERED],
                               healthy_by[DM_OUTCOME_NODATA]);
        /* The other outcomes that are not failures, when there are any. */
        if (healthy_by[DM_OUTCOME_REFERRAL])
            g_string_append_printf(out, ", %u referral%s", healthy_by[DM_OUTCOME_REFERRAL],
                                   healthy_by[DM_OUTCOME_REFERRAL] == 1 ? "" : "s");
        if (healthy_by[DM_OUTCOME_ENCRYPTED])
            g_string_append_printf(out, ", %u encrypted connection%s read without keys",
                                   healthy_by[DM_OUTCOME_ENCRYPTED],
                                   healthy_by[DM_OUTCOME_ENCRYPTED] == 1 ? "" : "s");
        g_string_append(out, ")");
        if (rtt_n)
            g_string_append_printf(out, ", average response time %.1f ms", rtt_sum / rtt_n);
        g_string_append(out, ".\n");
    } else {
        g_string_append(out, "none: no DNS transaction in this capture was answered.\n");
    }
    guint tc = tc_retried_ok + tc_retried_failed + tc_not_retried;
    if (tc)
        g_string_append_printf(out, "Truncated answers: %u UDP answer%s with TC=1 sent the client "
                               "to TCP: %u retr%s answered, %u failed, %u not retried in the "
                               "capture.\n", tc, tc == 1 ? "" : "s", tc_retried_ok,
                               tc_retried_ok == 1 ? "y" : "ies", tc_retried_failed, tc_not_retried);
    g_hash_table_destroy(healthy_servers);
    g_hash_table_destroy(by_server);
    g_ptr_array_free(order, TRUE);
}
