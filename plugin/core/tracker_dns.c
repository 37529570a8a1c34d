/* tracker_dns.c — DNS queries and responses, over UDP and TCP
 * (docs/design.md, "Transactions"): a query opens a transaction or is a
 * retransmission of one; a response decides the newest transaction of its
 * key, or is a duplicate, a question mismatch, a wrong-source response or
 * unsolicited.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_int.h"

/* ---- queries ----------------------------------------------------------- */

/* A DNS query on a TCP connection whose SYNs already made a transaction
 * (a TC fallback): the query belongs to it. */
static guint32
adopt(dm_tracker *tr, guint32 cid, guint32 name, const probe *p)
{
    dm_conn *c = CONN(tr, cid);
    if (!c->txn || (c->txns && c->txns->len))
        return 0;
    dm_txn *t = TXN(tr, c->txn);
    if (!(t->flags & DM_T_CONNECTION) || (t->flags & (DM_T_RESET | DM_T_ICMP_QUERY)))
        return 0;
    /* Only a TC fallback's: its lookup already waits on it. */
    if (!t->name || !tk_same_question(tr, t, p->folded, p->qtype, p->qclass))
        return 0;
    guint32 id = c->txn;
    t->flags &= (guint16)~(DM_T_CONNECTION | DM_T_NO_QUESTION | DM_T_SETTLED);
    t->id = p->id;
    t->name = name;
    t->qtype = p->qtype;
    tk_set_qclass(tr, t, p->qclass);
    tk_set_attempts(tr, t, 0);            /* from now on attempts are DNS queries */
    return id;
}

/* The keys of a query or response, as the indexes look them up; returns
 * its interned question name, 0 for none. */
static guint32
probe_of_msg(dm_tracker *tr, const dm_dns_msg *m, probe *p)
{
    memset(p, 0, sizeof *p);
    p->transport = (guint8)dm_wire(m->flow.transport);
    p->client = tk_addr_id(tr, &m->flow.client);
    p->server = tk_addr_id(tr, &m->flow.server);
    p->cport = m->flow.client_port;
    p->sport = m->flow.server_port;
    p->id = m->id;
    guint32 name = m->bad_question ? 0 : tk_name_id(tr, m->q.name);
    p->folded = dm_tracker_name_folded(tr, name);
    p->qtype = name ? m->q.type : 0;
    p->qclass = name ? m->q.klass : 0;
    return name;
}

void
tk_dns_query(dm_tracker *tr, const dm_dns_msg *m)
{
    probe p;
    guint32 name = probe_of_msg(tr, m, &p);

    /* A connection carries it: TCP, DNS over TLS, HTTPS or QUIC. */
    guint32 cid = m->flow.transport != DM_UDP
                      ? tk_conn_find(tr, dm_wire(m->flow.transport), p.client, p.cport, p.server,
                                     p.sport)
                      : 0;
    if (cid)
        tk_touch_conn(tr, cid);
    guint32 id = 0;
    guint flags = 0;
    gboolean fresh = FALSE;
    /* A retransmission: same key and question, no response yet, last
     * attempt at most retransmit_window ago (the newest such only), first
     * at most the horizon ago. */
    guint32 r = name ? tk_ix_find(tr, IX_QUESTION, &p) : tk_ix_find(tr, IX_KEY, &p);
    if (r) {
        const dm_txn *t = TXN(tr, r);
        dm_time since = dm_time_diff(m->ts, dm_txn_last_ts(tr, t));
        if (!(t->flags & (DM_T_ANSWERED | DM_T_CONNECTION)) && since <= tr->window &&
            dm_time_diff(m->ts, t->first_ts) <= tr->horizon_ns && (name || !t->name)) {
            id = r;
            flags |= DM_F_RETRANSMISSION;
        }
    }
    if (!id && cid && (id = adopt(tr, cid, name, &p)) != 0) {
        tk_txn_index_dns(tr, id);
    } else if (!id) {
        id = tk_txn_new(tr, &p, name, m->ts, name ? 0 : DM_T_NO_QUESTION);
        TXN(tr, id)->transport = (guint8)m->flow.transport;
        tk_txn_index_dns(tr, id);
        fresh = TRUE;
    }
    if (!name)
        flags |= DM_F_NO_QUESTION;
    if ((flags & DM_F_RETRANSMISSION) &&
        dm_time_diff(m->ts, TXN(tr, id)->first_ts) <= tr->ws_retransmit_timer)
        flags |= DM_F_WS_SAID;     /* Wireshark's DNS dissector says it already */
    guint32 item = tk_item_add(tr, m->frame, DM_ROLE_QUERY, id, flags,
                               dm_txn_attempts(tr, TXN(tr, id)) + 1);
    dm_txn *t = tk_attempt(tr, id, item, m->ts);
    if (dm_txn_attempts(tr, t) == 1 && m->rd)
        t->dns |= DM_D_RD;
    if (dm_wire((dm_transport)t->transport) == DM_TCP && (t->flags & DM_T_MULTI) == 0 &&
        (t->qtype == 252 || t->qtype == 251))
        t->flags |= DM_T_MULTI;
    if (cid && !(flags & DM_F_RETRANSMISSION)) {
        tk_conn_add_txn(tr, cid, id);
        if (CONN(tr, cid)->state == CONN_SYN_SENT)
            CONN(tr, cid)->state = CONN_ESTABLISHED;   /* its SYN-ACK was not captured */
    }
    if (fresh && t->transport == DM_TCP && name) {
        /* A TCP query for what a truncated UDP answer lacked, on a
         * connection whose SYNs the capture missed. */
        guint32 udp = tk_truncated_for(tr, t->client, t->server, m->ts);
        if (udp && tk_same_question(tr, TXN(tr, udp), p.folded, p.qtype, p.qclass))
            tk_link_fallback(tr, udp, id);
    }
    if (fresh)
        tk_notify(tr, DM_EV_NEW, id, m->ts);
    tk_notify(tr, DM_EV_ACTIVITY, id, m->ts);
}

/* ---- responses --------------------------------------------------------- */

/* A DoH GET carries its query in the URL: when the request could not be
 * read, its response starts the transaction (never unsolicited). */
static guint32
doh_get(dm_tracker *tr, const probe *p, guint32 name, const dm_dns_msg *m)
{
    guint32 id = tk_txn_new(tr, p, name, m->ts, name ? 0 : DM_T_NO_QUESTION);
    TXN(tr, id)->transport = DM_DOH;
    tk_txn_index_dns(tr, id);
    tk_notify(tr, DM_EV_NEW, id, m->ts);
    return id;
}

/* Keeps the names a deciding response taught (for a resolver's upstream
 * side: the CNAME target it asks next, the nameservers it looks up). */
static void
learn(dm_tracker *tr, dm_txn *t, const dm_dns_msg *m)
{
    guint n = MIN(m->n_learned, DM_LEARNED_MAX);
    guint32 names[DM_LEARNED_MAX], count = 0;
    for (guint i = 0; i < n; i++)
        if (m->learned[i])
            names[count++] = tk_name_id(tr, m->learned[i]);
    if (!count)
        return;
    guint32 id = tk_txn_id(tr, t);
    guint32 at = dm_fifo_append(&tr->learned, &id);
    dm_fifo_append(&tr->learned, &count);
    g_array_append_vals(tr->learned.a, names, count);
    t = TXN(tr, id);
    tk_ext(tr, t)->learned = at;
    t->dns |= DM_D_LEARNED;
}

/* A response matching no transaction by key: from the wrong address or
 * port, if the client asked exactly this and has no answer yet. */
static guint32
wrong_source_of(const dm_tracker *tr, const probe *p)
{
    if (!p->folded)
        return 0;
    guint32 id = tk_ix_find(tr, IX_CLIENT_ID, p);
    if (!id)
        return 0;
    const dm_txn *t = TXN(tr, id);
    if ((t->flags & DM_T_ANSWERED) || !tk_same_question(tr, t, p->folded, p->qtype, p->qclass))
        return 0;
    if (t->server == p->server && t->server_port == p->sport)
        return 0;
    return id;
}

void
tk_dns_response(dm_tracker *tr, const dm_dns_msg *m)
{
    probe p;
    guint32 name = probe_of_msg(tr, m, &p);
    guint flags = m->tc ? DM_F_TRUNCATED : 0;

    /* The newest transaction with this key and question, else with the key. */
    guint32 id = name ? tk_ix_find(tr, IX_QUESTION, &p) : 0;
    if (!id)
        id = tk_ix_find(tr, IX_KEY, &p);
    if (!id && m->flow.transport == DM_DOH)
        id = doh_get(tr, &p, name, m);
    if (!id) {
        guint32 w = wrong_source_of(tr, &p);
        guint32 note = tk_note_add(tr, &m->flow, name, p.qtype, m->rcode);
        if (!w) {
            tk_item_add(tr, m->frame, DM_ROLE_RESPONSE, 0, flags | DM_F_UNSOLICITED, note);
            return;
        }
        guint32 item = tk_item_add(tr, m->frame, DM_ROLE_RESPONSE, w, flags | DM_F_WRONG_SOURCE, note);
        dm_txn *t = TXN(tr, w);
        t->flags |= DM_T_WRONG_SOURCE;
        dm_txn_ext *e = tk_ext(tr, t);
        e->last_resp = item;
        if (!e->wrong_item) {
            e->wrong_item = item;
            e->wrong_from = p.server;
            e->wrong_port = p.sport;
        }
        tk_changed(tr, t);
        tk_notify(tr, DM_EV_ACTIVITY, w, m->ts);
        return;
    }

    dm_txn *t = TXN(tr, id);
    guint32 note = 0;
    if (name && t->name && !tk_same_question(tr, t, p.folded, p.qtype, p.qclass)) {
        /* Another question (also after an answer): a spoofing signal. */
        flags |= DM_F_MISMATCH;
        note = tk_note_add(tr, &m->flow, name, p.qtype, m->rcode);
        tk_ext(tr, t)->mismatches++;
    } else if (t->flags & DM_T_ANSWERED) {
        /* Wireshark's DNS dissector flags a second response itself. */
        flags |= (t->flags & DM_T_MULTI) ? DM_F_MORE : (DM_F_DUPLICATE | DM_F_WS_SAID);
    }
    guint32 item = tk_item_add(tr, m->frame, DM_ROLE_RESPONSE, id, flags, note);
    t = TXN(tr, id);
    /* The deciding response is the latest one unless others came: only
     * those need the extra record. */
    if (t->ext || (flags & (DM_F_DUPLICATE | DM_F_MORE | DM_F_MISMATCH)))
        tk_ext(tr, t)->last_resp = item;
    if (!(flags & (DM_F_DUPLICATE | DM_F_MORE | DM_F_MISMATCH))) {
        /* The first matching response decides. */
        t->flags |= DM_T_ANSWERED;
        tk_set_answer_item(tr, t, item);
        tk_set_answer_ts(tr, t, m->ts);
        t->rcode = m->rcode;
        if (m->ancount)
            t->flags |= DM_T_RECORDS;
        if (m->tc)
            t->flags |= DM_T_TC;
        t->dns = (guint8)((t->dns & DM_D_RD) | (m->aa ? DM_D_AA : 0) |
                          (m->ns_in_authority ? DM_D_NS : 0) |
                          (m->cname_only ? DM_D_CNAME : 0));
        if (m->n_learned)
            learn(tr, t, m);
        dm_time rtt = dm_time_diff(m->ts, t->first_ts);
        if (rtt > tr->timeout)
            t->flags |= DM_T_LATE;
        else if (rtt > tr->slow)
            t->flags |= DM_T_SLOW;
        if (m->has_ede) {
            dm_txn_ext *e = tk_ext(tr, t);
            t->flags |= DM_T_EDE;
            e->ede_code = m->ede_code;
            g_free(e->ede_text);
            e->ede_text = (m->ede_text && *m->ede_text) ? g_strdup(m->ede_text) : NULL;
        }
        if (m->tc && t->transport == DM_UDP && t->name)
            tk_ix_put(tr, IX_TRUNCATED, id);
        tk_settle(tr, t);
        tk_notify(tr, DM_EV_DECIDED, id, m->ts);
    }
    tk_notify(tr, DM_EV_ACTIVITY, id, m->ts);
}
