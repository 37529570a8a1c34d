/* lookups.c — groups transactions into lookups; see dnsmon_lookups.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_hash.h"
#include "dnsmon_heap.h"
#include "dnsmon_lookups.h"

struct dm_lookups {
    dm_tracker *tr;
    dm_time window;
    GArray *lookups;            /* dm_lookup; id = index + 1 */
    GArray *of_txn;             /* guint32 per transaction: its lookup */
    GArray *next;               /* guint32 per transaction: next one of its lookup */
    GArray *open;               /* guint8 per transaction: counted in its lookup's open */
    GPtrArray *server_sets;     /* GHashTable* of interned server ids */
    dm_gindex ix;               /* client + question -> newest lookup (generational) */
    guint32 rotate_at;          /* the tracker's clock value of its next rotation */
    dm_heap timers;             /* when an undecided lookup may settle */
    GArray *settled;
    gboolean finished;
};

#define LOOKUP(ls, id) (&g_array_index((ls)->lookups, dm_lookup, (id) - 1))
#define U32(a, i) g_array_index((a), guint32, (i) - 1)

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
    k->qclass = t->qclass;
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
    g_array_append_val(ls->settled, id);
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

/* Distinct servers: most lookups ask one, kept inline; a set from the
 * second one on (keys are interned ids, so not an attacker's to choose). */
static void
add_server(dm_lookups *ls, dm_lookup *l, guint32 server)
{
    if (!l->servers) {
        l->server = server;
        l->servers = 1;
        return;
    }
    if (l->server == server)
        return;
    if (!l->more_servers) {
        GHashTable *set = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_add(set, GUINT_TO_POINTER(l->server));
        g_ptr_array_add(ls->server_sets, set);
        l->more_servers = ls->server_sets->len;
    }
    GHashTable *set = g_ptr_array_index(ls->server_sets, l->more_servers - 1);
    if (!g_hash_table_contains(set, GUINT_TO_POINTER(server))) {
        g_hash_table_add(set, GUINT_TO_POINTER(server));
        l->servers++;
    }
}

static void
grow_per_txn(dm_lookups *ls, guint32 txn)
{
    guint32 zero = 0;
    guint8 z8 = 0;
    while (ls->of_txn->len < txn) {
        g_array_append_val(ls->of_txn, zero);
        g_array_append_val(ls->next, zero);
        g_array_append_val(ls->open, z8);
    }
}

static void
join(dm_lookups *ls, guint32 id, guint32 txn, dm_time ts)
{
    dm_lookup *l = LOOKUP(ls, id);
    U32(ls->of_txn, txn) = id;
    if (l->last_txn)
        U32(ls->next, l->last_txn) = txn;
    else
        l->first_txn = txn;
    l->last_txn = txn;
    l->txns++;
    l->touched = dm_tracker_clock(ls->tr);
    if (ts > l->last_event || l->txns == 1)
        l->last_event = ts;
    const dm_txn *t = dm_tracker_txn(ls->tr, txn);
    l->last_frame = MAX(l->last_frame, dm_txn_last_frame(ls->tr, t));
    add_server(ls, l, t->server);
    if (!(t->flags & DM_T_SETTLED) && l->open < G_MAXUINT16) {
        g_array_index(ls->open, guint8, txn - 1) = 1;
        l->open++;
    }
}

static guint32
lookup_new(dm_lookups *ls, guint32 txn, dm_time ts)
{
    dm_lookup l;
    memset(&l, 0, sizeof l);
    g_array_append_val(ls->lookups, l);
    guint32 id = ls->lookups->len;
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
            if (l->definitive || (!l->open && dm_time_diff(ts, l->last_event) > ls->window))
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
    guint8 *open = &g_array_index(ls->open, guint8, txn - 1);
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
    for (guint32 t = l->first_txn; t && t != txn; t = U32(ls->next, t))
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
    guint8 *open = &g_array_index(ls->open, guint8, txn - 1);
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
        maybe_settle(ls, t.id);
    guint32 clock = dm_tracker_clock(ls->tr);
    if (clock >= ls->rotate_at) {
        dm_gindex_rotate(&ls->ix, ix_live, ix_same);
        ls->rotate_at = clock + MIN(dm_tracker_horizon(ls->tr), G_MAXUINT32 - clock);
    }
}

/* At the end of the capture: the outcome of every undecided lookup, in
 * one pass over the transactions (never a walk per frame). */
static void
on_finish(dm_lookups *ls)
{
    for (guint32 id = 1; id <= ls->lookups->len; id++)
        LOOKUP(ls, id)->final = DM_LOOKUP_FAILED;
    for (guint32 txn = 1; txn <= ls->of_txn->len; txn++) {
        guint32 id = U32(ls->of_txn, txn);
        if (id && dm_txn_outcome(ls->tr, dm_tracker_txn(ls->tr, txn)) == DM_OUTCOME_INCOMPLETE)
            LOOKUP(ls, id)->final = DM_LOOKUP_INCOMPLETE;
    }
    for (guint32 id = 1; id <= ls->lookups->len; id++) {
        dm_lookup *l = LOOKUP(ls, id);
        if (!l->definitive && l->final == DM_LOOKUP_FAILED && ends_on_referral(ls, l))
            l->final = troubled_before(ls, l, l->last_txn) ? DM_LOOKUP_RECOVERED
                                                           : DM_LOOKUP_RESOLVED;
    }
    for (guint32 id = 1; id <= ls->lookups->len; id++)
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
    ls->lookups = g_array_new(FALSE, FALSE, sizeof(dm_lookup));
    ls->of_txn = g_array_new(FALSE, FALSE, sizeof(guint32));
    ls->next = g_array_new(FALSE, FALSE, sizeof(guint32));
    ls->open = g_array_new(FALSE, FALSE, sizeof(guint8));
    ls->server_sets = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_destroy);
    dm_gindex_init(&ls->ix, ix_hash, ls);
    ls->rotate_at = dm_tracker_horizon(tr);
    dm_heap_init(&ls->timers);
    ls->settled = g_array_new(FALSE, FALSE, sizeof(guint32));
    dm_tracker_observe(tr, observe, ls);
    return ls;
}

void
dm_lookups_free(dm_lookups *ls)
{
    if (!ls)
        return;
    dm_gindex_clear(&ls->ix);
    g_array_free(ls->lookups, TRUE);
    g_array_free(ls->of_txn, TRUE);
    g_array_free(ls->next, TRUE);
    g_array_free(ls->open, TRUE);
    g_ptr_array_free(ls->server_sets, TRUE);
    dm_heap_clear(&ls->timers);
    g_array_free(ls->settled, TRUE);
    g_free(ls);
}

guint32
dm_lookups_of(const dm_lookups *ls, guint32 txn)
{
    return (txn && txn <= ls->of_txn->len) ? U32(ls->of_txn, txn) : 0;
}

guint32
dm_lookups_next(const dm_lookups *ls, guint32 txn)
{
    return (txn && txn <= ls->next->len) ? U32(ls->next, txn) : 0;
}

guint32
dm_lookups_count(const dm_lookups *ls)
{
    return ls->lookups->len;
}

const dm_lookup *
dm_lookups_get(const dm_lookups *ls, guint32 id)
{
    return (id && id <= ls->lookups->len) ? LOOKUP(ls, id) : NULL;
}

dm_lookup_outcome
dm_lookup_outcome_of(const dm_lookups *ls, const dm_lookup *l)
{
    if (l->definitive)
        return l->troubled ? DM_LOOKUP_RECOVERED : DM_LOOKUP_RESOLVED;
    if (ls->finished)
        return (dm_lookup_outcome)l->final;
    /* As of now: a settled lookup (nothing open, lookup_window passed) has
     * nothing incomplete; it failed, or ended on a referral. */
    if (ends_on_referral(ls, l))
        return troubled_before(ls, l, l->last_txn) ? DM_LOOKUP_RECOVERED : DM_LOOKUP_RESOLVED;
    for (guint32 t = l->first_txn; t; t = U32(ls->next, t))
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
    *delay = MAX(dm_time_diff(def->answer_ts, first->first_ts), 0);
    return TRUE;
}

guint32
dm_lookups_settled(const dm_lookups *ls, const guint32 **log)
{
    *log = (const guint32 *)(const void *)ls->settled->data;
    return ls->settled->len;
}

gsize
dm_lookups_bytes(const dm_lookups *ls)
{
    return sizeof *ls + ls->lookups->len * sizeof(dm_lookup) +
           ls->of_txn->len * (2 * sizeof(guint32) + 1) +
           dm_gindex_bytes(&ls->ix) + dm_heap_bytes(&ls->timers) +
           ls->settled->len * sizeof(guint32);
}
