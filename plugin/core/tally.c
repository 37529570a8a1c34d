/* tally.c — counts by 64-bit key (dnsmon_tally.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dnsmon_tally.h"

static guint64
row_hash(const void *ctx, guint32 id)
{
    const dm_tally *t = ctx;
    return dm_hash(&dm_tally_at(t, id - 1)->key, sizeof(guint64));
}

static gboolean
row_match(const void *ctx, guint32 id, const void *probe)
{
    const dm_tally *t = ctx;
    return dm_tally_at(t, id - 1)->key == *(const guint64 *)probe;
}

void
dm_tally_init(dm_tally *t)
{
    t->rows = g_array_new(FALSE, TRUE, sizeof(dm_tally_row));
    dm_index_init(&t->ix, row_hash, t);
}

void
dm_tally_clear(dm_tally *t)
{
    g_array_set_size(t->rows, 0);
    dm_index_clear(&t->ix);
}

void
dm_tally_destroy(dm_tally *t)
{
    dm_index_clear(&t->ix);
    g_array_free(t->rows, TRUE);
    t->rows = NULL;
}

dm_tally_row *
dm_tally_get(dm_tally *t, guint64 key)
{
    guint64 h = dm_hash(&key, sizeof key);
    guint32 id = dm_index_find(&t->ix, h, row_match, &key);
    if (!id) {
        dm_tally_row r = { key, 0, 0 };
        g_array_append_val(t->rows, r);
        id = t->rows->len;
        dm_index_put(&t->ix, h, row_match, &key, id);
    }
    return dm_tally_at(t, id - 1);
}

gsize
dm_tally_bytes(const dm_tally *t)
{
    return (gsize)t->rows->len * sizeof(dm_tally_row) + dm_index_bytes(&t->ix);
}
