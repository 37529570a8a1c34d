/* dnsmon_lookups.h — lookups: what the user felt (docs/design.md, "Lookups").
 *
 * Resolvers retry on another port, fail over to the next server, fall back
 * to TCP: each try is its own transaction. A lookup groups them: one client
 * address asking one question (name compared without case), from its first
 * transaction until a definitive answer (answered, nodata, nxdomain), with
 * every later transaction that starts at most lookup_window after the
 * lookup's latest event. A referral is a step, not an end. A TCP fallback
 * joins its truncated answer's lookup.
 *
 * The layer sits above the tracker and learns everything through its
 * observer; the tracker knows nothing of lookups. Plain C with GLib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_LOOKUPS_H
#define DNSMON_LOOKUPS_H

#include "dnsmon_tracker.h"

G_BEGIN_DECLS

typedef struct {
    dm_time last_event;         /* latest attempt, response, ICMP error or reset */
    guint32 last_frame;         /* the frame of it (its expert info goes there) */
    guint32 first_txn, last_txn;    /* transactions, in the order they joined */
    guint32 definitive;         /* the transaction whose answer ended it, 0 if none */
    guint32 server;             /* one server: it (interned address); more: the id of their
                                   set (lookups.c), 0 once that is released */
    guint32 touched;            /* the tracker's clock at its latest event */
    guint32 txns : 26;          /* how many (saturating) */
    guint32 settled : 1;
    guint32 final : 3;          /* its outcome, computed once the capture ended */
    guint32 troubled : 1;       /* a failed or truncated transaction came before its answer */
    guint32 sealed : 1;         /* its outcome is fixed: its first transactions are forgotten */
    guint16 servers;            /* distinct servers tried (saturating) */
    guint16 open;               /* transactions not settled yet (saturating) */
} dm_lookup;                    /* 40 bytes */

typedef struct dm_lookups dm_lookups;

/* Observes tr from now on; lookup_window in seconds. */
dm_lookups *dm_lookups_new(dm_tracker *tr, double lookup_window);
void dm_lookups_free(dm_lookups *ls);

/* The lookup of a transaction (1-based), 0 for one without a question. */
guint32 dm_lookups_of(const dm_lookups *ls, guint32 txn);
guint32 dm_lookups_count(const dm_lookups *ls);
/* The next transaction of the same lookup, 0 after the last. */
guint32 dm_lookups_next(const dm_lookups *ls, guint32 txn);
const dm_lookup *dm_lookups_get(const dm_lookups *ls, guint32 id);

/* Outcome as of the tracker's end time (final once it finished). */
dm_lookup_outcome dm_lookup_outcome_of(const dm_lookups *ls, const dm_lookup *l);
/* While the first pass runs: known only once definitive, else pending. */
dm_lookup_outcome dm_lookup_shown_outcome(const dm_lookups *ls, const dm_lookup *l);
/* First query to the definitive answer; FALSE if none. */
gboolean dm_lookup_delay(const dm_lookups *ls, const dm_lookup *l, dm_time *delay);

/* Settle log: lookups in the order they settled (again when they change
 * after settling). A lookup settles once it is definitive, or once all its
 * transactions settled and lookup_window passed without a new one. */
guint32 dm_lookups_settled(const dm_lookups *ls, const guint32 **log);
/* How many entries of the settle log were dropped before *log (its first
 * entry's position): listeners keep a cursor into the whole log. */
guint32 dm_lookups_settled_base(const dm_lookups *ls);

/* ---- forgetting (docs/design.md, "Memory") ------------------------------ */

/* The lowest lookup number still held. */
guint32 dm_lookups_first(const dm_lookups *ls);
/* Whether the lookup of transaction txn (if any) can no longer change:
 * ended by an answer, or nothing of it open and its latest event past the
 * horizon. */
gboolean dm_lookups_txn_final(const dm_lookups *ls, guint32 txn);
/* Forgets what concerns the transactions below `until` (about to be
 * forgotten by the tracker, after this): a lookup losing its first ones is
 * sealed (its outcome and delay fixed), a lookup all of whose transactions
 * go goes too. The settle log is dropped: every listener took it. */
void dm_lookups_forget(dm_lookups *ls, guint32 until);

gsize dm_lookups_bytes(const dm_lookups *ls);
guint dm_lookups_memory(const dm_lookups *ls, dm_memory_part *parts, guint max);

G_END_DECLS

#endif
