/* tap_tree.c — the stats tree: -z dnsmon,tree; Statistics → DNS Monitor →
 * DNS Transactions (docs/design.md, "Statistics").
 *
 * The packet callback only counts, in dnsmon's own tables (a ledger says
 * when a transaction or lookup is counted and under which outcome; what a
 * frame says by itself — an ICMP error, a query sent, a response time — is
 * counted once per frame item, however often or in whatever order a retap
 * delivers it). The tree's nodes are written when the tree is drawn, by a
 * second listener on the same tap that is drawn just before the tree's own
 * (taps.c): then rows exist only for what happened, the sections come in a
 * logical order, and the per-server, per-client and per-name sections show
 * the top rows by failures with an "Other" row for the rest — never a row
 * per distinct name an attacker makes up. It writes only what the tree's
 * own packet callback fed since (Wireshark's window fills a tree once per
 * retap and stops drawing it: nothing may change it behind the window's
 * back). The engine is only read: what has not settled is "pending".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

#include "dnsmon_describe.h"
#include "dnsmon_hash.h"
#include "dnsmon_tally.h"
#include "dnsmon_listener.h"

/* Rows per section (servers, clients, names). */
#define TOP_N 20

#define ST_TXNS "Transactions"
#define ST_FAILED "Failed transactions"
#define ST_LOOKUPS "Lookups"
#define ST_SERVERS "By server"
#define ST_CLIENTS "By client"
#define ST_NAMES "Failing names"
#define ST_ICMP "ICMP errors about DNS"
#define ST_ICMP_REPORTER "By reporter"
#define ST_ICMP_KIND "By kind"
#define ST_QUERIES "Queries sent"
#define ST_RTX "Retransmissions"
#define ST_RTT "Response time (µs)"
#define ST_RTT_BUCKETS "Response time buckets (ms)"
#define ST_RESOLVERS "Resolvers: failures by upstream cause"
#define ST_DOWNGRADES "Downgrades to unencrypted DNS"

static const char *const bucket_names[] = {
    "0-9", "10-99", "100-499", "500-999", "1000-4999", "5000-"
};

/* The order transactions by outcome are listed in. */
static const dm_outcome outcome_order[] = {
    DM_OUTCOME_ANSWERED, DM_OUTCOME_NODATA, DM_OUTCOME_REFERRAL, DM_OUTCOME_TRUNCATED,
    DM_OUTCOME_ENCRYPTED, DM_OUTCOME_NXDOMAIN, DM_OUTCOME_SERVFAIL, DM_OUTCOME_REFUSED,
    DM_OUTCOME_ERROR, DM_OUTCOME_LAME, DM_OUTCOME_REJECTED, DM_OUTCOME_TLS_FAILED,
    DM_OUTCOME_WRONG_SOURCE, DM_OUTCOME_INCOMPLETE, DM_OUTCOME_UNANSWERED,
};

typedef struct {
    char *label;
    guint counts[DM_OUTCOME_COUNT];
    guint total, failed;
    GArray *rtt;                /* guint32 µs, servers only */
    gboolean shown;             /* it has rows in the tree */
    guint32 shown_outcomes;     /* bit per outcome with a row */
    guint rtt_fed;              /* samples already added to its response time node */
} row;

typedef struct {
    stats_tree *st;
    dm_ledger *ledger;
    dnsmon_source src;
    guint counts[DM_OUTCOME_COUNT];
    guint lookups[DM_LOOKUP_COUNT];
    GHashTable *servers;        /* server_key() -> row */
    GHashTable *clients;        /* interned address id (sequential, ours) -> row */
    dm_tally names;             /* name_key() -> failed transactions: 16 bytes a name,
                                 * labels only for the rows drawn */
    GHashTable *reporters;      /* "addr (who)" -> count */
    guint icmp_kind[DM_ICMP_KIND_COUNT];
    guint icmp, queries, retransmissions;
    GByteArray *items_counted;  /* a bit per frame item: its own counts are in */
    gboolean fed;               /* the packet callback ran since the last draw */
    gboolean percentiles_done;  /* the per-server percentiles are written (final only) */
    gboolean final;             /* drawing a finished engine */
    gboolean resolvers_done;    /* the resolvers node is written (final only) */
    gboolean downgrades_done;   /* the downgrades node is written (final only) */
    gboolean shown_pending;     /* the pending row exists */
    guint buckets[G_N_ELEMENTS(bucket_names)];
    guint32 shown_outcomes, shown_lookups, shown_kinds;
    int n_txns, n_lookups, n_servers, n_clients, n_names, n_icmp, n_reporter, n_kind, n_queries,
        n_buckets;
    dnsmon_drawer *fin;       /* draws it, see dnsmon_drawer_attach() */
} tree;

/* stats_tree has no user data: trees by their stats_tree. */
static GHashTable *trees;

static void
row_free(gpointer p)
{
    row *r = p;
    g_free(r->label);
    if (r->rtt)
        g_array_free(r->rtt, TRUE);
    g_free(r);
}

static void
tree_clear(tree *t)
{
    memset(t->counts, 0, sizeof t->counts);
    memset(t->lookups, 0, sizeof t->lookups);
    memset(t->icmp_kind, 0, sizeof t->icmp_kind);
    memset(t->buckets, 0, sizeof t->buckets);
    t->icmp = t->queries = t->retransmissions = 0;
    g_byte_array_set_size(t->items_counted, 0);
    t->fed = t->percentiles_done = t->final = t->shown_pending = t->resolvers_done = FALSE;
    t->downgrades_done = FALSE;
    g_hash_table_remove_all(t->servers);     /* rtt_fed restarts with the rows */
    g_hash_table_remove_all(t->clients);
    dm_tally_clear(&t->names);
    g_hash_table_remove_all(t->reporters);
    dm_ledger_reset(t->ledger);
    dnsmon_source_forget(&t->src);
}

/* The row of key in h; made, with the label make(src, x) gives, when it is
 * not there yet (labels are formatted once per row, not per transaction). */
static row *
row_get(GHashTable *h, gconstpointer key, gsize key_size, char *(*make)(const dm_tracker *,
                                                                        const dm_txn *),
        const dm_tracker *tr, const dm_txn *x)
{
    row *r = g_hash_table_lookup(h, key);
    if (!r) {
        r = g_new0(row, 1);
        r->label = make(tr, x);
        g_hash_table_insert(h, key_size ? g_memdup2(key, key_size) : (gpointer)key, r);
    }
    return r;
}

/* 64-bit row keys, hashed under the process's random key: addresses, ports,
 * query types and so names' ids follow what senders choose. */
static guint
key64_hash(gconstpointer k)
{
    return (guint)dm_hash(k, sizeof(guint64));
}

static guint64
server_key(const dm_txn *x)
{
    return (guint64)x->server << 24 | (guint64)x->server_port << 8 | x->transport;
}

/* A failing name's key: its case-folded name id over its query type. */
static guint64
name_key(const dm_tracker *tr, const dm_txn *x)
{
    return (guint64)dm_tracker_name_folded(tr, x->name) << 16 | x->qtype;
}

static const char *
name_key_name(const dm_tracker *tr, guint64 key)
{
    return dm_tracker_name(tr, (guint32)(key >> 16));
}

static const char *
name_key_qtype(guint64 key, char *buf, gsize len)
{
    return dm_qtype_text((guint16)key, buf, len);
}

static char *
client_label(const dm_tracker *tr, const dm_txn *x)
{
    char a[48];
    return g_strdup(dm_addr_to_str(dm_tracker_addr(tr, x->client), a, sizeof a));
}

/* A name row's label, from its key: the case-folded spelling, the same
 * whichever transaction was counted first (resolvers randomise case). */
static char *
name_label(const dm_tracker *tr, guint64 key)
{
    char b[16];
    return g_strdup_printf("%s %s", name_key_name(tr, key), name_key_qtype(key, b, sizeof b));
}

static row *
server_row(tree *t, const dm_txn *x)
{
    guint64 k = server_key(x);
    return row_get(t->servers, &k, sizeof k, dnsmon_server_text, t->src.v.tr, x);
}

/* ---- counting ---------------------------------------------------------- */

static void
row_count(row *r, int o, int sign)
{
    r->counts[o] += (guint)sign;
    r->total += (guint)sign;
    if (dm_outcome_is_failure((dm_outcome)o))
        r->failed += (guint)sign;
}

static void
count_txn(tree *t, const dm_txn *x, int o, int sign)
{
    const dm_tracker *tr = t->src.v.tr;
    t->counts[o] += (guint)sign;
    row_count(server_row(t, x), o, sign);
    row_count(row_get(t->clients, GUINT_TO_POINTER(x->client), 0, client_label, tr, x), o, sign);
    if (x->name && dm_outcome_is_failure((dm_outcome)o))
        dm_tally_get(&t->names, name_key(tr, x))->count += (guint32)sign;
}

static void
txn_moved(void *user, guint32 id, int old, int now)
{
    tree *t = user;
    const dm_txn *x = dm_tracker_txn(t->src.v.tr, id);
    if (old != DM_NOT_COUNTED)
        count_txn(t, x, old, -1);
    count_txn(t, x, now, +1);
}

static void
lookup_moved(void *user, guint32 id, int old, int now)
{
    tree *t = user;
    (void)id;
    if (old != DM_NOT_COUNTED)
        t->lookups[old]--;
    t->lookups[now]++;
}

static const dm_ledger_fns fns = { txn_moved, lookup_moved };

/* Whether item id was counted already; marks it counted. */
static gboolean
item_counted(tree *t, guint32 id)
{
    GByteArray *b = t->items_counted;
    guint byte = id / 8;
    if (b->len <= byte) {
        guint old = b->len;
        g_byte_array_set_size(b, MAX(byte + 1, old * 2));
        memset(b->data + old, 0, b->len - old);
    }
    guint8 bit = (guint8)(1u << (id % 8));
    if (b->data[byte] & bit)
        return TRUE;
    b->data[byte] |= bit;
    return FALSE;
}

/* What frames say by themselves: ICMP errors, queries sent, response times;
 * each item once. */
static void
count_item(tree *t, guint32 id)
{
    const dm_tracker *tr = t->src.v.tr;
    const dm_item *it = dm_tracker_item(tr, id);
    if (!it || item_counted(t, id))
        return;
    if (it->role == DM_ROLE_ICMP) {
        const dm_icmp *ic = dm_tracker_icmp_ref(tr, dm_item_ref(tr, it));
        char a[48];
        char *r = g_strdup_printf("%s (%s)", dm_addr_to_str(dm_tracker_addr(tr, ic->reporter), a,
                                                            sizeof a),
                                  dm_reporter_text((dm_reporter)ic->who));
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t->reporters, r));
        g_hash_table_insert(t->reporters, r, GUINT_TO_POINTER(n + 1));
        t->icmp++;
        t->icmp_kind[ic->kind]++;
        return;
    }
    const dm_txn *x = dm_tracker_txn(tr, it->txn);
    if (!x)
        return;
    if (it->role == DM_ROLE_QUERY && !(it->flags & DM_F_SYN)) {
        t->queries++;
        if (dm_item_ref(tr, it) > 1)
            t->retransmissions++;
    } else if (it->role == DM_ROLE_RESPONSE && dm_txn_answer_item(tr, x) == id) {
        dm_time rtt;
        if (!dm_txn_rtt(tr, x, &rtt))
            return;
        double ms = (double)rtt / 1e6;
        gint us = (gint)MIN(rtt / 1000, (dm_time)G_MAXINT);
        avg_stat_node_add_value_int(t->st, ST_RTT, 0, TRUE, us);
        static const double edges[] = { 10, 100, 500, 1000, 5000 };
        guint b = 0;
        while (b < G_N_ELEMENTS(edges) && ms >= edges[b])
            b++;
        t->buckets[b]++;
        row *r = server_row(t, x);
        if (!r->rtt)
            r->rtt = g_array_new(FALSE, FALSE, sizeof(guint32));
        guint32 u = (guint32)us;
        g_array_append_val(r->rtt, u);
    }
}

static void draw(void *user);

static tap_packet_status
tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
            tap_flags_t flags _U_)
{
    tree *t = g_hash_table_lookup(trees, st);
    const dnsmon_tap_data *d = data;
    if (!t || !d)
        return TAP_PACKET_DONT_REDRAW;
    if (t->src.v.generation != d->v.generation)
        tree_clear(t);
    dnsmon_source_note(&t->src, d);
    dnsmon_drawer_attach(&t->fin, draw, t);
    dm_ledger_update(t->ledger, d->v.tr, d->v.ls, d->item, &fns, t);
    count_item(t, d->item);
    t->fed = TRUE;
    return TAP_PACKET_REDRAW;
}

/* ---- drawing ----------------------------------------------------------- */

/* Every node is made "with children": stats_tree finds a node again by
 * name only if it was registered so (a leaf made by set_stat_node() without
 * it is made anew at every call, a duplicate row at every draw). */
static int
set_node(stats_tree *st, const char *name, int parent, guint v)
{
    return set_stat_node(st, name, parent, TRUE, (gint)MIN(v, (guint)G_MAXINT));
}

/* Wireshark's window sorts every level (by name on 4.0, by count on 4.6)
 * and no flag keeps tshark's order; "sort top" keeps the three sections
 * that say what happened above the breakdowns. stats_tree_reset() clears
 * flags: set at every draw. */
static void
lead(stats_tree *st, const char *name)
{
    stat_node_set_flags(st, name, 0, TRUE, ST_FLG_SORT_TOP);
}

/* Rows by outcome under parent, only for outcomes that happened. */
static void
draw_outcomes(stats_tree *st, int parent, const guint *counts, guint32 *shown)
{
    for (gsize i = 0; i < G_N_ELEMENTS(outcome_order); i++) {
        dm_outcome o = outcome_order[i];
        if (counts[o] || (*shown & (1u << o))) {
            *shown |= 1u << o;
            set_node(st, dm_outcome_name(o), parent, counts[o]);
        }
    }
}

static gint
cmp_rows(gconstpointer a, gconstpointer b)
{
    const row *x = *(row *const *)a, *y = *(row *const *)b;
    if (x->failed != y->failed)
        return x->failed > y->failed ? -1 : 1;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->label, y->label);
}

static gint
cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

/* A server's response times: an average node with their count, average,
 * min and max (fed the samples it has not seen yet: they only ever grow).
 * Once the capture has ended, under it the fastest 50, 90 and 99 % of them
 * as average nodes of their own: each one's Max is that percentile
 * (nearest rank) and its Percent how many that is; every column means what
 * it says. stats_tree cannot take samples back, so they are written once,
 * when nothing can change any more. */
#define ST_SERVER_RTT "response time (µs)"
static void
draw_percentiles(tree *t, int parent, row *r)
{
    stats_tree *st = t->st;
    const GArray *rtt = r->rtt;
    if (!rtt || !rtt->len)
        return;
    for (; r->rtt_fed < rtt->len; r->rtt_fed++)
        avg_stat_node_add_value_int(st, ST_SERVER_RTT, parent, TRUE,
                                    (gint)g_array_index(rtt, guint32, r->rtt_fed));
    if (!t->final || t->percentiles_done)
        return;
    parent = stats_tree_manip_node_int(MN_SET_FLAGS, st, ST_SERVER_RTT, parent, TRUE, 0);
    guint32 *v = g_memdup2(rtt->data, rtt->len * sizeof(guint32));
    qsort(v, rtt->len, sizeof(guint32), cmp_u32);
    static const struct { const char *name; double p; } ps[] = {
        { "fastest 50 % (Max: median)", 0.50 }, { "fastest 90 % (Max: p90)", 0.90 },
        { "fastest 99 % (Max: p99)", 0.99 }
    };
    for (gsize i = 0; i < G_N_ELEMENTS(ps); i++) {
        guint k = (guint)(ps[i].p * rtt->len + 0.999999);
        k = MAX(k, 1);
        for (guint j = 0; j < MIN(k, rtt->len); j++)
            avg_stat_node_add_value_int(st, ps[i].name, parent, TRUE, (gint)v[j]);
    }
    g_free(v);
}

/* The top rows of a section by failures, each with its outcomes, and one
 * for the rest. */
static void
draw_section(tree *t, int parent, GHashTable *h, const char *other, gboolean rtt)
{
    stats_tree *st = t->st;
    GPtrArray *rows = g_ptr_array_new();
    GHashTableIter i;
    gpointer k, v;
    g_hash_table_iter_init(&i, h);
    while (g_hash_table_iter_next(&i, &k, &v))
        if (((row *)v)->total)
            g_ptr_array_add(rows, v);
    g_ptr_array_sort(rows, cmp_rows);
    guint rest = 0;
    for (guint n = 0; n < rows->len; n++) {
        row *r = g_ptr_array_index(rows, n);
        if (n >= TOP_N && !r->shown) {
            rest += r->total;
            continue;
        }
        r->shown = TRUE;
        int id = set_node(st, r->label, parent, r->total);
        draw_outcomes(st, id, r->counts, &r->shown_outcomes);
        if (rtt)
            draw_percentiles(t, id, r);
    }
    if (rest)
        set_node(st, other, parent, rest);
    g_ptr_array_free(rows, TRUE);
}

/* Failing names by failed transactions, most first, then by name (which
 * is all cmp_rows's label order compares for these rows). */
static gint
cmp_names(gconstpointer a, gconstpointer b, gpointer user)
{
    const tree *t = user;
    const dm_tally_row *x = dm_tally_at(&t->names, *(const guint32 *)a);
    const dm_tally_row *y = dm_tally_at(&t->names, *(const guint32 *)b);
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    const dm_tracker *tr = t->src.v.tr;
    int c = g_strcmp0(name_key_name(tr, x->key), name_key_name(tr, y->key));
    if (c)
        return c;
    char bx[16], by[16];
    return strcmp(name_key_qtype(x->key, bx, sizeof bx), name_key_qtype(y->key, by, sizeof by));
}

/* The failing names section, as draw_section draws the others: the top
 * rows, every row once drawn (stats_tree cannot remove one), the rest as
 * one "Other names" row. Labels are made for the rows drawn only. */
static void
draw_names(tree *t)
{
    stats_tree *st = t->st;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint named = 0;
    for (guint32 i = 0; i < dm_tally_len(&t->names); i++) {
        const dm_tally_row *r = dm_tally_at(&t->names, i);
        named += r->count;
        if (r->count || r->shown)
            g_array_append_val(ids, i);
    }
    set_node(st, ST_NAMES, 0, named);
    g_array_sort_with_data(ids, cmp_names, t);
    guint rest = 0;
    for (guint n = 0; n < ids->len; n++) {
        dm_tally_row *r = dm_tally_at(&t->names, g_array_index(ids, guint32, n));
        if (n >= TOP_N && !r->shown) {
            rest += r->count;
            continue;
        }
        r->shown = TRUE;
        char *label = name_label(t->src.v.tr, r->key);
        set_node(st, label, t->n_names, r->count);
        g_free(label);
    }
    if (rest)
        set_node(st, "Other names", t->n_names, rest);
    g_array_free(ids, TRUE);
}

/* Per resolver: its clients' failed transactions by upstream cause, and
 * under upstream_failed the servers below it that failed. Decided only
 * once the pass is over; written once (docs/design.md, "Resolvers"). */
typedef struct {
    guint32 resolver;
    guint by[DM_UPSTREAM_COUNT];
    guint total;
    GHashTable *servers;        /* interned address -> failed transactions (count) */
} resolver_row;

static gint
cmp_resolvers(gconstpointer a, gconstpointer b)
{
    const resolver_row *x = *(resolver_row *const *)a, *y = *(resolver_row *const *)b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return x->resolver < y->resolver ? -1 : x->resolver > y->resolver;
}

static void
draw_resolvers(tree *t)
{
    const dm_tracker *tr = t->src.v.tr;
    const dm_upstream *up = t->src.v.up;
    if (!t->final || t->resolvers_done || !up || !dm_upstream_ready(up))
        return;
    t->resolvers_done = TRUE;
    GHashTable *rows = g_hash_table_new(g_direct_hash, g_direct_equal);
    GPtrArray *order = g_ptr_array_new();
    guint total = 0;
    for (guint32 id = dm_tracker_first(tr); id <= dm_tracker_txn_count(tr); id++) {
        dm_upstream_cause c = dm_upstream_cause_of(up, id);
        if (c == DM_UPSTREAM_NONE || dm_ledger_counted(t->ledger, id) == DM_NOT_COUNTED)
            continue;
        guint32 r = dm_tracker_txn(tr, id)->server;
        resolver_row *row = g_hash_table_lookup(rows, GUINT_TO_POINTER(r));
        if (!row) {
            row = g_new0(resolver_row, 1);
            row->resolver = r;
            row->servers = g_hash_table_new(g_direct_hash, g_direct_equal);
            g_hash_table_insert(rows, GUINT_TO_POINTER(r), row);
            g_ptr_array_add(order, row);
        }
        row->by[c]++;
        row->total++;
        total++;
        const guint32 *s;
        guint ns = dm_upstream_failed_servers(up, id, &s);
        for (guint i = 0; i < ns; i++) {
            gpointer k = GUINT_TO_POINTER(s[i]);
            g_hash_table_insert(row->servers, k, GUINT_TO_POINTER(
                GPOINTER_TO_UINT(g_hash_table_lookup(row->servers, k)) + 1));
        }
    }
    if (total) {
        stats_tree *st = t->st;
        int top = set_node(st, ST_RESOLVERS, 0, total);
        g_ptr_array_sort(order, cmp_resolvers);
        guint rest = 0;
        for (guint i = 0; i < order->len; i++) {
            resolver_row *row = g_ptr_array_index(order, i);
            if (i >= TOP_N) {
                rest += row->total;
                continue;
            }
            char a[48];
            int rid = set_node(st, dm_addr_to_str(dm_tracker_addr(tr, row->resolver), a, sizeof a),
                               top, row->total);
            for (int c = DM_UPSTREAM_FAILED; c < DM_UPSTREAM_COUNT; c++) {
                if (!row->by[c])
                    continue;
                int cid = set_node(st, dm_upstream_cause_name((dm_upstream_cause)c), rid,
                                   row->by[c]);
                if (c != DM_UPSTREAM_FAILED)
                    continue;
                GHashTableIter it;
                gpointer k, v;
                guint listed = 0;
                g_hash_table_iter_init(&it, row->servers);
                while (g_hash_table_iter_next(&it, &k, &v) && listed++ < TOP_N)
                    set_node(st, dm_addr_to_str(dm_tracker_addr(tr, GPOINTER_TO_UINT(k)), a,
                                                sizeof a), cid, GPOINTER_TO_UINT(v));
            }
        }
        if (rest)
            set_node(st, "Other resolvers", top, rest);
    }
    for (guint i = 0; i < order->len; i++) {
        resolver_row *row = g_ptr_array_index(order, i);
        g_hash_table_destroy(row->servers);
        g_free(row);
    }
    g_ptr_array_free(order, TRUE);
    g_hash_table_destroy(rows);
}

/* Plain transactions after a failed encrypted attempt, by where and how it
 * failed (docs/design.md, "Encrypted DNS"); written once, when final. */
static void
draw_downgrades(tree *t)
{
    const dm_tracker *tr = t->src.v.tr;
    const dm_downgrades *dg = t->src.v.dg;
    if (!t->final || t->downgrades_done || !dg || !dm_downgrades_ready(dg))
        return;
    t->downgrades_done = TRUE;
    GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    guint total = 0;
    for (guint32 id = dm_tracker_first(tr); id <= dm_tracker_txn_count(tr); id++) {
        guint32 of = dm_downgrade_of(dg, id);
        if (!of || dm_ledger_counted(t->ledger, id) == DM_NOT_COUNTED)
            continue;
        const dm_txn *e = dm_tracker_txn(tr, of);
        char a[48], *how = dm_encrypted_failure_text(tr, e);
        char *label = g_strdup_printf("%s to %s (%s)", dm_transport_text((dm_transport)e->transport),
                                      dm_addr_to_str(dm_tracker_addr(tr, e->server), a, sizeof a),
                                      how);
        g_free(how);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(rows, label));
        if (!n && g_hash_table_size(rows) < TOP_N)
            g_ptr_array_add(order, g_strdup(label));
        g_hash_table_insert(rows, label, GUINT_TO_POINTER(n + 1));
        total++;
    }
    if (total) {
        int top = set_node(t->st, ST_DOWNGRADES, 0, total);
        for (guint i = 0; i < order->len; i++)
            set_node(t->st, g_ptr_array_index(order, i), top,
                     GPOINTER_TO_UINT(g_hash_table_lookup(rows, g_ptr_array_index(order, i))));
    }
    g_ptr_array_free(order, TRUE);
    g_hash_table_destroy(rows);
}

static guint
sum(const guint *v, gsize n)
{
    guint s = 0;
    for (gsize i = 0; i < n; i++)
        s += v[i];
    return s;
}

static void
draw(void *user)
{
    tree *t = user;
    stats_tree *st = t->st;
    /* Nothing fed since the last draw: the window stopped drawing this tree
     * (or nothing happened); it must not change behind the window's back. */
    if (!t->fed)
        return;
    t->fed = FALSE;
    t->final = FALSE;
    guint pending = 0;
    if (dnsmon_source_alive(&t->src)) {
        dm_ledger_flush(t->ledger, t->src.v.tr, t->src.v.ls, &fns, t);
        t->final = dm_tracker_finished(t->src.v.tr);
        pending = dm_ledger_pending(t->ledger);
    }
    guint total = sum(t->counts, DM_OUTCOME_COUNT), failed = 0;
    for (int o = 0; o < DM_OUTCOME_COUNT; o++)
        if (dm_outcome_is_failure((dm_outcome)o))
            failed += t->counts[o];
    /* Pending ones count in the parent too, so its rows add up to it
     * (no "pending 200 %" under a parent of the settled only). */
    set_node(st, ST_TXNS, 0, total + pending);
    draw_outcomes(st, t->n_txns, t->counts, &t->shown_outcomes);
    /* Mid-capture: what has not settled yet (never counted as failed). */
    if (pending || t->shown_pending) {
        t->shown_pending = TRUE;
        set_node(st, dm_outcome_name(DM_OUTCOME_PENDING), t->n_txns, pending);
    }
    set_node(st, ST_FAILED, 0, failed);
    set_node(st, ST_LOOKUPS, 0, sum(t->lookups, DM_LOOKUP_COUNT));
    lead(st, ST_TXNS);
    lead(st, ST_FAILED);
    lead(st, ST_LOOKUPS);
    for (int o = DM_LOOKUP_RESOLVED; o < DM_LOOKUP_COUNT; o++) {
        if (t->lookups[o] || (t->shown_lookups & (1u << o))) {
            t->shown_lookups |= 1u << o;
            set_node(st, dm_lookup_outcome_name((dm_lookup_outcome)o), t->n_lookups,
                     t->lookups[o]);
        }
    }
    draw_resolvers(t);
    draw_downgrades(t);
    set_node(st, ST_SERVERS, 0, total);
    draw_section(t, t->n_servers, t->servers, "Other servers", TRUE);
    t->percentiles_done |= t->final;
    set_node(st, ST_CLIENTS, 0, total);
    draw_section(t, t->n_clients, t->clients, "Other clients", FALSE);
    draw_names(t);
    GHashTableIter i;
    gpointer k, v;
    set_node(st, ST_ICMP, 0, t->icmp);
    if (t->icmp) {
        t->n_reporter = set_node(st, ST_ICMP_REPORTER, t->n_icmp, t->icmp);
        t->n_kind = set_node(st, ST_ICMP_KIND, t->n_icmp, t->icmp);
    }
    g_hash_table_iter_init(&i, t->reporters);
    GPtrArray *reps = g_ptr_array_new();
    while (g_hash_table_iter_next(&i, &k, &v))
        g_ptr_array_add(reps, k);
    g_ptr_array_sort(reps, (GCompareFunc)(void (*)(void))g_strcmp0);
    for (guint n = 0; n < reps->len; n++) {
        const char *r = *(const char **)(void *)&reps->pdata[n];
        set_node(st, r, t->n_reporter, GPOINTER_TO_UINT(g_hash_table_lookup(t->reporters, r)));
    }
    g_ptr_array_free(reps, TRUE);
    for (int kd = 0; kd < DM_ICMP_KIND_COUNT; kd++) {
        if (t->icmp_kind[kd] || (t->shown_kinds & (1u << kd))) {
            t->shown_kinds |= 1u << kd;
            set_node(st, dm_icmp_kind_text((dm_icmp_kind)kd), t->n_kind, t->icmp_kind[kd]);
        }
    }
    set_node(st, ST_QUERIES, 0, t->queries);
    set_node(st, ST_RTX, t->n_queries, t->retransmissions);
    guint answered = sum(t->buckets, G_N_ELEMENTS(t->buckets));
    if (answered) {
        int id = set_node(st, ST_RTT_BUCKETS, 0, answered);
        for (gsize b = 0; b < G_N_ELEMENTS(bucket_names); b++)
            if (t->buckets[b])
                set_node(st, bucket_names[b], id, t->buckets[b]);
    }
}

/* ---- lifecycle --------------------------------------------------------- */

static void
tree_init(stats_tree *st)
{
    dnsmon_engine_need_past();  /* it draws from the whole capture */
    if (!trees)
        trees = g_hash_table_new(g_direct_hash, g_direct_equal);
    tree *t = g_hash_table_lookup(trees, st);
    if (t) {
        tree_clear(t);          /* a retap of the same tree */
        return;
    }
    t = g_new0(tree, 1);
    t->st = st;
    t->ledger = dm_ledger_new();
    t->servers = g_hash_table_new_full(key64_hash, g_int64_equal, g_free, row_free);
    t->clients = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, row_free);
    dm_tally_init(&t->names);
    t->reporters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t->items_counted = g_byte_array_new();
    g_hash_table_insert(trees, st, t);
    /* The sections, in the order they are read. */
    t->n_txns = stats_tree_create_node(st, ST_TXNS, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, ST_FAILED, 0, STAT_DT_INT, TRUE);
    t->n_lookups = stats_tree_create_node(st, ST_LOOKUPS, 0, STAT_DT_INT, TRUE);
    t->n_servers = stats_tree_create_node(st, ST_SERVERS, 0, STAT_DT_INT, TRUE);
    t->n_clients = stats_tree_create_node(st, ST_CLIENTS, 0, STAT_DT_INT, TRUE);
    t->n_names = stats_tree_create_node(st, ST_NAMES, 0, STAT_DT_INT, TRUE);
    t->n_icmp = stats_tree_create_node(st, ST_ICMP, 0, STAT_DT_INT, TRUE);
    t->n_queries = stats_tree_create_node(st, ST_QUERIES, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, ST_RTX, t->n_queries, STAT_DT_INT, TRUE);
    /* The response time nodes come with the first answer. */
}

static void
tree_free(tree *t)
{
    dnsmon_drawer_detach(&t->fin);
    dm_ledger_free(t->ledger);
    g_hash_table_destroy(t->servers);
    g_hash_table_destroy(t->clients);
    dm_tally_destroy(&t->names);
    g_hash_table_destroy(t->reporters);
    g_byte_array_free(t->items_counted, TRUE);
    g_free(t);
}

static void
tree_cleanup(stats_tree *st)
{
    tree *t = trees ? g_hash_table_lookup(trees, st) : NULL;
    if (!t)
        return;
    g_hash_table_remove(trees, st);
    tree_free(t);
}

/* tshark may exit without freeing its stats trees: ours go with epan. */
void
dnsmon_tree_shutdown(void)
{
    if (!trees)
        return;
    GHashTableIter i;
    gpointer k, v;
    g_hash_table_iter_init(&i, trees);
    while (g_hash_table_iter_next(&i, &k, &v))
        tree_free(v);
    g_hash_table_destroy(trees);
    trees = NULL;
}

void
dnsmon_tree_register(void)
{
    DM_STATS_TREE_REGISTER("dnsmon", "dnsmon", "DNS Monitor" DM_STATS_MENU_SEP "DNS Transactions",
                           0, tree_packet, tree_init, tree_cleanup, "Transactions / Item");
}
