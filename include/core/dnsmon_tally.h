/* dnsmon_tally.h — counts by 64-bit key, 16 bytes a key.
 *
 * For what a statistic counts per thing an attacker can multiply (a failing
 * name): a row holds its key and count only, in one array, found through a
 * dm_index under the process's keyed hash (no allocation, label or hash
 * table entry of its own); whoever draws the rows makes their labels, for
 * the few it shows. Plain C with GLib, no epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TALLY_H
#define DNSMON_TALLY_H

#include "dnsmon_hash.h"

G_BEGIN_DECLS

typedef struct {
    guint64 key;
    guint32 count;
    guint32 shown;              /* the caller's: it has been drawn */
} dm_tally_row;

typedef struct {
    GArray *rows;               /* dm_tally_row; a row's id is its index + 1 */
    dm_index ix;
} dm_tally;

void dm_tally_init(dm_tally *t);
void dm_tally_clear(dm_tally *t);
void dm_tally_destroy(dm_tally *t);
/* The row of key, made with count 0 when there is none. The pointer holds
 * until the next dm_tally_get or dm_tally_clear. */
dm_tally_row *dm_tally_get(dm_tally *t, guint64 key);
static inline guint32 dm_tally_len(const dm_tally *t) { return t->rows->len; }
static inline dm_tally_row *dm_tally_at(const dm_tally *t, guint32 i)
{
    return &g_array_index(t->rows, dm_tally_row, i);
}
/* Bytes held (the rows in use and the index). */
gsize dm_tally_bytes(const dm_tally *t);

G_END_DECLS

#endif
