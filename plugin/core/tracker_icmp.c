/* tracker_icmp.c — ICMP and ICMPv6 errors about DNS (docs/design.md,
 * "ICMP errors"): orient the quoted packet, match it to a transaction, and
 * record the error.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_int.h"

static gboolean
is_dns_port(guint16 p)
{
    return p == 53 || p == 5353 || p == 5355 || p == 853;
}

/* Is there a transaction (or connection) on this oriented flow? */
static gboolean
flow_known(const dm_tracker *tr, const probe *p)
{
    return tk_ix_find(tr, IX_FLOW, p) ||
           tk_conn_find(tr, (dm_transport)p->transport, p->client, p->cport, p->server, p->sport);
}

static void
icmp_link(dm_tracker *tr, dm_txn *t, guint32 icmp)
{
    dm_txn_ext *e = tk_ext(tr, t);
    if (e->last_icmp)
        ICMP(tr, e->last_icmp)->next = icmp;
    else
        e->first_icmp = icmp;
    e->last_icmp = icmp;
    if (!ICMP(tr, icmp)->quotes_response && !e->query_icmp)
        e->query_icmp = icmp;
}

/* The quoted packet seen from its transaction: the probe on its flow,
 * oriented client -> server, and which way the quoted packet went. */
typedef struct {
    probe p;
    gboolean quotes_response;   /* server -> client: a response bounced */
    const dm_addr *client, *server;
    guint16 cport, sport;
    gboolean named;             /* the quote holds a question */
} quote;

/* Orient the quoted packet: client -> server for a query, the reverse for
 * a response. The DNS flags say which when the quote holds them, a SYN is
 * always the client's; otherwise the flows already known do. */
static void
orient(const dm_tracker *tr, const dm_icmp_msg *m, quote *q)
{
    probe fq;
    memset(&fq, 0, sizeof fq);
    fq.transport = (guint8)m->transport;
    fq.client = tk_addr_find(tr, &m->src);
    fq.server = tk_addr_find(tr, &m->dst);
    fq.cport = m->sport;
    fq.sport = m->dport;
    fq.id = m->id;
    probe fr = fq;
    fr.client = fq.server;
    fr.server = fq.client;
    fr.cport = fq.sport;
    fr.sport = fq.cport;
    gboolean resp;
    if (m->has_id)
        resp = m->qr;
    else if (m->tcp_syn)
        resp = FALSE;
    else if (fq.client && fq.server && flow_known(tr, &fq))
        resp = FALSE;
    else if (fq.client && fq.server && flow_known(tr, &fr))
        resp = TRUE;
    else
        resp = is_dns_port(m->sport) && !is_dns_port(m->dport);
    q->quotes_response = resp;
    q->p = resp ? fr : fq;
    q->client = resp ? &m->dst : &m->src;
    q->server = resp ? &m->src : &m->dst;
    q->cport = resp ? m->dport : m->sport;
    q->sport = resp ? m->sport : m->dport;
    /* A quoted question never seen matches no transaction's (folded 0 is
     * "none"): remember that it was there. */
    q->named = m->has_id && m->q.name;
    q->p.folded = q->named ? tk_name_find_folded(tr, m->q.name) : 0;
    q->p.qtype = m->q.type;
    q->p.qclass = m->q.klass;
}

/* What matching found: the transaction, the item quoted when known, and
 * whether a NAT or forwarder sent the query on to another server. */
typedef struct {
    guint32 txn, quoted, nat_server;
    gboolean via_nat;
} match;

/* The transaction the quote is about, by its key, its flow, or (a NAT, a
 * wrong source) by client, port and DNS ID. A quoted SYN of a connection
 * still waiting makes that attempt a transaction: it was refused. */
static void
match_quote(dm_tracker *tr, const dm_icmp_msg *m, const quote *q, match *r)
{
    const probe *p = &q->p;
    guint32 name = p->folded;
    memset(r, 0, sizeof *r);
    guint32 id = 0;
    if (p->client && p->server) {
        if (m->has_id) {
            id = name ? tk_ix_find(tr, IX_QUESTION, p) : 0;
            if (!id)
                id = tk_ix_find(tr, IX_KEY, p);
            if (id && q->named && TXN(tr, id)->name &&
                !tk_same_question(tr, TXN(tr, id), name, p->qtype, p->qclass))
                id = 0;     /* it quotes another question: not this query */
        } else if (!q->quotes_response) {
            /* A connection attempt (a SYN, a QUIC Initial) still waiting. */
            guint32 cid = tk_conn_find(tr, m->transport, p->client, p->cport, p->server,
                                       p->sport);
            dm_conn *c = cid ? CONN(tr, cid) : NULL;
            if (c && c->state == CONN_SYN_SENT && (!c->txns || !c->txns->len) && c->syn_items) {
                id = tk_conn_txn(tr, cid, 0);
                c = CONN(tr, cid);
                r->quoted = g_array_index(c->syn_items, guint32, c->syn_items->len - 1);
            } else {
                id = tk_ix_find(tr, IX_FLOW, p);
            }
        } else {
            id = tk_ix_find(tr, IX_FLOW, p);
        }
    }
    if (!id && m->has_id && p->client) {
        guint32 c = tk_ix_find(tr, IX_CLIENT_ID, p);
        const dm_txn *t = c ? TXN(tr, c) : NULL;
        if (t && !q->quotes_response && t->server_port == p->sport &&
            (!q->named || !t->name || tk_same_question(tr, t, name, p->qtype, p->qclass))) {
            /* A NAT or forwarder sent the query on to another server, whose
             * error quotes that server's address: the client, its port and
             * the DNS ID still name the query. */
            id = c;
            r->via_nat = TRUE;
            r->nat_server = tk_addr_id(tr, q->server);
        } else if (t && q->quotes_response && (t->flags & DM_T_WRONG_SOURCE)) {
            /* The client refused a response from the wrong address. */
            const dm_txn_ext *e = dm_tracker_ext(tr, t);
            if (e && e->wrong_from == p->server)
                id = c;
        }
    }
    r->txn = id;
}

/* Keep the error, its item, and what it does to its transaction. */
static void
record(dm_tracker *tr, const dm_icmp_msg *m, const quote *q, const match *r)
{
    dm_icmp ic;
    memset(&ic, 0, sizeof ic);
    ic.ts = m->ts;
    ic.frame = m->frame;
    ic.version = m->version;
    ic.type = m->type;
    ic.code = m->code;
    ic.kind = (guint8)dm_icmp_classify(m->version, m->type, m->code);
    ic.reporter = tk_addr_id(tr, &m->reporter);
    ic.nat_server = r->nat_server;
    ic.quotes_response = (guint8)q->quotes_response;
    ic.who = dm_addr_equal(&m->reporter, q->server) ? DM_REPORTER_SERVER
           : dm_addr_equal(&m->reporter, q->client) ? DM_REPORTER_CLIENT : DM_REPORTER_ROUTER;
    ic.txn = r->txn;
    guint flags = (q->quotes_response ? DM_F_BOUNCED : 0) | (m->has_id ? 0 : DM_F_SHORT_QUOTE) |
                  (r->via_nat ? DM_F_VIA_NAT : 0) | (r->txn ? 0 : DM_F_UNMATCHED);
    guint32 icmp_id = dm_fifo_append(&tr->icmps, &ic);
    guint32 item = tk_item_add(tr, m->frame, DM_ROLE_ICMP, r->txn, flags, icmp_id);
    ICMP(tr, icmp_id)->item = item;
    if (!r->txn) {
        /* Unmatched: keep what the quote said. */
        dm_flow f = { m->transport, *q->client, *q->server, q->cport, q->sport };
        guint32 nm = (m->has_id && m->q.name) ? tk_name_id(tr, m->q.name) : 0;
        ICMP(tr, icmp_id)->note = tk_note_add(tr, &f, nm, m->q.type, 0);
        return;
    }
    dm_txn *t = TXN(tr, r->txn);
    guint32 quoted = r->quoted;
    if (q->quotes_response) {
        quoted = dm_txn_last_response(tr, t);
        t->flags |= DM_T_BOUNCED;
    } else {
        if (!quoted)
            quoted = dm_txn_last_item(tr, t);
        if (!(t->flags & DM_T_ICMP_QUERY)) {
            t->flags |= DM_T_ICMP_QUERY;
            tk_changed(tr, t);
        }
    }
    ICMP(tr, icmp_id)->quoted = quoted;
    icmp_link(tr, t, icmp_id);
    tk_notify(tr, DM_EV_ACTIVITY, r->txn, m->ts);
}

gboolean
tk_icmp_error(dm_tracker *tr, const dm_icmp_msg *m)
{
    quote q;
    orient(tr, m, &q);
    match r;
    match_quote(tr, m, &q, &r);
    if (!r.txn && !m->has_id && !is_dns_port(m->sport) && !is_dns_port(m->dport))
        return FALSE;   /* not about DNS at all */
    record(tr, m, &q, &r);
    return TRUE;
}
