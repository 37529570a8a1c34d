/* tracker_tcp.c — connections (docs/design.md, "DNS over TCP connections"
 * and "Encrypted DNS"): a SYN to port 53 is a connection attempt; refused
 * by a reset or an ICMP error, or left unanswered, it is a transaction of
 * its own; a reset on an established connection rejects what still waits
 * on it. An encrypted-DNS connection (DoT, DoQ) whose DNS messages cannot
 * be read is one transaction too, decided by what shows in the clear: its
 * handshake failed (an alert, or closed before the server's data), or the
 * server sent application data (encrypted: it worked).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_int.h"

guint32
tk_conn_find(const dm_tracker *tr, dm_transport wire, guint32 client, guint16 cport,
             guint32 server, guint16 sport)
{
    probe p;
    memset(&p, 0, sizeof p);
    p.transport = (guint8)wire;
    p.client = client;
    p.cport = cport;
    p.server = server;
    p.sport = sport;
    return tk_ix_find(tr, IX_CONN, &p);
}

int
dm_tracker_dot_side(const dm_tracker *tr, const dm_addr *a, guint16 aport, const dm_addr *b,
                    guint16 bport)
{
    if (!tr->other_port_dot)
        return 0;
    guint32 ia = tk_addr_find(tr, a), ib = tk_addr_find(tr, b);
    if (!ia || !ib)
        return 0;
    /* Connections are keyed by wire protocol: a plain DNS-over-TCP one
     * shares DoT's, and must not be taken for DoT (its DNS would be lost). */
    guint wire = dm_wire(DM_DOT);
    guint32 cid = tk_conn_find(tr, wire, ia, aport, ib, bport);
    if (cid && CONN(tr, cid)->transport == DM_DOT)
        return 1;
    cid = tk_conn_find(tr, wire, ib, bport, ia, aport);
    return cid && CONN(tr, cid)->transport == DM_DOT ? 2 : 0;
}

gboolean
dm_tracker_other_port_dot(const dm_tracker *tr)
{
    return tr->other_port_dot != 0;
}

/* The connection attempt becomes a transaction: it failed, or the capture
 * ended while it waited, or (udp != 0) it retries that truncated answer. */
guint32
tk_conn_txn(dm_tracker *tr, guint32 cid, guint32 udp)
{
    dm_conn *c = CONN(tr, cid);
    if (c->txn)
        return c->txn;
    probe p;
    memset(&p, 0, sizeof p);
    p.transport = (guint8)dm_wire((dm_transport)c->transport);
    p.client = c->client;
    p.server = c->server;
    p.cport = c->cport;
    p.sport = c->sport;
    guint32 name = 0;
    if (udp) {
        const dm_txn *u = TXN(tr, udp);
        name = u->name;
        p.qtype = u->qtype;
        p.qclass = dm_txn_qclass(tr, u);
    }
    guint32 id = tk_txn_new(tr, &p, name, c->first_syn,
                         DM_T_CONNECTION | (name ? 0 : DM_T_NO_QUESTION));
    c = CONN(tr, cid);
    c->txn = id;
    dm_txn *t = TXN(tr, id);
    t->transport = c->transport;
    for (guint i = 0; c->syn_items && i < c->syn_items->len; i++) {
        guint32 it = g_array_index(c->syn_items, guint32, i);
        if (!dm_fifo_has(&tr->items, it))
            continue;           /* forgotten (a handshake longer than the horizon) */
        ITEM(tr, it)->txn = id;
        t = tk_attempt(tr, id, it, i == 0 ? c->first_syn : c->last_syn);
    }
    tk_ext(tr, t)->syns = dm_txn_attempts(tr, t);
    if (udp)
        tk_link_fallback(tr, udp, id);
    tk_ix_put(tr, IX_FLOW, id);
    tk_notify(tr, DM_EV_NEW, id, c->first_syn);
    return id;
}

static gboolean
encrypted(const dm_conn *c)
{
    return c->transport == DM_DOT || c->transport == DM_DOQ;
}

static gboolean
carried_dns(const dm_conn *c)
{
    return c->txns && c->txns->len;
}

/* An encrypted connection whose DNS cannot be read is decided: a
 * transaction of its own, settled with what its handshake showed (flag
 * DM_D_ENCRYPTED or DM_D_TLS_FAILED; 0: nothing but time, unanswered or
 * incomplete). */
static void
seal(dm_tracker *tr, guint32 cid, guint8 flag, dm_time ts, guint32 frame)
{
    guint32 id = tk_conn_txn(tr, cid, 0);
    guint32 item = frame ? tk_item_add(tr, frame, DM_ROLE_RESPONSE, id, DM_F_SEAL, 0) : 0;
    dm_conn *c = CONN(tr, cid);
    dm_txn *t = TXN(tr, id);
    t->dns |= flag;
    dm_txn_ext *e = tk_ext(tr, t);
    e->closed = ts;
    if (item)
        e->last_resp = item;
    if (c->alert) {
        e->alert_level = c->alert_level;
        e->alert_desc = c->alert_desc;
    }
    /* Decided by time alone: its handshake's last packet is its last
     * attempt, from which incomplete and unanswered are told apart (a
     * capture that ends mid-handshake is not an unanswered SYN). */
    if (!flag && ts > dm_txn_last_ts(tr, t)) {
        tk_set_last_ts(tr, t, ts);
        dm_heap_push(&tr->timers, dm_time_add(ts, tr->timeout), id, TIMER_TXN);
    }
    tk_notify(tr, DM_EV_ACTIVITY, id, ts);
    t = TXN(tr, id);
    if (flag && !(t->flags & DM_T_SETTLED))
        tk_settle(tr, t);
}

/* An encrypted connection between its answer and its verdict: a handshake
 * that stalls for timeout is decided then. */
static void
arm_handshake(dm_tracker *tr, guint32 cid)
{
    dm_conn *c = CONN(tr, cid);
    if (encrypted(c) && c->state == CONN_ESTABLISHED && !c->txn && !carried_dns(c))
        dm_heap_push(&tr->timers, dm_time_add(c->last_seen, tr->timeout), cid, TIMER_CONN);
}

/* A SYN waited timeout without SYN-ACK or reset: a silent connection
 * attempt. An encrypted connection's handshake that stalled as long: no
 * answer to it (unanswered), or a handshake that never completed. */
void
tk_conn_expire(dm_tracker *tr, guint32 cid)
{
    dm_conn *c = CONN(tr, cid);
    if (c->state == CONN_FREE)
        return;                 /* forgotten: a time-out of its slot's former owner */
    if (c->state == CONN_ESTABLISHED && encrypted(c)) {
        if (!c->txn && !carried_dns(c) && dm_time_add(c->last_seen, tr->timeout) <= tr->end)
            seal(tr, cid, c->s_hello ? DM_D_TLS_FAILED : 0, c->last_seen, 0);
        return;
    }
    /* A later SYN armed a later time-out; a connection that carried DNS
     * (its SYN-ACK may be missing from the capture) is no attempt. */
    if (c->state != CONN_SYN_SENT || c->txn || (c->txns && c->txns->len) ||
        dm_time_add(c->last_syn, tr->timeout) > tr->end)
        return;
    tk_conn_txn(tr, cid, 0);
    /* Its attempts armed the transaction's time-out, already due: the
     * loop in tracker_events.c's advance_time() settles it. */
}

void
tk_conn_add_txn(dm_tracker *tr, guint32 cid, guint32 txn)
{
    dm_conn *c = CONN(tr, cid);
    if (!c->txns)
        c->txns = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_array_append_val(c->txns, txn);
}

static guint32
find_seg_conn(const dm_tracker *tr, const dm_tcp_seg *s, guint32 client, guint32 server)
{
    return tk_conn_find(tr, dm_wire(s->flow.transport), client, s->flow.client_port, server,
                        s->flow.server_port);
}

static void
tcp_syn(dm_tracker *tr, const dm_tcp_seg *s, guint32 client, guint32 server)
{
    guint16 cport = s->flow.client_port, sport = s->flow.server_port;
    guint32 cid = find_seg_conn(tr, s, client, server);
    dm_conn *c = cid ? CONN(tr, cid) : NULL;
    /* SYNs of one attempt for at most the horizon: then a new attempt. */
    if (!c || c->state != CONN_SYN_SENT || dm_time_diff(s->ts, c->first_syn) > tr->horizon_ns) {
        dm_conn nc;
        memset(&nc, 0, sizeof nc);
        nc.client = client;
        nc.server = server;
        nc.cport = cport;
        nc.sport = sport;
        nc.state = CONN_SYN_SENT;
        nc.transport = (guint8)s->flow.transport;
        nc.first_syn = s->ts;
        if (tr->free_conns->len) {
            cid = g_array_index(tr->free_conns, guint32, tr->free_conns->len - 1);
            g_array_set_size(tr->free_conns, tr->free_conns->len - 1);
            *CONN(tr, cid) = nc;
        } else {
            g_array_append_val(tr->conns, nc);
            cid = tr->conns->len;
        }
        tk_ix_put(tr, IX_CONN, cid);
        c = CONN(tr, cid);
    }
    if (s->ts > c->last_syn || !c->syn_items)
        c->last_syn = s->ts;
    c->touched = tr->clock;
    if (!c->syn_items)
        c->syn_items = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint32 n = c->syn_items->len + 1;
    guint32 item = tk_item_add(tr, s->frame, DM_ROLE_QUERY, c->txn, DM_F_SYN |
                            (n > 1 ? DM_F_RETRANSMISSION : 0), n);
    c = CONN(tr, cid);
    g_array_append_val(c->syn_items, item);
    if (c->txn) {
        dm_txn *t = tk_attempt(tr, c->txn, item, s->ts);
        tk_ext(tr, t)->syns = n;
        tk_notify(tr, DM_EV_ACTIVITY, c->txn, s->ts);
        return;
    }
    /* A retry over TCP of a truncated answer is a transaction from its SYN:
     * its lookup waits on it. */
    guint32 udp = c->transport == DM_TCP ? tk_truncated_for(tr, client, server, s->ts) : 0;
    if (udp) {
        tk_conn_txn(tr, cid, udp);
        return;
    }
    dm_heap_push(&tr->timers, dm_time_add(c->last_syn, tr->timeout), cid, TIMER_CONN);
}

static guint32
reset_open(dm_tracker *tr, guint32 id, guint32 item)
{
    dm_txn *t = TXN(tr, id);
    if (t->flags & DM_T_ANSWERED)
        return 0;
    t->flags |= DM_T_RESET;
    dm_txn_ext *e = tk_ext(tr, t);
    if (!e->reset_item)
        e->reset_item = item;
    tk_changed(tr, t);
    return id;
}

static void
tcp_reset(dm_tracker *tr, const dm_tcp_seg *s, guint32 client, guint32 server)
{
    guint32 cid = find_seg_conn(tr, s, client, server);
    dm_conn *c = cid ? CONN(tr, cid) : NULL;
    guint32 item = 0;
    if (c && c->state == CONN_SYN_SENT && (!c->txns || !c->txns->len)) {
        /* Refused: the connection attempt is a transaction, rejected. */
        guint32 id = tk_conn_txn(tr, cid, 0);
        item = tk_item_add(tr, s->frame, DM_ROLE_RESET, id, 0, 0);
        reset_open(tr, id, item);
        if (encrypted(CONN(tr, cid)))   /* its end: where a downgrade's window is counted from */
            tk_ext(tr, TXN(tr, id))->closed = s->ts;
        tk_notify(tr, DM_EV_ACTIVITY, id, s->ts);
        dm_txn *t = TXN(tr, id);
        if (!(t->flags & DM_T_SETTLED))
            tk_settle(tr, t);
    } else if (c && c->txns) {
        /* Reset mid-connection: whatever still waits on it is refused
         * (within the horizon: what is past it is final). */
        for (guint i = c->txns->len; i-- > 0;) {
            guint32 id = g_array_index(CONN(tr, cid)->txns, guint32, i);
            if (!tk_txn_live(tr, id) || (TXN(tr, id)->flags & DM_T_ANSWERED))
                continue;
            if (!item)
                item = tk_item_add(tr, s->frame, DM_ROLE_RESET, id, 0, 0);
            reset_open(tr, id, item);
            tk_notify(tr, DM_EV_ACTIVITY, id, s->ts);
        }
    } else if (!c) {
        /* The connection began before the capture: its newest transaction. */
        probe p;
        memset(&p, 0, sizeof p);
        p.transport = (guint8)dm_wire(s->flow.transport);
        p.client = client;
        p.server = server;
        p.cport = s->flow.client_port;
        p.sport = s->flow.server_port;
        guint32 id = tk_ix_find(tr, IX_FLOW, &p);
        if (id && !(TXN(tr, id)->flags & DM_T_ANSWERED)) {
            item = tk_item_add(tr, s->frame, DM_ROLE_RESET, id, 0, 0);
            reset_open(tr, id, item);
            tk_notify(tr, DM_EV_ACTIVITY, id, s->ts);
        }
    }
    if (c)
        CONN(tr, cid)->state = CONN_CLOSED;
}

/* What an encrypted connection shows in the clear, until it is decided
 * (docs/design.md, "Encrypted DNS"). */
static void
handshake(dm_tracker *tr, guint32 cid, const dm_tcp_seg *s)
{
    dm_conn *c = CONN(tr, cid);
    if (!encrypted(c) || c->txn || carried_dns(c) || c->state == CONN_SYN_SENT)
        return;
    c->last_seen = MAX(c->last_seen, s->ts);
    if (s->hello && !s->from_client) {
        c->s_hello = 1;
        c->tls13 = s->tls13 ? 1 : 0;
    }
    if (s->alert) {
        c->alert = 1;
        c->alert_level = s->alert_level;
        c->alert_desc = s->alert_desc;
        seal(tr, cid, DM_D_TLS_FAILED, s->ts, s->frame);
        return;
    }
    if (s->from_client)
        c->c_encrypted = (guint8)MIN(c->c_encrypted + s->encrypted, 255);
    /* The server's application data: over TLS 1.2 any application record;
     * TLS 1.3 hides its own handshake in such records too, QUIC sends 1-RTT
     * packets before any query: only after the client sent its Finished and
     * more (over QUIC, its first 1-RTT packet). */
    else if (s->encrypted && ((c->transport == DM_DOQ && c->c_encrypted >= 1) ||
                              (c->transport == DM_DOT && c->s_hello && !c->tls13) ||
                              c->c_encrypted >= 2)) {
        seal(tr, cid, DM_D_ENCRYPTED, s->ts, s->frame);
        return;
    }
    /* Closed before the server's data: the handshake failed (TLS 1.3: the
     * client's alert is its one encrypted record). */
    if (s->fin || s->rst) {
        seal(tr, cid, DM_D_TLS_FAILED, s->ts, s->frame);
        return;
    }
    arm_handshake(tr, cid);
}

/* A QUIC client's Initial packet after the server answered (its ACK of the
 * server's Initial, sent alone when the server's flight spans several
 * datagrams) is part of that undecided handshake, not a new attempt. */
static gboolean
quic_initial_in_handshake(const dm_tracker *tr, const dm_tcp_seg *s, guint32 client,
                          guint32 server)
{
    if (s->flow.transport != DM_DOQ)
        return FALSE;
    guint32 cid = find_seg_conn(tr, s, client, server);
    const dm_conn *c = cid ? CONN(tr, cid) : NULL;
    return c && c->transport == DM_DOQ && c->state == CONN_ESTABLISHED && !c->txn;
}

void
tk_tcp_segment(dm_tracker *tr, const dm_tcp_seg *s)
{
    guint32 client = tk_addr_id(tr, &s->flow.client);
    guint32 server = tk_addr_id(tr, &s->flow.server);
    if (s->from_client && s->syn && !s->ack && !quic_initial_in_handshake(tr, s, client, server)) {
        tcp_syn(tr, s, client, server);
        return;
    }
    guint32 cid = find_seg_conn(tr, s, client, server);
    /* DNS over TLS on another port than 853, known by its ClientHello
     * (ALPN "dot"): the attempt is seen from there on, the hello standing
     * for its SYN (docs/design.md, "Encrypted DNS"). */
    if (!cid && s->opens && s->from_client && s->flow.transport == DM_DOT) {
        tcp_syn(tr, s, client, server);
        cid = find_seg_conn(tr, s, client, server);
        CONN(tr, cid)->state = CONN_ESTABLISHED;
        CONN(tr, cid)->last_seen = s->ts;
        tr->other_port_dot++;
    }
    if (cid)
        tk_touch_conn(tr, cid);
    if (!s->from_client && s->syn && s->ack) {
        if (cid && CONN(tr, cid)->state == CONN_SYN_SENT) {
            CONN(tr, cid)->state = CONN_ESTABLISHED;
            CONN(tr, cid)->last_seen = s->ts;
        }
    } else if (!s->from_client && s->rst && (!cid || !encrypted(CONN(tr, cid)) ||
                                            CONN(tr, cid)->state == CONN_SYN_SENT ||
                                            carried_dns(CONN(tr, cid)))) {
        tcp_reset(tr, s, client, server);
        return;
    }
    if (cid)
        handshake(tr, cid, s);
}

void
tk_conn_flush(dm_tracker *tr)
{
    for (guint32 c = 1; c <= tr->conns->len; c++) {
        const dm_conn *cn = CONN(tr, c);
        if (cn->state == CONN_FREE || cn->txn || !cn->syn_items || carried_dns(cn))
            continue;
        if (cn->state == CONN_SYN_SENT)
            tk_conn_txn(tr, c, 0);
        else if (encrypted(cn) && cn->state == CONN_ESTABLISHED)
            seal(tr, c, 0, cn->last_seen, 0);   /* the capture ended during its handshake */
    }
}
