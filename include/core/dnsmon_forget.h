/* dnsmon_forget.h — what a single pass may forget, and in which order
 * (docs/design.md, "Memory").
 *
 * In a single pass that nothing will revisit (tshark without -2, no tree,
 * only listeners that write as they go) the engine's owner forgets the
 * oldest transactions once nothing can change them — settled, past the
 * horizon, their lookup final — and every listener took them: memory stays
 * flat however long the capture. The owner asks how far it may go
 * (dm_forget_point), lets the layers that decide at the end decide for
 * what is held (dm_forget_decide), lets its listeners write and count what
 * is about to go, then forgets (dm_forget), every layer top down. Plain C
 * with GLib, no epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_FORGET_H
#define DNSMON_FORGET_H

#include "dnsmon_downgrade.h"
#include "dnsmon_lookups.h"
#include "dnsmon_upstream.h"

G_BEGIN_DECLS

/* The first transaction that cannot be forgotten yet (every one below it,
 * from dm_tracker_first, is done and its lookup final). */
guint32 dm_forget_point(const dm_tracker *tr, const dm_lookups *ls);
/* Whether forgetting up to `until` is worth its cost now: what would go is
 * a good share of what is held (each forgetting walks what is held). */
gboolean dm_forget_worth(const dm_tracker *tr, guint32 until);
/* Decides over what is held what needs the end of the capture (resolvers,
 * downgrades), for the transactions about to be forgotten. */
void dm_forget_decide(dm_upstream *up, dm_downgrades *dg);
/* Forgets every transaction below `until` (at most dm_forget_point) in
 * every layer. up and dg may be NULL. */
void dm_forget(dm_tracker *tr, dm_lookups *ls, dm_upstream *up, dm_downgrades *dg,
               guint32 until);

G_END_DECLS

#endif
