/* forget.c — see dnsmon_forget.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dnsmon_forget.h"

/* Never fewer than this many at once: each forgetting walks what is held. */
#define MIN_BATCH 8192

guint32
dm_forget_point(const dm_tracker *tr, const dm_lookups *ls)
{
    guint32 id = dm_tracker_first(tr), end = dm_tracker_txn_count(tr);
    while (id <= end && dm_tracker_txn_done(tr, id) && dm_lookups_txn_final(ls, id))
        id++;
    return id;
}

gboolean
dm_forget_worth(const dm_tracker *tr, guint32 until)
{
    guint32 first = dm_tracker_first(tr), held = dm_tracker_txn_count(tr) + 1 - first;
    return until > first && until - first >= MAX(MIN_BATCH, held / 4);
}

void
dm_forget_decide(dm_upstream *up, dm_downgrades *dg)
{
    if (up)
        dm_upstream_decide_now(up);
    if (dg)
        dm_downgrades_decide_now(dg);
}

void
dm_forget(dm_tracker *tr, dm_lookups *ls, dm_upstream *up, dm_downgrades *dg, guint32 until)
{
    until = MIN(until, dm_forget_point(tr, ls));
    if (until <= dm_tracker_first(tr))
        return;
    /* Top down: a layer lets go while what it refers to is still held. */
    if (dg)
        dm_downgrades_forget(dg);
    if (up)
        dm_upstream_forget(up);
    dm_lookups_forget(ls, until);
    dm_tracker_forget(tr, until);
}
