/* ledger.c — see dnsmon_ledger.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dnsmon_ledger.h"

struct dm_ledger {
    GArray *counted;            /* gint8 per transaction number, DM_NOT_COUNTED if not */
    guint cursor;               /* into the tracker's change log */
};

dm_ledger *
dm_ledger_new(void)
{
    dm_ledger *l = g_new0(dm_ledger, 1);
    l->counted = g_array_new(FALSE, FALSE, sizeof(gint8));
    return l;
}

void
dm_ledger_free(dm_ledger *l)
{
    if (!l)
        return;
    g_array_free(l->counted, TRUE);
    g_free(l);
}

void
dm_ledger_reset(dm_ledger *l)
{
    g_array_set_size(l->counted, 0);
    l->cursor = 0;
}

int
dm_ledger_counted(const dm_ledger *l, const dm_txn *t)
{
    if (!t || t->num > l->counted->len)
        return DM_NOT_COUNTED;
    return g_array_index(l->counted, gint8, t->num - 1);
}

static void
recount(dm_ledger *l, const dm_tracker *tr, const dm_txn *t, gboolean first, dm_ledger_fn fn,
        void *user)
{
    while (l->counted->len < t->num) {
        gint8 none = DM_NOT_COUNTED;
        g_array_append_val(l->counted, none);
    }
    gint8 *slot = &g_array_index(l->counted, gint8, t->num - 1);
    if (*slot == DM_NOT_COUNTED && !first)
        return;             /* none of its frames reached this listener yet */
    dm_outcome now = dm_txn_outcome(tr, t);
    int old = *slot;
    *slot = (gint8)now;
    fn(user, t, old, now);
}

void
dm_ledger_update(dm_ledger *l, const dm_tracker *tr, const dm_txn *t, dm_ledger_fn fn,
                 void *user)
{
    if (t && dm_ledger_counted(l, t) == DM_NOT_COUNTED)
        recount(l, tr, t, TRUE, fn, user);
    dm_txn *const *log;
    guint n = dm_tracker_changes(tr, &log);
    for (; l->cursor < n; l->cursor++)
        recount(l, tr, log[l->cursor], FALSE, fn, user);
}
