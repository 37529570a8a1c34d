/* dnsmon_fifo.h — records numbered 1, 2, … whose oldest ones can be
 * forgotten: ids base+1 .. base+len are held, and keep their numbers when
 * those below them go (docs/design.md, "Memory"). A GArray and an offset;
 * dropping moves what is held to the front, so its room stays what the most
 * ever held at once needed. Plain C with GLib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_FIFO_H
#define DNSMON_FIFO_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    GArray *a;
    guint32 base;               /* ids up to this one are forgotten */
} dm_fifo;

static inline void
dm_fifo_init(dm_fifo *f, guint elt_size)
{
    f->a = g_array_new(FALSE, FALSE, elt_size);
    f->base = 0;
}

static inline void
dm_fifo_free(dm_fifo *f)
{
    if (f->a)
        g_array_free(f->a, TRUE);
    f->a = NULL;
}

/* The newest id (0 while empty and nothing forgotten). */
static inline guint32
dm_fifo_end(const dm_fifo *f)
{
    return f->base + f->a->len;
}

static inline gboolean
dm_fifo_has(const dm_fifo *f, guint32 id)
{
    return id > f->base && id - f->base <= f->a->len;
}

/* The record of a held id (unchecked). */
#define DM_FIFO_AT(f, type, id) (&g_array_index((f)->a, type, (id) - 1 - (f)->base))

static inline guint32
dm_fifo_append(dm_fifo *f, const void *rec)
{
    g_array_append_vals(f->a, rec, 1);
    return f->base + f->a->len;
}

/* Forgets every held id up to `upto`. */
static inline void
dm_fifo_drop(dm_fifo *f, guint32 upto)
{
    if (upto <= f->base)
        return;
    guint n = MIN(upto - f->base, f->a->len);
    if (n)
        g_array_remove_range(f->a, 0, n);
    f->base += n;
}

static inline gsize
dm_fifo_bytes(const dm_fifo *f)
{
    return (gsize)f->a->len * g_array_get_element_size(f->a);
}

G_END_DECLS

#endif
