/* dnsmon_upstream.h — why a resolver failed (docs/design.md, "Resolvers").
 *
 * In a capture that sees both sides of a recursive resolver or forwarder,
 * links each of its clients' transactions (downstream) to the transactions
 * it sent itself to answer them (upstream), and gives every failed
 * downstream transaction its upstream cause: the servers below it failed,
 * one of them answered (the resolver failed by itself), or nothing related
 * was asked (its cache).
 *
 * A layer above the tracker, fed through its observer like the lookups. It
 * decides when the first pass is over (dm_tracker_finish): links need the
 * whole lifetime of every transaction, and a resolver gives up on its
 * client before its own queries time out. Until then it knows nothing;
 * after, everything, in one pass over the transactions. Plain C with GLib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_UPSTREAM_H
#define DNSMON_UPSTREAM_H

#include "dnsmon_tracker.h"

G_BEGIN_DECLS

typedef struct dm_upstream dm_upstream;

/* Observes tr from now on. */
dm_upstream *dm_upstream_new(dm_tracker *tr);
void dm_upstream_free(dm_upstream *up);

/* Decided: the first pass is over (and nothing came after). */
gboolean dm_upstream_ready(const dm_upstream *up);

/* An address (interned id) that is the server of some transactions and
 * the client of others. */
gboolean dm_upstream_is_resolver(const dm_upstream *up, guint32 addr);

/* The upstream transactions of downstream transaction txn, ascending. */
guint dm_upstream_of(const dm_upstream *up, guint32 txn, const guint32 **txns);
/* The downstream transactions upstream transaction txn served. */
guint dm_downstream_of(const dm_upstream *up, guint32 txn, const guint32 **txns);

/* A failed downstream transaction's cause, and the upstream servers
 * (interned addresses) whose transactions for it failed. */
dm_upstream_cause dm_upstream_cause_of(const dm_upstream *up, guint32 txn);
guint dm_upstream_failed_servers(const dm_upstream *up, guint32 txn, const guint32 **servers);

gsize dm_upstream_bytes(const dm_upstream *up);

/* ---- forgetting (docs/design.md, "Memory") ------------------------------ */

/* Decides over the transactions held, as if the pass ended now: for those
 * about to be forgotten (their lines are written next). Until the next
 * event or dm_upstream_forget. */
void dm_upstream_decide_now(dm_upstream *up);
/* Forgets what was decided (the tracker is about to forget). */
void dm_upstream_forget(dm_upstream *up);

G_END_DECLS

#endif
