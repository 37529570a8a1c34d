/* dnsmon_ledger.h — what a statistics listener has counted so far.
 *
 * Counts in every tap are per transaction and final, yet in a single pass a
 * transaction's outcome is only known "as of now" and may still change
 * (incomplete -> answered, say). A ledger remembers under which outcome it
 * counted each transaction and, fed the tracker's change log, reports each
 * move so the listener can take one away here and add one there. At the end
 * of the capture every count is the final one.
 *
 * A transaction is counted once one of its frames reached the listener, so
 * a tap filter selects transactions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_LEDGER_H
#define DNSMON_LEDGER_H

#include "dnsmon_tracker.h"

G_BEGIN_DECLS

#define DM_NOT_COUNTED (-1)

/* Called for each change of a counted transaction: old is DM_NOT_COUNTED
 * the first time, and may equal now (an attempt was added, say). */
typedef void (*dm_ledger_fn)(void *user, const dm_txn *t, int old, dm_outcome now);

typedef struct dm_ledger dm_ledger;

dm_ledger *dm_ledger_new(void);
void dm_ledger_free(dm_ledger *l);
void dm_ledger_reset(dm_ledger *l);
/* A frame of transaction t (or of none, t NULL) reached the listener. */
void dm_ledger_update(dm_ledger *l, const dm_tracker *tr, const dm_txn *t, dm_ledger_fn fn,
                      void *user);
/* The outcome t is counted under, or DM_NOT_COUNTED. */
int dm_ledger_counted(const dm_ledger *l, const dm_txn *t);

G_END_DECLS

#endif
