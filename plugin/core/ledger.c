/* ledger.c — see dnsmon_ledger.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_ledger.h"

/* One byte per transaction or lookup: SEEN, and the counted outcome + 1
 * (0 = not counted). */
#define SEEN 0x80
#define COUNTED 0x7f

typedef struct {
    GByteArray *state;          /* index id - base - 1 */
    guint32 base;               /* ids up to this one are forgotten */
    guint32 cursor;             /* into the settle log (its position in the whole log) */
    guint32 seen, counted;      /* how many are SEEN; of those, counted */
} book;

struct dm_ledger {
    book txns, lookups;
    /* SYN items seen before their connection attempt became a transaction
     * (it does when it fails, later): they make it seen then. */
    GHashTable *early_syns;
};

dm_ledger *
dm_ledger_new(void)
{
    dm_ledger *l = g_new0(dm_ledger, 1);
    l->txns.state = g_byte_array_new();
    l->lookups.state = g_byte_array_new();
    l->early_syns = g_hash_table_new(g_direct_hash, g_direct_equal);
    return l;
}

void
dm_ledger_free(dm_ledger *l)
{
    if (!l)
        return;
    g_byte_array_free(l->txns.state, TRUE);
    g_byte_array_free(l->lookups.state, TRUE);
    g_hash_table_destroy(l->early_syns);
    g_free(l);
}

void
dm_ledger_reset(dm_ledger *l)
{
    g_byte_array_set_size(l->txns.state, 0);
    g_byte_array_set_size(l->lookups.state, 0);
    l->txns.cursor = l->lookups.cursor = 0;
    l->txns.base = l->lookups.base = 0;
    l->txns.seen = l->txns.counted = l->lookups.seen = l->lookups.counted = 0;
    g_hash_table_remove_all(l->early_syns);
}

/* The state of id, NULL for a forgotten one. */
static guint8 *
slot(book *b, guint32 id)
{
    if (id <= b->base)
        return NULL;
    guint32 k = id - b->base;
    if (b->state->len < k) {
        guint old = b->state->len;
        g_byte_array_set_size(b->state, k);
        memset(b->state->data + old, 0, k - old);
    }
    return &b->state->data[k - 1];
}

static guint8
state_of(const book *b, guint32 id)
{
    return id > b->base && id - b->base <= b->state->len ? b->state->data[id - b->base - 1] : 0;
}

/* Marks id seen; TRUE if it was not. */
static gboolean
mark_seen(book *b, guint32 id)
{
    guint8 *s = slot(b, id);
    if (!s || (*s & SEEN))
        return FALSE;
    *s |= SEEN;
    b->seen++;
    return TRUE;
}

static int
counted(const book *b, guint32 id)
{
    guint8 v = state_of(b, id) & COUNTED;
    return v ? v - 1 : DM_NOT_COUNTED;
}

int
dm_ledger_counted(const dm_ledger *l, guint32 txn)
{
    return counted(&l->txns, txn);
}

int
dm_ledger_lookup_counted(const dm_ledger *l, guint32 lookup)
{
    return counted(&l->lookups, lookup);
}

gboolean
dm_ledger_seen(const dm_ledger *l, guint32 txn)
{
    return (state_of(&l->txns, txn) & SEEN) != 0;
}

/* Count (or move) id under now, if it was seen. */
static void
count(book *b, guint32 id, int now, void (*fn)(void *, guint32, int, int), void *user)
{
    guint8 *s = slot(b, id);
    if (!s || !(*s & SEEN))
        return;
    int old = (*s & COUNTED) ? (*s & COUNTED) - 1 : DM_NOT_COUNTED;
    if (old == now)
        return;
    if (old == DM_NOT_COUNTED)
        b->counted++;
    *s = (guint8)(SEEN | (now + 1));
    if (fn)
        fn(user, id, old, now);
}

static void
txn_count(dm_ledger *l, const dm_tracker *tr, guint32 id, const dm_ledger_fns *fns, void *user)
{
    const dm_txn *t = dm_tracker_txn(tr, id);
    if (!t)
        return;
    if ((t->flags & DM_T_CONNECTION) && g_hash_table_size(l->early_syns) &&
        (g_hash_table_contains(l->early_syns, GUINT_TO_POINTER(t->first_item)) ||
         g_hash_table_contains(l->early_syns, GUINT_TO_POINTER(dm_txn_last_item(tr, t)))))
        mark_seen(&l->txns, id);
    count(&l->txns, id, (int)dm_txn_outcome(tr, dm_tracker_txn(tr, id)), fns->txn, user);
}

static void
lookup_count(dm_ledger *l, const dm_lookups *ls, guint32 id, const dm_ledger_fns *fns,
             void *user)
{
    count(&l->lookups, id, (int)dm_lookup_outcome_of(ls, dm_lookups_get(ls, id)), fns->lookup,
          user);
}

static void
book_forget(book *b, guint32 until)
{
    if (until <= b->base + 1)
        return;
    guint32 n = MIN(until - 1 - b->base, b->state->len);
    for (guint32 i = 0; i < n; i++) {
        /* what goes was seen and counted (it settled): out of both sums */
        guint8 v = b->state->data[i];
        b->seen -= (v & SEEN) != 0;
        b->counted -= (v & SEEN) && (v & COUNTED);
    }
    g_byte_array_remove_range(b->state, 0, n);
    b->base = until - 1;
}

static gboolean
item_gone(gpointer key, gpointer value, gpointer first)
{
    (void)value;
    return GPOINTER_TO_UINT(key) < GPOINTER_TO_UINT(first);
}

/* The engine forgot its oldest transactions, lookups and items (after this
 * ledger took them: docs/design.md, "Memory"): so does the ledger. */
static void
follow_engine(dm_ledger *l, const dm_tracker *tr, const dm_lookups *ls)
{
    if (dm_tracker_first(tr) <= l->txns.base + 1 && dm_lookups_first(ls) <= l->lookups.base + 1)
        return;
    book_forget(&l->txns, dm_tracker_first(tr));
    book_forget(&l->lookups, dm_lookups_first(ls));
    if (g_hash_table_size(l->early_syns))
        g_hash_table_foreach_remove(l->early_syns, item_gone,
                                    GUINT_TO_POINTER(dm_tracker_first_item(tr)));
}

void
dm_ledger_update(dm_ledger *l, const dm_tracker *tr, const dm_lookups *ls, guint32 item,
                 const dm_ledger_fns *fns, void *user)
{
    follow_engine(l, tr, ls);
    const dm_item *it = dm_tracker_item(tr, item);
    guint32 txn = it ? it->txn : 0;
    if (it && !txn && (it->flags & DM_F_SYN))
        g_hash_table_add(l->early_syns, GUINT_TO_POINTER(item));
    if (txn) {
        if (mark_seen(&l->txns, txn) && (dm_tracker_txn(tr, txn)->flags & DM_T_SETTLED))
            txn_count(l, tr, txn, fns, user);
        guint32 lk = dm_lookups_of(ls, txn);
        if (lk && mark_seen(&l->lookups, lk) && dm_lookups_get(ls, lk)->settled)
            lookup_count(l, ls, lk, fns, user);
    }
    /* The settle logs: cursors are positions in the whole log, whose
     * entries before base are dropped (every listener took them). */
    const guint32 *log;
    guint32 base = dm_tracker_settled_base(tr), n = base + dm_tracker_settled(tr, &log);
    for (l->txns.cursor = MAX(l->txns.cursor, base); l->txns.cursor < n; l->txns.cursor++)
        txn_count(l, tr, log[l->txns.cursor - base], fns, user);
    base = dm_lookups_settled_base(ls);
    n = base + dm_lookups_settled(ls, &log);
    for (l->lookups.cursor = MAX(l->lookups.cursor, base); l->lookups.cursor < n;
         l->lookups.cursor++)
        lookup_count(l, ls, log[l->lookups.cursor - base], fns, user);
}


void
dm_ledger_flush(dm_ledger *l, const dm_tracker *tr, const dm_lookups *ls,
                const dm_ledger_fns *fns, void *user)
{
    dm_ledger_update(l, tr, ls, 0, fns, user);
}

guint32
dm_ledger_pending(const dm_ledger *l)
{
    return l->txns.seen - l->txns.counted;
}
