/* tracker_forget.c — forgetting what is done (docs/design.md, "Memory").
 *
 * In a single pass nothing revisits, the engine's owner forgets the oldest
 * transactions once they are done (settled and past the horizon: no event
 * can reach them) and every listener took them. Records are numbered, and
 * forgotten oldest first (dnsmon_fifo.h): what is held keeps its ids. What
 * refers to a forgotten record either goes with it or is cut loose here:
 * index entries, connections, the items of frames, ICMP errors and notes,
 * side records, learned names, the settle log.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_int.h"

/* ---- frames by clock --------------------------------------------------- */

/* The first frame of each clock value (tr->frame_clock), for the last
 * horizon and a bit: what tells which frames are past the horizon. */

void
tk_mark_frame(dm_tracker *tr)
{
    GArray *m = tr->frame_clock;
    if (m->len && g_array_index(m, frame_mark, m->len - 1).clock == tr->clock)
        return;
    frame_mark fm = { tr->clock, tr->frame };
    g_array_append_val(m, fm);
    /* Keep one mark at or before clock - horizon; drop older ones in bulk. */
    guint drop = 0;
    while (drop + 1 < m->len && tr->clock >= tr->horizon &&
           g_array_index(m, frame_mark, drop + 1).clock <= tr->clock - tr->horizon)
        drop++;
    if (drop > 64 && drop * 2 > m->len)
        g_array_remove_range(m, 0, drop);
}

/* Every frame below this one came when the clock was more than the horizon
 * ago: its items no transaction holds (orphans, SYNs of a connection that
 * carried DNS) can go. */
static guint32
frame_horizon(const dm_tracker *tr)
{
    const GArray *m = tr->frame_clock;
    if (tr->clock <= tr->horizon)
        return 0;
    guint32 limit = tr->clock - tr->horizon, frame = 0;
    for (guint i = m->len; i-- > 0;) {
        const frame_mark *fm = &g_array_index(m, frame_mark, i);
        if (fm->clock < limit)
            break;
        frame = fm->frame;
    }
    return frame;
}

/* ---- what is done ------------------------------------------------------ */

gboolean
dm_tracker_txn_done(const dm_tracker *tr, guint32 num)
{
    if (!dm_fifo_has(&tr->txns, num))
        return FALSE;
    const dm_txn *t = TXN(tr, num);
    return (t->flags & DM_T_SETTLED) && dm_tracker_past_horizon(tr, t->touched);
}

/* ---- forgetting -------------------------------------------------------- */

static gboolean
keep_txn(const void *ctx, guint32 id)
{
    const ix_ctx *c = ctx;
    return id >= c->tr->purge_until;
}

static gboolean
keep_conn(const void *ctx, guint32 id)
{
    const ix_ctx *c = ctx;
    return CONN(c->tr, id)->state != CONN_FREE;
}

/* Connections past the horizon, or whose transaction goes, go; the others
 * let go of the transactions below `until` they carried. */
static void
forget_conns(dm_tracker *tr, guint32 until)
{
    for (guint32 cid = 1; cid <= tr->conns->len; cid++) {
        dm_conn *c = CONN(tr, cid);
        if (c->state == CONN_FREE)
            continue;
        if (dm_tracker_past_horizon(tr, c->touched) || (c->txn && c->txn < until)) {
            if (c->syn_items)
                g_array_free(c->syn_items, TRUE);
            if (c->txns)
                g_array_free(c->txns, TRUE);
            memset(c, 0, sizeof *c);
            c->state = CONN_FREE;
            g_array_append_val(tr->free_conns, cid);
            continue;
        }
        guint kept = 0;
        for (guint i = 0; c->txns && i < c->txns->len; i++) {
            guint32 id = g_array_index(c->txns, guint32, i);
            if (id >= until)
                g_array_index(c->txns, guint32, kept++) = id;
        }
        if (c->txns)
            g_array_set_size(c->txns, kept);
    }
}

/* Items in frame order: the oldest go while they belong to a forgotten
 * transaction, or to none and are past the horizon; the ICMP errors and
 * notes they made go with them. Items of forgotten transactions held
 * behind a newer one become ghosts (never shown or linked). */
static void
forget_items(dm_tracker *tr, guint32 until)
{
    guint32 fh = frame_horizon(tr), drop = tr->items.base, end = dm_fifo_end(&tr->items);
    guint32 icmp = tr->icmps.base, note = tr->notes.base;
    for (; drop < end; drop++) {
        const dm_item *it = ITEM(tr, drop + 1);
        if (it->txn ? it->txn >= until : it->frame >= fh)
            break;
        guint32 ref = dm_item_ref(tr, it);
        if (it->role == DM_ROLE_ICMP) {
            icmp = MAX(icmp, ref);
            const dm_icmp *ic = dm_tracker_icmp_ref(tr, ref);
            if (ic && ic->note)
                note = MAX(note, ic->note);
        } else if (it->role == DM_ROLE_RESPONSE && ref) {
            note = MAX(note, ref);
        }
    }
    tk_items_drop(tr, drop);
    dm_fifo_drop(&tr->icmps, icmp);
    dm_fifo_drop(&tr->notes, note);
    for (guint32 id = drop + 1; id <= end; id++) {
        dm_item *it = ITEM(tr, id);
        if (it->txn && it->txn < until) {
            it->txn = 0;
            it->flags |= DM_F_GHOST;
        }
    }
}

static void
forget_exts(dm_tracker *tr, guint32 until)
{
    guint32 end = dm_fifo_end(&tr->exts), drop = tr->exts.base;
    for (guint32 id = tr->exts.base + 1; id <= end; id++) {
        dm_txn_ext *e = DM_FIFO_AT(&tr->exts, dm_txn_ext, id);
        if (e->txn >= until)
            continue;
        g_free(e->ede_text);
        e->ede_text = NULL;
        if (id == drop + 1)
            drop = id;
    }
    dm_fifo_drop(&tr->exts, drop);
}

/* Learned blocks: a transaction, a count, the names. */
static void
forget_learned(dm_tracker *tr, guint32 until)
{
    guint32 at = tr->learned.base + 1, end = dm_fifo_end(&tr->learned);
    while (at + 1 <= end && *DM_FIFO_AT(&tr->learned, guint32, at) < until)
        at += 2 + *DM_FIFO_AT(&tr->learned, guint32, at + 1);
    dm_fifo_drop(&tr->learned, at - 1);
}

/* ---- interned names and addresses -------------------------------------- */

static void
mark(GByteArray *keep, guint32 id)
{
    if (id && id <= keep->len)
        keep->data[id - 1] = 1;
}

static void
mark_name(const dm_tracker *tr, GByteArray *keep, guint32 id)
{
    mark(keep, id);
    mark(keep, dm_tracker_name_folded(tr, id));
}

static GByteArray *
new_marks(guint32 n)
{
    GByteArray *keep = g_byte_array_sized_new(MAX(n, 1u));
    g_byte_array_set_size(keep, n);
    if (n)
        memset(keep->data, 0, n);
    return keep;
}

/* What no held record names goes; its id is given to a later value. */
static void
sweep_names(dm_tracker *tr)
{
    GByteArray *keep = new_marks(dm_intern_count(tr->names));
    for (guint32 id = tr->txns.base + 1; id <= dm_fifo_end(&tr->txns); id++)
        mark_name(tr, keep, TXN(tr, id)->name);
    for (guint32 id = tr->notes.base + 1; id <= dm_fifo_end(&tr->notes); id++)
        mark_name(tr, keep, DM_FIFO_AT(&tr->notes, dm_note, id)->name);
    guint32 at = tr->learned.base + 1, end = dm_fifo_end(&tr->learned);
    while (at + 1 <= end) {
        guint32 n = *DM_FIFO_AT(&tr->learned, guint32, at + 1);
        for (guint32 i = 0; i < n && at + 2 + i <= end; i++)
            mark_name(tr, keep, *DM_FIFO_AT(&tr->learned, guint32, at + 2 + i));
        at += 2 + n;
    }
    dm_intern_sweep(tr->names, keep->data);
    for (guint32 id = 1; id <= keep->len; id++)
        if (!keep->data[id - 1])
            g_array_index(tr->folded, guint32, id - 1) = 0;
    g_byte_array_free(keep, TRUE);
}

static void
sweep_addrs(dm_tracker *tr)
{
    GByteArray *keep = new_marks(dm_intern_count(tr->addrs));
    for (guint32 id = tr->txns.base + 1; id <= dm_fifo_end(&tr->txns); id++) {
        mark(keep, TXN(tr, id)->client);
        mark(keep, TXN(tr, id)->server);
    }
    for (guint32 id = tr->exts.base + 1; id <= dm_fifo_end(&tr->exts); id++)
        mark(keep, DM_FIFO_AT(&tr->exts, dm_txn_ext, id)->wrong_from);
    for (guint32 id = tr->icmps.base + 1; id <= dm_fifo_end(&tr->icmps); id++) {
        mark(keep, ICMP(tr, id)->reporter);
        mark(keep, ICMP(tr, id)->nat_server);
    }
    for (guint32 cid = 1; cid <= tr->conns->len; cid++) {
        mark(keep, CONN(tr, cid)->client);
        mark(keep, CONN(tr, cid)->server);
    }
    dm_intern_sweep(tr->addrs, keep->data);
    g_byte_array_free(keep, TRUE);
}

/* Names and addresses are interned once for every record that names them;
 * once the interned ones are twice what was live after the last sweep,
 * what no held record names goes (docs/design.md, "Memory"). */
static void
sweep_interned(dm_tracker *tr)
{
    if (dm_intern_count(tr->names) >= 2 * tr->names_swept + 4096) {
        sweep_names(tr);
        tr->names_swept = dm_intern_live(tr->names);
    }
    if (dm_intern_count(tr->addrs) >= 2 * tr->addrs_swept + 4096) {
        sweep_addrs(tr);
        tr->addrs_swept = dm_intern_live(tr->addrs);
    }
}

void
dm_tracker_forget(dm_tracker *tr, guint32 until)
{
    /* Only what is done, oldest first. */
    guint32 first = dm_tracker_first(tr), limit = MIN(until, dm_fifo_end(&tr->txns) + 1);
    for (until = first; until < limit && dm_tracker_txn_done(tr, until); until++)
        ;
    if (until == first)
        return;
    forget_conns(tr, until);
    tr->purge_until = until;
    for (int k = 0; k < IX_COUNT; k++)
        tk_ix_purge(tr, (ix_kind)k, k == IX_CONN ? keep_conn : keep_txn);
    forget_items(tr, until);
    forget_exts(tr, until);
    forget_learned(tr, until);
    dm_fifo_drop(&tr->txns, until - 1);
    /* Every listener took what settled before. */
    dm_fifo_drop(&tr->settled, dm_fifo_end(&tr->settled));
    sweep_interned(tr);
}
