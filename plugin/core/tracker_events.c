/* tracker_events.c — the tracker's entry points: every event first moves
 * the clock to its time (time-outs fire: tracker.c's transactions,
 * tracker_tcp.c's connection attempts), then goes to its handler
 * (tracker_dns.c, tracker_tcp.c, tracker_icmp.c); and the end of the
 * capture. The handlers never move the clock themselves, so no handler
 * depends on this file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_int.h"

/* ---- the clock ---------------------------------------------------------- */

/* Moves the clock to ts: every time-out due fires (a transaction settles,
 * a connection attempt expires). Time going backwards changes nothing. */
static void
advance_time(dm_tracker *tr, dm_time ts)
{
    if (tr->have_end && ts <= tr->end)
        return;
    if (!tr->have_end)
        tr->origin = ts;
    tr->end = ts;
    tr->have_end = TRUE;
    tk_tick(tr);
    tk_mark_frame(tr);
    dm_timer top;
    while (dm_heap_pop_due(&tr->timers, tr->end, &top)) {
        if (top.kind == TIMER_CONN) {
            tk_conn_expire(tr, top.id);
            continue;
        }
        if (!dm_fifo_has(&tr->txns, top.id))
            continue;           /* forgotten */
        dm_txn *t = TXN(tr, top.id);
        /* A later attempt armed a later time-out: this one is stale. */
        if (top.at != dm_time_add(dm_txn_last_ts(tr, t), tr->timeout) || (t->flags & DM_T_ANSWERED))
            continue;
        /* Settled as incomplete by a finish that events came after: its
         * time-out now makes it unanswered, which is logged again. */
        if ((t->flags & DM_T_SETTLED) && !(t->flags & DM_T_CUT))
            continue;
        t->flags &= (guint16)~DM_T_CUT;
        tk_settle(tr, t);
    }
    tk_notify(tr, DM_EV_TIME, 0, tr->end);
}

/* ---- events -------------------------------------------------------------- */

void
dm_tracker_begin_frame(dm_tracker *tr, guint32 frame, dm_time ts)
{
    /* tshark's first pass gives the number of a frame its read filter
     * dropped to the next frame: what was said about the dropped one
     * must never be shown or linked. */
    if (tr->have_frame && frame == tr->frame) {
        for (guint32 i = MAX(tr->frame_first_item, tr->items.base + 1);
             i <= dm_fifo_end(&tr->items); i++)
            ITEM(tr, i)->flags |= DM_F_GHOST;
    }
    tr->frame = frame;
    tr->have_frame = TRUE;
    tr->frame_first_item = dm_fifo_end(&tr->items) + 1;
    tr->finished = FALSE;
    advance_time(tr, ts);
}

void
dm_tracker_query(dm_tracker *tr, const dm_dns_msg *m)
{
    advance_time(tr, m->ts);
    tk_dns_query(tr, m);
}

void
dm_tracker_response(dm_tracker *tr, const dm_dns_msg *m)
{
    advance_time(tr, m->ts);
    tk_dns_response(tr, m);
}

void
dm_tracker_tcp(dm_tracker *tr, const dm_tcp_seg *s)
{
    advance_time(tr, s->ts);
    tk_tcp_segment(tr, s);
}

gboolean
dm_tracker_icmp(dm_tracker *tr, const dm_icmp_msg *m)
{
    if (!dm_icmp_is_error(m->version, m->type))
        return FALSE;
    advance_time(tr, m->ts);
    return tk_icmp_error(tr, m);
}

/* ---- the end ------------------------------------------------------------ */

void
dm_tracker_finish(dm_tracker *tr)
{
    if (tr->finished)
        return;
    /* Connection attempts still waiting become transactions (incomplete). */
    tk_conn_flush(tr);
    for (guint32 id = dm_tracker_first(tr); id <= dm_fifo_end(&tr->txns); id++) {
        dm_txn *t = TXN(tr, id);
        if (t->flags & DM_T_SETTLED)
            continue;
        if (dm_txn_outcome(tr, t) == DM_OUTCOME_INCOMPLETE)
            t->flags |= DM_T_CUT;
        tk_settle(tr, t);
    }
    tr->finished = TRUE;
    tk_notify(tr, DM_EV_FINISH, 0, tr->end);
}
