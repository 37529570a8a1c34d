/* heap.c — see dnsmon_heap.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dnsmon_heap.h"

#define AT(h, i) (((dm_timer *)(void *)(h)->items->data)[i])

void
dm_heap_init(dm_heap *h)
{
    h->items = g_array_new(FALSE, FALSE, sizeof(dm_timer));
}

void
dm_heap_clear(dm_heap *h)
{
    if (h->items)
        g_array_free(h->items, TRUE);
    h->items = NULL;
}

static void
swap(dm_heap *h, guint a, guint b)
{
    dm_timer t = AT(h, a);
    AT(h, a) = AT(h, b);
    AT(h, b) = t;
}

void
dm_heap_push(dm_heap *h, dm_time at, guint32 id, guint32 kind)
{
    dm_timer t = { at, id, kind };
    g_array_append_val(h->items, t);
    for (guint i = h->items->len - 1; i > 0;) {
        guint parent = (i - 1) / 2;
        if (AT(h, parent).at <= AT(h, i).at)
            break;
        swap(h, parent, i);
        i = parent;
    }
}

gboolean
dm_heap_pop_due(dm_heap *h, dm_time now, dm_timer *out)
{
    if (!h->items->len || AT(h, 0).at > now)
        return FALSE;
    *out = AT(h, 0);
    guint n = h->items->len - 1;
    AT(h, 0) = AT(h, n);
    g_array_set_size(h->items, n);
    for (guint i = 0;;) {
        guint l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && AT(h, l).at < AT(h, m).at)
            m = l;
        if (r < n && AT(h, r).at < AT(h, m).at)
            m = r;
        if (m == i)
            break;
        swap(h, m, i);
        i = m;
    }
    return TRUE;
}

gsize
dm_heap_bytes(const dm_heap *h)
{
    return h->items->len * sizeof(dm_timer);
}
