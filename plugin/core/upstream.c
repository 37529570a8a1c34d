/* upstream.c — a resolver's clients linked to its own queries; see
 * dnsmon_upstream.h and docs/design.md, "Resolvers".
 *
 * Everything is decided once, when the first pass is over:
 *   1. resolvers: addresses that are the server of some transactions and
 *      the client of others;
 *   2. an index of the resolvers' own transactions by (resolver, name),
 *      each bucket in time order, and of their question-less TCP
 *      connection attempts by (resolver, server);
 *   3. for each transaction whose server is a resolver (downstream), its
 *      related names — its own, their ancestors, and what related answers
 *      taught (CNAME targets, nameservers) — looked up in the index within
 *      its lifetime;
 *   4. the cause of each failed downstream transaction.
 * Caps keep every step linear whatever the traffic (names per transaction,
 * links per transaction, candidates per name, ancestors per name): an
 * attacker's random-subdomain flood costs a constant per transaction.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "dnsmon_hash.h"
#include "dnsmon_upstream.h"

#define MAX_NAMES 32            /* related names followed per downstream transaction */
#define MAX_ANCESTORS 16        /* levels of one name looked at, from the root down */
#define MAX_LINKS 64            /* upstream transactions per downstream one */
#define MAX_SCAN 64             /* candidates looked at per (resolver, name) */

enum { A_SERVER = 1, A_CLIENT = 2 };

/* What a bucket holds: the resolver's transactions with one name, or its
 * connection attempts to one server. Names are keyed by a keyed hash of
 * their case-folded text (ancestors and learned names need not have been
 * asked by anybody: they have no interned id). */
typedef struct {
    guint32 resolver;
    guint32 kind;               /* K_NAME, K_CONN */
    guint64 h;                  /* name hash, or the server's address id */
} bkey;

enum { K_NAME = 1, K_CONN = 2 };

typedef struct {
    bkey key;
    guint32 start, count;       /* a range of `order` */
    dm_time longest;            /* the longest lifetime in it: how far back to look */
} bucket;

struct dm_upstream {
    dm_tracker *tr;
    gboolean ready;
    dm_time timeout;
    guint32 base;               /* what was decided: transactions base+1 .. (forgotten below) */
    GByteArray *addr_flags;     /* A_* per interned address id */
    /* The index (only while deciding). */
    GHashTable *buckets;        /* bkey -> bucket index + 1 */
    GArray *bucket_list;        /* bucket */
    GArray *order;              /* guint32 txn ids, bucket by bucket, by start time */
    /* What was decided: per transaction, a range of links each way. */
    GArray *up_start, *up_list;         /* guint32; up_start has txns + 1 entries */
    GArray *down_start, *down_list;
    GArray *cause;              /* guint8 per transaction */
    GArray *failed_start, *failed_list; /* failing upstream servers, per transaction */
};

/* ---- keys ------------------------------------------------------------- */

/* Attackers choose names and addresses: the buckets hash with the keyed
 * hash, never GLib's plain one. */
static guint
key_hash(gconstpointer k)
{
    return (guint)dm_hash(k, sizeof(bkey));
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(bkey)) == 0;
}

/* A name's key: its text folded to lower case (RFC 4343), hashed. */
static bkey
name_key(guint32 resolver, const char *name, gsize len)
{
    char low[1200];
    len = MIN(len, sizeof low);
    for (gsize i = 0; i < len; i++)
        low[i] = g_ascii_tolower(name[i]);
    bkey k;
    memset(&k, 0, sizeof k);
    k.resolver = resolver;
    k.kind = K_NAME;
    k.h = dm_hash64(low, len);
    return k;
}

static bkey
conn_key(guint32 resolver, guint32 server)
{
    bkey k;
    memset(&k, 0, sizeof k);
    k.resolver = resolver;
    k.kind = K_CONN;
    k.h = server;
    return k;
}

/* ---- lifetimes --------------------------------------------------------- */

/* A transaction lives from its first query to its response; one refused
 * by an ICMP error or a reset to that refusal (its sender knows it failed:
 * a resolver answering from its cache a second later asks nobody); one
 * nothing answered to its last attempt plus the timeout. */
static dm_time
life_end(const dm_upstream *up, const dm_txn *t)
{
    if (t->flags & DM_T_ANSWERED)
        return MAX(dm_txn_answer_ts(up->tr, t), t->first_ts);
    dm_time last = MAX(dm_txn_last_ts(up->tr, t), t->first_ts);
    if (t->flags & DM_T_RESET)
        return last;
    if (t->flags & DM_T_ICMP_QUERY) {
        const dm_txn_ext *e = dm_tracker_ext(up->tr, t);
        const dm_icmp *ic = e ? dm_tracker_icmp_ref(up->tr, e->last_icmp) : NULL;
        return ic ? MAX(last, ic->ts) : last;
    }
    return dm_time_add(last, up->timeout);
}

static gboolean
overlaps(const dm_upstream *up, const dm_txn *a, const dm_txn *b)
{
    return a->first_ts <= life_end(up, b) && b->first_ts <= life_end(up, a);
}

/* ---- names ------------------------------------------------------------- */

/* Where each ancestor of a presentation-form name starts, from the name
 * itself down to its top label ("www.example.test" -> 0, 4, 12); a dot
 * escaped inside a label ("\.") is no boundary. */
static guint
ancestors(const char *name, guint *at, guint max)
{
    guint n = 0;
    at[n++] = 0;
    for (guint i = 0; name[i] && n < max; i++) {
        if (name[i] == '\\' && name[i + 1]) {
            i++;
            continue;
        }
        if (name[i] == '.' && name[i + 1])
            at[n++] = i + 1;
    }
    return n;
}

/* The name a resolver's query is indexed under: a leading "_" label that
 * QNAME minimisation adds is no part of the name asked. */
static const char *
asked_name(const char *name)
{
    if (name && name[0] == '_' && name[1] == '.' && name[2])
        return name + 2;
    return name;
}

/* ---- deciding ---------------------------------------------------------- */

static gboolean
is_resolver(const dm_upstream *up, guint32 addr)
{
    return addr && addr <= up->addr_flags->len &&
           (up->addr_flags->data[addr - 1] & (A_SERVER | A_CLIENT)) == (A_SERVER | A_CLIENT);
}

static void
find_resolvers(dm_upstream *up)
{
    const dm_tracker *tr = up->tr;
    g_byte_array_set_size(up->addr_flags, dm_tracker_addr_count(tr));
    if (up->addr_flags->len)    /* an empty GByteArray has no data */
        memset(up->addr_flags->data, 0, up->addr_flags->len);
    for (guint32 id = up->base + 1; id <= dm_tracker_txn_count(tr); id++) {
        const dm_txn *t = dm_tracker_txn(tr, id);
        if (t->client == t->server)
            continue;
        up->addr_flags->data[t->server - 1] |= A_SERVER;
        up->addr_flags->data[t->client - 1] |= A_CLIENT;
    }
}

static gint
cmp_by_start(gconstpointer a, gconstpointer b, gpointer user)
{
    const dm_tracker *tr = user;
    const dm_txn *x = dm_tracker_txn(tr, *(const guint32 *)a);
    const dm_txn *y = dm_tracker_txn(tr, *(const guint32 *)b);
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return *(const guint32 *)a < *(const guint32 *)b ? -1 : 1;
}

/* The key a resolver's own transaction is indexed under; FALSE for none. */
static gboolean
upstream_key(const dm_upstream *up, const dm_txn *t, bkey *k)
{
    if (!is_resolver(up, t->client))
        return FALSE;
    if (t->name) {
        const char *name = asked_name(dm_tracker_name(up->tr, t->name));
        *k = name_key(t->client, name, strlen(name));
        return TRUE;
    }
    if ((t->flags & DM_T_CONNECTION) && t->transport == DM_TCP) {
        *k = conn_key(t->client, t->server);
        return TRUE;
    }
    return FALSE;
}

/* Buckets of the resolvers' transactions, each in time order: a count per
 * key, places, then each bucket sorted. */
static void
build_index(dm_upstream *up)
{
    const dm_tracker *tr = up->tr;
    guint32 n = dm_tracker_txn_count(tr), base = up->base;
    GArray *where = g_array_sized_new(FALSE, TRUE, sizeof(guint32), n - base);
    g_array_set_size(where, n - base);
    for (guint32 id = base + 1; id <= n; id++) {
        bkey k;
        const dm_txn *t = dm_tracker_txn(tr, id);
        if (!upstream_key(up, t, &k))
            continue;
        gpointer v = g_hash_table_lookup(up->buckets, &k);
        if (!v) {
            bucket b;
            memset(&b, 0, sizeof b);
            b.key = k;
            g_array_append_val(up->bucket_list, b);
            v = GUINT_TO_POINTER(up->bucket_list->len);
            g_hash_table_insert(up->buckets, g_memdup2(&k, sizeof k), v);
        }
        g_array_index(where, guint32, id - base - 1) = GPOINTER_TO_UINT(v);
        bucket *b = &g_array_index(up->bucket_list, bucket, GPOINTER_TO_UINT(v) - 1);
        b->count++;
        b->longest = MAX(b->longest, dm_time_diff(life_end(up, t), t->first_ts));
    }
    guint32 at = 0;
    for (guint i = 0; i < up->bucket_list->len; i++) {
        bucket *b = &g_array_index(up->bucket_list, bucket, i);
        b->start = at;
        at += b->count;
        b->count = 0;
    }
    g_array_set_size(up->order, at);
    for (guint32 id = base + 1; id <= n; id++) {
        guint32 bi = g_array_index(where, guint32, id - base - 1);
        if (!bi)
            continue;
        bucket *b = &g_array_index(up->bucket_list, bucket, bi - 1);
        g_array_index(up->order, guint32, b->start + b->count++) = id;
    }
    /* Each bucket by start time (g_qsort_with_data is deprecated from GLib
     * 2.82 on: sort a copy of the range as a GArray). */
    GArray *range = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (guint i = 0; i < up->bucket_list->len; i++) {
        bucket *b = &g_array_index(up->bucket_list, bucket, i);
        guint32 *at = &g_array_index(up->order, guint32, b->start);
        g_array_set_size(range, 0);
        g_array_append_vals(range, at, b->count);
        g_array_sort_with_data(range, cmp_by_start, (gpointer)tr);
        memcpy(at, range->data, b->count * sizeof(guint32));
    }
    g_array_free(range, TRUE);
    g_array_free(where, TRUE);
}

/* The links found for one downstream transaction. */
typedef struct {
    guint32 txns[MAX_LINKS];
    guint n;
    guint32 names[MAX_NAMES];   /* folded ids followed so far */
    guint n_names;
    guint32 chain[MAX_NAMES];   /* its own name and the CNAME targets it leads to */
    guint n_chain;
} found;

static gboolean
has(const guint32 *v, guint n, guint32 x)
{
    for (guint i = 0; i < n; i++)
        if (v[i] == x)
            return TRUE;
    return FALSE;
}

/* Upstream transactions in bucket k overlapping d: binary search for the
 * first that may (started at most `longest` before d), then forward. */
static void
collect(dm_upstream *up, const dm_txn *d, guint32 d_id, bkey k, found *f)
{
    gpointer v = g_hash_table_lookup(up->buckets, &k);
    if (!v)
        return;
    const dm_tracker *tr = up->tr;
    const bucket *b = &g_array_index(up->bucket_list, bucket, GPOINTER_TO_UINT(v) - 1);
    const guint32 *ids = &g_array_index(up->order, guint32, b->start);
    dm_time from = dm_time_diff(d->first_ts, b->longest);
    guint lo = 0, hi = b->count;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (dm_tracker_txn(tr, ids[mid])->first_ts < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    dm_time d_end = life_end(up, d);
    for (guint i = lo, scanned = 0; i < b->count && scanned < MAX_SCAN && f->n < MAX_LINKS;
         i++, scanned++) {
        const dm_txn *u = dm_tracker_txn(tr, ids[i]);
        if (u->first_ts > d_end)
            break;
        if (ids[i] == d_id || u->server == d->client || !overlaps(up, d, u) ||
            has(f->txns, f->n, ids[i]))
            continue;
        f->txns[f->n++] = ids[i];
    }
}

static void
follow_name(found *f, guint32 folded)
{
    if (folded && f->n_names < MAX_NAMES && !has(f->names, f->n_names, folded))
        f->names[f->n_names++] = folded;
}

/* A name and its ancestors (from the root down, at most MAX_ANCESTORS) in
 * the resolver's buckets, and the root's (a resolver priming its root
 * servers serves every name). */
static void
collect_name(dm_upstream *up, const dm_txn *d, guint32 d_id, const char *name, found *f)
{
    guint at[128];
    guint n = ancestors(name, at, G_N_ELEMENTS(at));
    guint first = n > MAX_ANCESTORS ? n - MAX_ANCESTORS : 0;
    gsize len = strlen(name);
    for (guint i = first; i < n; i++)
        collect(up, d, d_id, name_key(d->server, name + at[i], len - at[i]), f);
    collect(up, d, d_id, name_key(d->server, "<Root>", 6), f);
}

static void
link_downstream(dm_upstream *up, guint32 d_id, found *f)
{
    const dm_tracker *tr = up->tr;
    const dm_txn *d = dm_tracker_txn(tr, d_id);
    memset(f, 0, sizeof *f);
    if (!d->name || !is_resolver(up, d->server) || d->client == d->server)
        return;
    follow_name(f, dm_tracker_name_folded(tr, d->name));
    f->chain[f->n_chain++] = dm_tracker_name_folded(tr, d->name);
    /* Names learned from related answers are followed in turn. */
    for (guint i = 0; i < f->n_names; i++) {
        guint before = f->n;
        const char *name = i == 0 ? dm_tracker_name(tr, d->name) : NULL;
        if (!name)
            name = dm_tracker_name(tr, f->names[i]);
        collect_name(up, d, d_id, name, f);
        for (guint j = before; j < f->n; j++) {
            const dm_txn *u = dm_tracker_txn(tr, f->txns[j]);
            const guint32 *learned;
            guint nl = dm_txn_learned(tr, u, &learned);
            /* A CNAME of a name in the chain extends the chain. */
            gboolean cname = (u->dns & DM_D_CNAME) &&
                             has(f->chain, f->n_chain, dm_tracker_name_folded(tr, u->name));
            for (guint k = 0; k < nl; k++) {
                guint32 folded = dm_tracker_name_folded(tr, learned[k]);
                follow_name(f, folded);
                if (cname && f->n_chain < MAX_NAMES && !has(f->chain, f->n_chain, folded))
                    f->chain[f->n_chain++] = folded;
            }
        }
    }
    /* The resolver's TCP retries to a server it asked about this. */
    guint named = f->n;
    for (guint j = 0; j < named; j++) {
        const dm_txn *u = dm_tracker_txn(tr, f->txns[j]);
        collect(up, d, d_id, conn_key(d->server, u->server), f);
    }
}

static gint
cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

static gboolean
definitive(dm_outcome o)
{
    return o == DM_OUTCOME_ANSWERED || o == DM_OUTCOME_NODATA || o == DM_OUTCOME_NXDOMAIN;
}

/* The cause of failed downstream transaction d over its upstream ones. Only
 * an answer to d's own question (its name, or a CNAME target it leads to,
 * of its type) says the servers below answered; other answers — a
 * referral, a parent's NS, a nameserver's address, a CNAME — are steps. A
 * failed step is a failure below. */
static dm_upstream_cause
decide_cause(dm_upstream *up, const dm_txn *d, const found *f, GArray *failed_servers)
{
    const dm_tracker *tr = up->tr;
    gboolean answered = FALSE, failed = FALSE;
    for (guint i = 0; i < f->n; i++) {
        const dm_txn *u = dm_tracker_txn(tr, f->txns[i]);
        dm_outcome o = dm_txn_outcome(tr, u);
        if (definitive(o)) {
            if (u->qtype == d->qtype && !(u->dns & DM_D_CNAME) &&
                has(f->chain, f->n_chain, dm_tracker_name_folded(tr, u->name)))
                answered = TRUE;
        } else if (dm_outcome_is_failure(o)) {
            failed = TRUE;
            guint32 s = u->server;
            if (!has((const guint32 *)(const void *)failed_servers->data, failed_servers->len, s))
                g_array_append_val(failed_servers, s);
        }
    }
    if (answered) {
        g_array_set_size(failed_servers, 0);
        return DM_UPSTREAM_ANSWERED;
    }
    return failed ? DM_UPSTREAM_FAILED : DM_UPSTREAM_NONE_SEEN;
}

static void
decide(dm_upstream *up)
{
    const dm_tracker *tr = up->tr;
    guint32 n = dm_tracker_txn_count(tr);
    up->base = dm_tracker_first(tr) - 1;
    guint32 base = up->base, held = n - base;
    up->timeout = dm_time_secs(dm_tracker_config(tr)->timeout);
    find_resolvers(up);
    up->ready = TRUE;
    gboolean any = FALSE;
    for (guint32 a = 1; a <= up->addr_flags->len && !any; a++)
        any = is_resolver(up, a);
    if (!any)
        return;                 /* no resolver in sight: nothing to link */
    build_index(up);
    g_array_set_size(up->cause, held + 1);
    memset(up->cause->data, 0, held + 1);
    GArray *pairs = g_array_new(FALSE, FALSE, sizeof(guint32) * 2);
    GArray *servers = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint32 zero = 0;
    g_array_append_val(up->up_start, zero);
    g_array_append_val(up->failed_start, zero);
    found f;
    for (guint32 id = base + 1; id <= n; id++) {
        link_downstream(up, id, &f);
        qsort(f.txns, f.n, sizeof(guint32), cmp_u32);
        g_array_append_vals(up->up_list, f.txns, f.n);
        guint32 end = up->up_list->len;
        g_array_append_val(up->up_start, end);
        for (guint i = 0; i < f.n; i++) {
            guint32 pr[2] = { f.txns[i], id };
            g_array_append_vals(pairs, pr, 1);
        }
        const dm_txn *d = dm_tracker_txn(tr, id);
        g_array_set_size(servers, 0);
        if (is_resolver(up, d->server) && d->name &&
            dm_outcome_is_failure(dm_txn_outcome(tr, d)))
            g_array_index(up->cause, guint8, id - base) = (guint8)decide_cause(up, d, &f, servers);
        g_array_append_vals(up->failed_list, servers->data, servers->len);
        end = up->failed_list->len;
        g_array_append_val(up->failed_start, end);
    }
    /* The other way: each upstream transaction's downstream ones. */
    /* Indexed by transaction - base, as up_start. */
    GArray *count = g_array_new(FALSE, TRUE, sizeof(guint32));
    g_array_set_size(count, held + 2);
    for (guint i = 0; i < pairs->len; i++)
        g_array_index(count, guint32, ((guint32 *)(void *)pairs->data)[2 * i] - base + 1)++;
    for (guint32 k = 1; k <= held + 1; k++)
        g_array_index(count, guint32, k) += g_array_index(count, guint32, k - 1);
    /* count[u] is where u's downstream ones start: down_start as up_start,
     * down_start[u - 1] .. down_start[u]. */
    g_array_set_size(up->down_start, held + 1);
    memcpy(up->down_start->data, &g_array_index(count, guint32, 1), (held + 1) * sizeof(guint32));
    g_array_set_size(up->down_list, pairs->len);
    for (guint i = 0; i < pairs->len; i++) {
        guint32 u = ((guint32 *)(void *)pairs->data)[2 * i];
        guint32 d = ((guint32 *)(void *)pairs->data)[2 * i + 1];
        g_array_index(up->down_list, guint32, g_array_index(count, guint32, u - base)++) = d;
    }
    g_array_free(count, TRUE);
    g_array_free(pairs, TRUE);
    g_array_free(servers, TRUE);
    /* The index is not needed any more. */
    g_hash_table_remove_all(up->buckets);
    g_array_set_size(up->bucket_list, 0);
    g_array_set_size(up->order, 0);
}

static void
forget(dm_upstream *up)
{
    up->ready = FALSE;
    g_array_set_size(up->up_start, 0);
    g_array_set_size(up->up_list, 0);
    g_array_set_size(up->down_start, 0);
    g_array_set_size(up->down_list, 0);
    g_array_set_size(up->cause, 0);
    g_array_set_size(up->failed_start, 0);
    g_array_set_size(up->failed_list, 0);
}

static void
observe(void *user, dm_event ev, guint32 txn, dm_time ts)
{
    dm_upstream *up = user;
    (void)txn;
    (void)ts;
    if (ev == DM_EV_FINISH) {
        forget(up);
        decide(up);
    } else if (ev != DM_EV_TIME && up->ready) {
        forget(up);             /* an event after the end reopens the capture */
    }
}

/* ---- public ------------------------------------------------------------ */

dm_upstream *
dm_upstream_new(dm_tracker *tr)
{
    dm_upstream *up = g_new0(dm_upstream, 1);
    up->tr = tr;
    up->addr_flags = g_byte_array_new();
    up->buckets = g_hash_table_new_full(key_hash, key_equal, g_free, NULL);
    up->bucket_list = g_array_new(FALSE, FALSE, sizeof(bucket));
    up->order = g_array_new(FALSE, FALSE, sizeof(guint32));
    up->up_start = g_array_new(FALSE, FALSE, sizeof(guint32));
    up->up_list = g_array_new(FALSE, FALSE, sizeof(guint32));
    up->down_start = g_array_new(FALSE, FALSE, sizeof(guint32));
    up->down_list = g_array_new(FALSE, FALSE, sizeof(guint32));
    up->cause = g_array_new(FALSE, FALSE, sizeof(guint8));
    up->failed_start = g_array_new(FALSE, FALSE, sizeof(guint32));
    up->failed_list = g_array_new(FALSE, FALSE, sizeof(guint32));
    dm_tracker_observe(tr, observe, up);
    return up;
}

void
dm_upstream_free(dm_upstream *up)
{
    if (!up)
        return;
    g_byte_array_free(up->addr_flags, TRUE);
    g_hash_table_destroy(up->buckets);
    g_array_free(up->bucket_list, TRUE);
    g_array_free(up->order, TRUE);
    g_array_free(up->up_start, TRUE);
    g_array_free(up->up_list, TRUE);
    g_array_free(up->down_start, TRUE);
    g_array_free(up->down_list, TRUE);
    g_array_free(up->cause, TRUE);
    g_array_free(up->failed_start, TRUE);
    g_array_free(up->failed_list, TRUE);
    g_free(up);
}

gboolean
dm_upstream_ready(const dm_upstream *up)
{
    return up->ready;
}

gboolean
dm_upstream_is_resolver(const dm_upstream *up, guint32 addr)
{
    return up->ready && is_resolver(up, addr);
}

/* The ids of txn in list, from start (indexed by transaction - base). */
static guint
range(const dm_upstream *up, const GArray *start, const GArray *list, guint32 txn,
      const guint32 **out)
{
    static const guint32 none;
    *out = &none;
    if (txn <= up->base || txn - up->base >= start->len)
        return 0;
    guint32 k = txn - up->base;
    guint32 a = g_array_index(start, guint32, k - 1), b = g_array_index(start, guint32, k);
    *out = b > a ? &g_array_index(list, guint32, a) : &none;
    return b - a;
}

guint
dm_upstream_of(const dm_upstream *up, guint32 txn, const guint32 **txns)
{
    return range(up, up->up_start, up->up_list, txn, txns);
}

guint
dm_downstream_of(const dm_upstream *up, guint32 txn, const guint32 **txns)
{
    return range(up, up->down_start, up->down_list, txn, txns);
}

dm_upstream_cause
dm_upstream_cause_of(const dm_upstream *up, guint32 txn)
{
    if (!up->ready || txn <= up->base || txn - up->base >= up->cause->len)
        return DM_UPSTREAM_NONE;
    return (dm_upstream_cause)g_array_index(up->cause, guint8, txn - up->base);
}

guint
dm_upstream_failed_servers(const dm_upstream *up, guint32 txn, const guint32 **servers)
{
    return range(up, up->failed_start, up->failed_list, txn, servers);
}

void
dm_upstream_decide_now(dm_upstream *up)
{
    forget(up);
    decide(up);
}

void
dm_upstream_forget(dm_upstream *up)
{
    forget(up);
}

gsize
dm_upstream_bytes(const dm_upstream *up)
{
    return sizeof *up + up->addr_flags->len +
           (up->up_start->len + up->up_list->len + up->down_start->len + up->down_list->len +
            up->failed_start->len + up->failed_list->len) * sizeof(guint32) + up->cause->len;
}
