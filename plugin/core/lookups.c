/* lookups.c — groups transactions into lookups; see dnsmon_lookups.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_fifo.h"
#include "dnsmon_hash.h"
#include "dnsmon_heap.h"
#include "dnsmon_lookups.h"

struct dm_lookups {
    dm_tracker *tr;
    dm_time window;
    dm_time longest;            /* a lookup takes transactions this long after its first (the horizon) */
    dm_fifo lookups;            /* dm_lookup; id = its number */
    /* Per transaction (ids as the tracker's, the oldest forgotten with it): */
    dm_fifo of_txn;             /* guint32: its lookup */
    dm_fifo next;               /* guint32: the next one of its lookup */
    dm_fifo open;               /* guint8: counted in its lookup's open */
    GPtrArray *server_sets;     /* GHashTable* of interned server ids; NULL: a free slot */
    GArray *free_sets;          /* guint32: free slots of server_sets */
    GHashTable *sealed_delay;   /* lookup id -> dm_time*: sealed with its first transaction forgotten */
    dm_gindex ix;               /* client + question -> newest lookup (generational) */
    guint32 rotate_at;          /* the tracker's clock value of its next rotation */
    dm_heap timers;             /* when an undecided lookup may settle */
    dm_fifo settled;            /* guint32 lookup ids */
    guint32 dropping;           /* dm_lookups_forget: lookups up to this one go */
    gboolean finished;
};

#define LOOKUP(ls, id) DM_FIFO_AT(&(ls)->lookups, dm_lookup, id)
#define OF(ls, txn) (*DM_FIFO_AT(&(ls)->of_txn, guint32, txn))
#define NEXT(ls, txn) (*DM_FIFO_AT(&(ls)->next, guint32, txn))
#define OPEN(ls, txn) (*DM_FIFO_AT(&(ls)->open, guint8, txn))

G_STATIC_ASSERT(sizeof(dm_lookup) == 40);

#define TXNS_MAX ((1u << 26) - 1)

/* ---- the index: client and question of a lookup's first transaction ---- */

typedef struct {
    guint32 client, folded;
    guint16 qtype, qclass;
} lkey;

static void
key_of_txn(const dm_tracker *tr, const dm_txn *t, lkey *k)
{
    memset(k, 0, sizeof *k);
    k->client = t->client;
    k->folded = dm_tracker_name_folded(tr, t->name);
    k->qtype = t->qtype;
    k->qclass = dm_txn_qclass(tr, t);
}

static guint64
key_hash(const lkey *k)
{
    guint8 b[12];
    memcpy(b, &k->client, 4);
    memcpy(b + 4, &k->folded, 4);
    memcpy(b + 8, &k->qtype, 2);
    memcpy(b + 10, &k->qclass, 2);
    return dm_hash(b, sizeof b);
}

static guint64
ix_hash(const void *ctx, guint32 id)
{
    const dm_lookups *ls = ctx;
    lkey k;
    key_of_txn(ls->tr, dm_tracker_txn(ls->tr, LOOKUP(ls, id)->first_txn), &k);
    return key_hash(&k);
}

static gboolean
ix_match(const void *ctx, guint32 id, const void *probe)
{
    const dm_lookups *ls = ctx;
    lkey k;
    key_of_txn(ls->tr, dm_tracker_txn(ls->tr, LOOKUP(ls, id)->first_txn), &k);
    return memcmp(&k, probe, sizeof k) == 0;
}

static gboolean
ix_same(const void *ctx, guint32 a, guint32 b)
{
    const dm_lookups *ls = ctx;
    lkey k;
    key_of_txn(ls->tr, dm_tracker_txn(ls->tr, LOOKUP(ls, b)->first_txn), &k);
    return ix_match(ctx, a, &k);
}

/* A lookup new transactions may still join: not ended by an answer, and
 * open or active within the horizon (joining needs lookup_window, less). */
static gboolean
joinable(const dm_lookups *ls, const dm_lookup *l)
{
    return !l->definitive && (l->open || !dm_tracker_past_horizon(ls->tr, l->touched));
}

static gboolean
ix_live(const void *ctx, guint32 id)
{
    const dm_lookups *ls = ctx;
    return joinable(ls, LOOKUP(ls, id));
}

/* ---- settling ---------------------------------------------------------- */

static void
settle(dm_lookups *ls, guint32 id)
{
    LOOKUP(ls, id)->settled = 1;
    dm_fifo_append(&ls->settled, &id);
}

/* No transaction open, no definitive answer: once lookup_window passes
 * with nothing new, nothing can join any more. */
static void
maybe_settle(dm_lookups *ls, guint32 id)
{
    dm_lookup *l = LOOKUP(ls, id);
    if (l->settled || l->definitive || l->open)
        return;
    dm_time at = dm_time_add(l->last_event, ls->window);
    if (at <= dm_tracker_end_time(ls->tr))
        settle(ls, id);
    else
        dm_heap_push(&ls->timers, at, id, 0);
}

/* ---- membership -------------------------------------------------------- */

/* Distinct servers: most lookups ask one, kept inline in l->server; from
 * the second one on, l->server holds the id of a set of them (keys are
 * interned ids, so not an attacker's to choose). A lookup sealed with its
 * set released (l->server 0) that a TCP fallback joins starts a new set. */
static void
add_server(dm_lookups *ls, dm_lookup *l, guint32 server)
{
    if (!l->servers) {
        l->server = server;
        l->servers = 1;
        return;
    }
    if (l->servers == 1 && l->server == server)
        return;
    if (l->servers == 1 || !l->server) {
        GHashTable *set = g_hash_table_new(g_direct_hash, g_direct_equal);
        if (l->servers == 1)
            g_hash_table_add(set, GUINT_TO_POINTER(l->server));
        if (ls->free_sets->len) {
            l->server = g_array_index(ls->free_sets, guint32, ls->free_sets->len - 1);
            g_array_set_size(ls->free_sets, ls->free_sets->len - 1);
            g_ptr_array_index(ls->server_sets, l->server - 1) = set;
        } else {
            g_ptr_array_add(ls->server_sets, set);
            l->server = ls->server_sets->len;
        }
    }
    GHashTable *set = g_ptr_array_index(ls->server_sets, l->server - 1);
    if (!g_hash_table_contains(set, GUINT_TO_POINTER(server))) {
        g_hash_table_add(set, GUINT_TO_POINTER(server));
        if (l->servers < G_MAXUINT16)
            l->servers++;
    }
}

static void
grow_per_txn(dm_lookups *ls, guint32 txn)
{
    guint32 zero = 0;
    guint8 z8 = 0;
    while (dm_fifo_end(&ls->of_txn) < txn) {
        dm_fifo_append(&ls->of_txn, &zero);
        dm_fifo_append(&ls->next, &zero);
        dm_fifo_append(&ls->open, &z8);
    }
}

static void
join(dm_lookups *ls, guint32 id, guint32 txn, dm_time ts)
{
    dm_lookup *l = LOOKUP(ls, id);
    OF(ls, txn) = id;
    if (l->last_txn)
        NEXT(ls, l->last_txn) = txn;
    else
        l->first_txn = txn;
    l->last_txn = txn;
    if (l->txns < TXNS_MAX)
        l->txns++;
    l->touched = dm_tracker_clock(ls->tr);
    if (ts > l->last_event || l->txns == 1)
        l->last_event = ts;
    const dm_txn *t = dm_tracker_txn(ls->tr, txn);
    l->last_frame = MAX(l->last_frame, dm_txn_last_frame(ls->tr, t));
    add_server(ls, l, t->server);
    if (!(t->flags & DM_T_SETTLED) && l->open < G_MAXUINT16) {
        OPEN(ls, txn) = 1;
        l->open++;
    }
}

static guint32
lookup_new(dm_lookups *ls, guint32 txn, dm_time ts)
{
    dm_lookup l;
    memset(&l, 0, sizeof l);
    guint32 id = dm_fifo_append(&ls->lookups, &l);
    join(ls, id, txn, ts);
    lkey k;
    key_of_txn(ls->tr, dm_tracker_txn(ls->tr, txn), &k);
    dm_gindex_put(&ls->ix, key_hash(&k), ix_match, &k, id);
    return id;
}

static void
on_new(dm_lookups *ls, guint32 txn, dm_time ts)
{
    grow_per_txn(ls, txn);
    const dm_txn *t = dm_tracker_txn(ls->tr, txn);
    if (!t->name)
        return;
    /* A TCP fallback joins its truncated answer's lookup. */
    const dm_txn_ext *e = dm_tracker_ext(ls->tr, t);
    guint32 id = (e && e->fallback_of) ? dm_lookups_of(ls, e->fallback_of) : 0;
    if (id && LOOKUP(ls, id)->definitive)
        id = 0;
    if (!id) {
        lkey k;
        key_of_txn(ls->tr, t, &k);
        id = dm_gindex_find(&ls->ix, key_hash(&k), ix_match, &k);
        if (id && !joinable(ls, LOOKUP(ls, id)))
            id = 0;
        if (id) {
            /* A transaction of the lookup still open has not ended: whatever
             * the gap, a new one joins. */
            const dm_lookup *l = LOOKUP(ls, id);
            const dm_txn *first = dm_tracker_txn(ls->tr, l->first_txn);
            if (l->definitive || (!l->open && dm_time_diff(ts, l->last_event) > ls->window) ||
                !first || dm_time_diff(ts, first->first_ts) > ls->longest)
                id = 0;
        }
    }
    if (id) {
        /* A settled lookup that gains a transaction is open again. */
        LOOKUP(ls, id)->settled = 0;
        join(ls, id, txn, ts);
    } else {
        lookup_new(ls, txn, ts);
    }
}

static void
on_activity(dm_lookups *ls, guint32 txn, dm_time ts)
{
    guint32 id = dm_lookups_of(ls, txn);
    if (!id)
        return;
    dm_lookup *l = LOOKUP(ls, id);
    l->touched = dm_tracker_clock(ls->tr);
    if (ts > l->last_event)
        l->last_event = ts;
    l->last_frame = MAX(l->last_frame, dm_txn_last_frame(ls->tr, dm_tracker_txn(ls->tr, txn)));
    guint8 *open = &OPEN(ls, txn);
    if (!*open && !(dm_tracker_txn(ls->tr, txn)->flags & DM_T_SETTLED) &&
        l->open < G_MAXUINT16) {
        *open = 1;              /* a new attempt reopened it */
        l->open++;
        /* ...and with it an undecided lookup: it is logged again when it
         * settles once more (a retransmission at exactly the timeout). */
        if (!l->definitive)
            l->settled = 0;
    }
}

static gboolean
definitive(dm_outcome o)
{
    return o == DM_OUTCOME_ANSWERED || o == DM_OUTCOME_NODATA || o == DM_OUTCOME_NXDOMAIN;
}

/* Did anything but referrals come before txn in its lookup? Walked once,
 * when the lookup gets its answer (each transaction is walked once then). */
static gboolean
troubled_before(const dm_lookups *ls, const dm_lookup *l, guint32 txn)
{
    for (guint32 t = l->first_txn; t && t != txn; t = NEXT(ls, t))
        if (dm_txn_outcome(ls->tr, dm_tracker_txn(ls->tr, t)) != DM_OUTCOME_REFERRAL)
            return TRUE;
    return FALSE;
}

static void
on_decided(dm_lookups *ls, guint32 txn)
{
    guint32 id = dm_lookups_of(ls, txn);
    if (!id)
        return;
    dm_lookup *l = LOOKUP(ls, id);
    if (l->definitive || !definitive(dm_txn_outcome(ls->tr, dm_tracker_txn(ls->tr, txn))))
        return;
    /* The first definitive answer ends the lookup and fixes its outcome:
     * resolved after referrals only, recovered after anything else. */
    l->definitive = txn;
    l->troubled = troubled_before(ls, l, txn);
    settle(ls, id);
}

/* No definitive answer, but its last transaction is a referral: a
 * minimising resolver's NS query at a zone cut ends there (resolved). */
static gboolean
ends_on_referral(const dm_lookups *ls, const dm_lookup *l)
{
    return l->last_txn &&
           dm_txn_outcome(ls->tr, dm_tracker_txn(ls->tr, l->last_txn)) == DM_OUTCOME_REFERRAL;
}

static void
on_settled(dm_lookups *ls, guint32 txn)
{
    guint32 id = dm_lookups_of(ls, txn);
    if (!id)
        return;
    dm_lookup *l = LOOKUP(ls, id);
    guint8 *open = &OPEN(ls, txn);
    if (*open) {
        *open = 0;
        l->open--;
    } else if (l->settled && !l->definitive) {
        settle(ls, id);         /* a settled lookup whose transaction changed */
        return;
    }
    maybe_settle(ls, id);
}

static void
on_time(dm_lookups *ls)
{
    dm_timer t;
    while (dm_heap_pop_due(&ls->timers, dm_tracker_end_time(ls->tr), &t))
        if (dm_fifo_has(&ls->lookups, t.id))    /* a forgotten one's time-out stays behind */
            maybe_settle(ls, t.id);
    guint32 clock = dm_tracker_clock(ls->tr);
    if (clock >= ls->rotate_at) {
        dm_gindex_rotate(&ls->ix, ix_live, ix_same);
        ls->rotate_at = clock + MIN(dm_tracker_horizon(ls->tr), G_MAXUINT32 - clock);
    }
}

/* At the end of the capture: the outcome of every undecided lookup, in
 * one pass over the transactions (never a walk per frame). A sealed one
 * (tracker forgotten in part: dm_lookups_forget) has its outcome already. */
static void
on_finish(dm_lookups *ls)
{
    guint32 first = ls->lookups.base + 1, end = dm_fifo_end(&ls->lookups);
    for (guint32 id = first; id <= end; id++)
        if (!LOOKUP(ls, id)->sealed)
            LOOKUP(ls, id)->final = DM_LOOKUP_FAILED;
    for (guint32 txn = ls->of_txn.base + 1; txn <= dm_fifo_end(&ls->of_txn); txn++) {
        guint32 id = OF(ls, txn);
        if (id && !LOOKUP(ls, id)->sealed &&
            dm_txn_outcome(ls->tr, dm_tracker_txn(ls->tr, txn)) == DM_OUTCOME_INCOMPLETE)
            LOOKUP(ls, id)->final = DM_LOOKUP_INCOMPLETE;
    }
    for (guint32 id = first; id <= end; id++) {
        dm_lookup *l = LOOKUP(ls, id);
        if (!l->sealed && !l->definitive && l->final == DM_LOOKUP_FAILED &&
            ends_on_referral(ls, l))
            l->final = troubled_before(ls, l, l->last_txn) ? DM_LOOKUP_RECOVERED
                                                           : DM_LOOKUP_RESOLVED;
    }
    for (guint32 id = first; id <= end; id++)
        if (!LOOKUP(ls, id)->settled)
            settle(ls, id);
    ls->finished = TRUE;
}

static void
observe(void *user, dm_event ev, guint32 txn, dm_time ts)
{
    dm_lookups *ls = user;
    if (ev != DM_EV_FINISH && ev != DM_EV_TIME)
        ls->finished = FALSE;
    switch (ev) {
    case DM_EV_NEW: on_new(ls, txn, ts); break;
    case DM_EV_ACTIVITY: on_activity(ls, txn, ts); break;
    case DM_EV_DECIDED: on_decided(ls, txn); break;
    case DM_EV_SETTLED: on_settled(ls, txn); break;
    case DM_EV_TIME: on_time(ls); break;
    case DM_EV_FINISH: on_finish(ls); break;
    }
}

/* ---- public ------------------------------------------------------------ */

dm_lookups *
dm_lookups_new(dm_tracker *tr, double lookup_window)
{
    dm_lookups *ls = g_new0(dm_lookups, 1);
    ls->tr = tr;
    ls->window = dm_time_secs(lookup_window);
    ls->longest = dm_time_secs(dm_tracker_horizon(tr));
    dm_fifo_init(&ls->lookups, sizeof(dm_lookup));
    dm_fifo_init(&ls->of_txn, sizeof(guint32));
    dm_fifo_init(&ls->next, sizeof(guint32));
    dm_fifo_init(&ls->open, sizeof(guint8));
    ls->server_sets = g_ptr_array_new();
    ls->free_sets = g_array_new(FALSE, FALSE, sizeof(guint32));
    ls->sealed_delay = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    dm_gindex_init(&ls->ix, ix_hash, ls);
    ls->rotate_at = dm_tracker_horizon(tr);
    dm_heap_init(&ls->timers);
    dm_fifo_init(&ls->settled, sizeof(guint32));
    dm_tracker_observe(tr, observe, ls);
    return ls;
}

void
dm_lookups_free(dm_lookups *ls)
{
    if (!ls)
        return;
    dm_gindex_clear(&ls->ix);
    dm_fifo_free(&ls->lookups);
    dm_fifo_free(&ls->of_txn);
    dm_fifo_free(&ls->next);
    dm_fifo_free(&ls->open);
    for (guint i = 0; i < ls->server_sets->len; i++)
        if (g_ptr_array_index(ls->server_sets, i))
            g_hash_table_destroy(g_ptr_array_index(ls->server_sets, i));
    g_ptr_array_free(ls->server_sets, TRUE);
    g_array_free(ls->free_sets, TRUE);
    g_hash_table_destroy(ls->sealed_delay);
    dm_heap_clear(&ls->timers);
    dm_fifo_free(&ls->settled);
    g_free(ls);
}

guint32
dm_lookups_of(const dm_lookups *ls, guint32 txn)
{
    return dm_fifo_has(&ls->of_txn, txn) ? OF(ls, txn) : 0;
}

guint32
dm_lookups_next(const dm_lookups *ls, guint32 txn)
{
    return dm_fifo_has(&ls->next, txn) ? NEXT(ls, txn) : 0;
}

guint32
dm_lookups_count(const dm_lookups *ls)
{
    return dm_fifo_end(&ls->lookups);
}

guint32
dm_lookups_first(const dm_lookups *ls)
{
    return ls->lookups.base + 1;
}

const dm_lookup *
dm_lookups_get(const dm_lookups *ls, guint32 id)
{
    return dm_fifo_has(&ls->lookups, id) ? LOOKUP(ls, id) : NULL;
}

dm_lookup_outcome
dm_lookup_outcome_of(const dm_lookups *ls, const dm_lookup *l)
{
    if (l->definitive)
        return l->troubled ? DM_LOOKUP_RECOVERED : DM_LOOKUP_RESOLVED;
    if (ls->finished || l->sealed)
        return (dm_lookup_outcome)l->final;
    /* As of now: a settled lookup (nothing open, lookup_window passed) has
     * nothing incomplete; it failed, or ended on a referral. */
    if (ends_on_referral(ls, l))
        return troubled_before(ls, l, l->last_txn) ? DM_LOOKUP_RECOVERED : DM_LOOKUP_RESOLVED;
    for (guint32 t = l->first_txn; t; t = NEXT(ls, t))
        if (dm_txn_outcome(ls->tr, dm_tracker_txn(ls->tr, t)) == DM_OUTCOME_INCOMPLETE)
            return DM_LOOKUP_INCOMPLETE;
    return DM_LOOKUP_FAILED;
}

dm_lookup_outcome
dm_lookup_shown_outcome(const dm_lookups *ls, const dm_lookup *l)
{
    if (l->definitive || ls->finished)
        return dm_lookup_outcome_of(ls, l);
    return DM_LOOKUP_PENDING;
}

gboolean
dm_lookup_delay(const dm_lookups *ls, const dm_lookup *l, dm_time *delay)
{
    if (!l->definitive)
        return FALSE;
    const dm_txn *first = dm_tracker_txn(ls->tr, l->first_txn);
    const dm_txn *def = dm_tracker_txn(ls->tr, l->definitive);
    if (!first || !def) {
        /* sealed with its first transactions forgotten: kept then */
        guint32 id = (guint32)(l - (const dm_lookup *)(const void *)ls->lookups.a->data) + 1 +
                     ls->lookups.base;
        const dm_time *d = g_hash_table_lookup(ls->sealed_delay, GUINT_TO_POINTER(id));
        if (!d)
            return FALSE;
        *delay = *d;
        return TRUE;
    }
    *delay = MAX(dm_time_diff(dm_txn_answer_ts(ls->tr, def), first->first_ts), 0);
    return TRUE;
}

guint32
dm_lookups_settled(const dm_lookups *ls, const guint32 **log)
{
    *log = (const guint32 *)(const void *)ls->settled.a->data;
    return ls->settled.a->len;
}

guint32
dm_lookups_settled_base(const dm_lookups *ls)
{
    return ls->settled.base;
}

/* ---- forgetting (docs/design.md, "Memory") ----------------------------- */

gboolean
dm_lookups_txn_final(const dm_lookups *ls, guint32 txn)
{
    const dm_lookup *l = dm_lookups_get(ls, dm_lookups_of(ls, txn));
    return !l || l->sealed || l->definitive ||
           (!l->open && dm_tracker_past_horizon(ls->tr, l->touched));
}

static void
release_servers(dm_lookups *ls, dm_lookup *l)
{
    if (l->servers < 2 || !l->server)
        return;
    g_hash_table_destroy(g_ptr_array_index(ls->server_sets, l->server - 1));
    g_ptr_array_index(ls->server_sets, l->server - 1) = NULL;
    g_array_append_val(ls->free_sets, l->server);
    l->server = 0;
}

/* A lookup about to lose its first transactions: its outcome (and delay)
 * fixed now, while they are held, as the end of the capture would fix it
 * (nothing can join or change it any more). */
static void
seal(dm_lookups *ls, guint32 id)
{
    dm_lookup *l = LOOKUP(ls, id);
    if (l->sealed)
        return;
    dm_time delay;
    if (dm_lookup_delay(ls, l, &delay))
        g_hash_table_insert(ls->sealed_delay, GUINT_TO_POINTER(id), g_memdup2(&delay, sizeof delay));
    if (!l->definitive) {
        l->final = DM_LOOKUP_FAILED;
        if (ends_on_referral(ls, l))
            l->final = troubled_before(ls, l, l->last_txn) ? DM_LOOKUP_RECOVERED
                                                           : DM_LOOKUP_RESOLVED;
    }
    /* Nothing joins any more: its servers are counted, the set can go (the
     * addresses in it may be forgotten). */
    release_servers(ls, l);
    l->sealed = 1;
}

/* What goes is out of the index, and what loses its first transaction
 * was sealed just before (nothing joins it). */
static gboolean
keep_in_index(const void *ctx, guint32 id)
{
    const dm_lookups *ls = ctx;
    return id > ls->dropping && !LOOKUP(ls, id)->sealed;
}

void
dm_lookups_forget(dm_lookups *ls, guint32 until)
{
    /* Whole lookups, oldest first, once their last transaction goes. */
    guint32 drop = ls->lookups.base;
    while (drop < dm_fifo_end(&ls->lookups) && LOOKUP(ls, drop + 1)->last_txn < until)
        drop++;
    /* The others losing their first transaction: sealed (a newer one held
     * kept them), then out of the index with what goes. */
    for (guint32 txn = ls->of_txn.base + 1; txn < until && txn <= dm_fifo_end(&ls->of_txn); txn++) {
        guint32 id = OF(ls, txn);
        if (id > drop && LOOKUP(ls, id)->first_txn == txn)
            seal(ls, id);
    }
    ls->dropping = drop;
    dm_gindex_purge(&ls->ix, keep_in_index);
    for (guint32 id = ls->lookups.base + 1; id <= drop; id++) {
        release_servers(ls, LOOKUP(ls, id));
        g_hash_table_remove(ls->sealed_delay, GUINT_TO_POINTER(id));
    }
    dm_fifo_drop(&ls->lookups, drop);
    dm_fifo_drop(&ls->of_txn, until - 1);
    dm_fifo_drop(&ls->next, until - 1);
    dm_fifo_drop(&ls->open, until - 1);
    /* Every listener took what settled before. */
    dm_fifo_drop(&ls->settled, dm_fifo_end(&ls->settled));
}

guint
dm_lookups_memory(const dm_lookups *ls, dm_memory_part *parts, guint max)
{
    const dm_memory_part all[] = {
        { "lookups", dm_fifo_bytes(&ls->lookups), ls->lookups.a->len },
        { "per transaction", dm_fifo_bytes(&ls->of_txn) + dm_fifo_bytes(&ls->next) +
          dm_fifo_bytes(&ls->open), ls->of_txn.a->len },
        { "index", dm_gindex_bytes(&ls->ix), 0 },
        { "time-outs", dm_heap_bytes(&ls->timers), 0 },
        { "settle log", dm_fifo_bytes(&ls->settled), ls->settled.a->len },
        { "the layer itself", sizeof *ls, 0 },
    };
    guint n = MIN(max, G_N_ELEMENTS(all));
    memcpy(parts, all, n * sizeof *parts);
    return n;
}

gsize
dm_lookups_bytes(const dm_lookups *ls)
{
    dm_memory_part parts[DM_MEMORY_PARTS];
    gsize n = 0;
    for (guint i = 0, k = dm_lookups_memory(ls, parts, DM_MEMORY_PARTS); i < k; i++)
        n += parts[i].bytes;
    return n;
}
