/* dnsmon_heap.h — a binary min-heap of timers: what is due when.
 *
 * Packet times are the attacker's to choose (a capture may go backwards):
 * a heap costs O(log n) whatever order the times come in, where a sorted
 * list would cost a scan. Plain C with GLib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_HEAP_H
#define DNSMON_HEAP_H

#include "dnsmon_types.h"

G_BEGIN_DECLS

typedef struct {
    dm_time at;
    guint32 id;                 /* what is due, in the owner's numbering */
    guint32 kind;               /* the owner's tag */
} dm_timer;

typedef struct {
    GArray *items;              /* dm_timer, heap-ordered by at */
} dm_heap;

void dm_heap_init(dm_heap *h);
void dm_heap_clear(dm_heap *h);
void dm_heap_push(dm_heap *h, dm_time at, guint32 id, guint32 kind);
/* The earliest timer due at or before now: TRUE and *out, or FALSE. */
gboolean dm_heap_pop_due(dm_heap *h, dm_time now, dm_timer *out);
gsize dm_heap_bytes(const dm_heap *h);

G_END_DECLS

#endif
