/* dnsmon_ledger.h — what a statistics listener has counted so far.
 *
 * Counts in every tap are per transaction (and per lookup) and final, the
 * same in one pass and with -2. A ledger counts a transaction once it
 * settled (its outcome can only change by a late response) and one of its
 * frames reached the listener — so a tap filter selects transactions — and
 * moves it if it changes after that. What has not settled is pending: not
 * counted (dm_ledger_pending tells how many a listener saw). Once the
 * engine's owner finished the pass everything has settled. A ledger only
 * reads the engine: drawing a listener at any moment changes no verdict.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_LEDGER_H
#define DNSMON_LEDGER_H

#include "dnsmon_lookups.h"

G_BEGIN_DECLS

#define DM_NOT_COUNTED (-1)

/* Called when a transaction (or lookup) is counted (old DM_NOT_COUNTED) or
 * moves from outcome old to now (a dm_outcome, or a dm_lookup_outcome). */
typedef struct {
    void (*txn)(void *user, guint32 txn, int old, int now);
    void (*lookup)(void *user, guint32 lookup, int old, int now);
} dm_ledger_fns;

typedef struct dm_ledger dm_ledger;

dm_ledger *dm_ledger_new(void);
void dm_ledger_free(dm_ledger *l);
void dm_ledger_reset(dm_ledger *l);
/* Frame item `item` (0: a frame with nothing) reached the listener. */
void dm_ledger_update(dm_ledger *l, const dm_tracker *tr, const dm_lookups *ls, guint32 item,
                      const dm_ledger_fns *fns, void *user);
/* Catches up with what settled since (before the listener is drawn). */
void dm_ledger_flush(dm_ledger *l, const dm_tracker *tr, const dm_lookups *ls,
                     const dm_ledger_fns *fns, void *user);
/* The outcome t (or lookup id) is counted under, or DM_NOT_COUNTED. */
int dm_ledger_counted(const dm_ledger *l, guint32 txn);
int dm_ledger_lookup_counted(const dm_ledger *l, guint32 lookup);
/* Transactions that reached the listener and have not settled yet. */
guint32 dm_ledger_pending(const dm_ledger *l);
/* One of its frames reached the listener. */
gboolean dm_ledger_seen(const dm_ledger *l, guint32 txn);
/* When the engine forgets (docs/design.md, "Memory"), a ledger must be
 * flushed before; it lets go of what the engine forgot at its next update
 * or flush. */

G_END_DECLS

#endif
