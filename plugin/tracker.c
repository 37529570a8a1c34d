/* tracker.c — follows DNS transactions to their outcome (SPEC.md,
 * "Transactions" and "Outcome of a transaction"). Plain C with GLib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_tracker.h"

struct dm_tracker {
    dm_config cfg;
    GPtrArray *txns;            /* dm_txn*, owned; index = num - 1 */
    GHashTable *by_key_id;      /* dm_key (with id) -> GPtrArray of dm_txn*, newest last */
    GHashTable *by_flow;        /* dm_key (no id) -> newest dm_txn* */
    GHashTable *by_client_id;   /* dm_key without server address -> newest dm_txn* */
    GHashTable *truncated;      /* "client|server|question" -> UDP txn answered with TC=1 */
    GHashTable *frames;         /* frame -> GPtrArray of dm_item*, owned */
    GStringChunk *names;        /* interned question names */
    GQueue open;                /* txns with no answer and no ICMP, by last attempt */
    GPtrArray *changes;         /* change log, see dm_tracker_changes() */
    guint32 last_frame;
    dm_time end;
    gboolean have_end;
};

/* Hash key: a flow, with or without the DNS ID. Zeroed before filling so
 * padding never reaches the hash. */
typedef struct {
    dm_flow flow;
    guint16 id;
    guint8 with_id;
} dm_key;

static guint
key_hash(gconstpointer p)
{
    const guint8 *b = p;
    guint h = 2166136261u;
    for (gsize i = 0; i < sizeof(dm_key); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(dm_key)) == 0;
}

/* with_server FALSE leaves the server address out: a NAT may rewrite it. */
static void
key_fill(dm_key *k, const dm_flow *f, gboolean with_server, gboolean with_id, guint16 id)
{
    memset(k, 0, sizeof *k);
    k->flow.transport = f->transport;
    k->flow.client = f->client;
    if (with_server)
        k->flow.server = f->server;
    k->flow.client_port = f->client_port;
    k->flow.server_port = f->server_port;
    k->with_id = with_id ? 1 : 0;
    k->id = with_id ? id : 0;
}

static dm_key *
key_new(const dm_flow *f, gboolean with_server, gboolean with_id, guint16 id)
{
    dm_key *k = g_new(dm_key, 1);
    key_fill(k, f, with_server, with_id, id);
    return k;
}

static void
txn_free(gpointer p)
{
    dm_txn *t = p;
    g_array_free(t->attempts, TRUE);
    g_array_free(t->responses, TRUE);
    g_array_free(t->icmps, TRUE);
    g_free(t);
}

static void
items_free(gpointer p)
{
    g_ptr_array_free(p, TRUE);
}

static void
ptr_array_free(gpointer p)
{
    g_ptr_array_free(p, TRUE);
}

dm_tracker *
dm_tracker_new(const dm_config *cfg)
{
    dm_tracker *tr = g_new0(dm_tracker, 1);
    tr->cfg = *cfg;
    tr->txns = g_ptr_array_new_with_free_func(txn_free);
    tr->by_key_id = g_hash_table_new_full(key_hash, key_equal, g_free, ptr_array_free);
    tr->by_flow = g_hash_table_new_full(key_hash, key_equal, g_free, NULL);
    tr->by_client_id = g_hash_table_new_full(key_hash, key_equal, g_free, NULL);
    tr->truncated = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    tr->frames = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, items_free);
    tr->names = g_string_chunk_new(4096);
    g_queue_init(&tr->open);
    tr->changes = g_ptr_array_new();
    return tr;
}

void
dm_tracker_free(dm_tracker *tr)
{
    if (!tr)
        return;
    g_hash_table_destroy(tr->frames);
    g_hash_table_destroy(tr->by_key_id);
    g_hash_table_destroy(tr->by_flow);
    g_hash_table_destroy(tr->by_client_id);
    g_hash_table_destroy(tr->truncated);
    g_queue_clear(&tr->open);
    g_ptr_array_free(tr->changes, TRUE);
    g_ptr_array_free(tr->txns, TRUE);
    g_string_chunk_free(tr->names);
    g_free(tr);
}

const dm_config *
dm_tracker_config(const dm_tracker *tr)
{
    return &tr->cfg;
}

static dm_time
secs_to_ns(double s)
{
    return (dm_time)(s * (double)DM_NS_PER_SEC + (s >= 0 ? 0.5 : -0.5));
}

/* ---- time, the open queue and the change log ---------------------------- */

static void
log_change(dm_tracker *tr, dm_txn *t)
{
    g_ptr_array_add(tr->changes, t);
}

static void
open_remove(dm_tracker *tr, dm_txn *t)
{
    if (t->open_link) {
        g_queue_delete_link(&tr->open, t->open_link);
        t->open_link = NULL;
    }
}

/* Keep the queue ordered by last attempt; new attempts are nearly always
 * the latest, so search from the tail. */
static void
open_insert(dm_tracker *tr, dm_txn *t)
{
    GList *l = tr->open.tail;
    while (l && ((dm_txn *)l->data)->last_attempt > t->last_attempt)
        l = l->prev;
    if (l) {
        g_queue_insert_after(&tr->open, l, t);
        t->open_link = l->next;
    } else {
        g_queue_push_head(&tr->open, t);
        t->open_link = tr->open.head;
    }
}

/* Silent transactions whose timeout passed become "unanswered as of now". */
static void
advance_time(dm_tracker *tr, dm_time ts)
{
    if (!tr->have_end || ts > tr->end) {
        tr->end = ts;
        tr->have_end = TRUE;
    }
    dm_time timeout = secs_to_ns(tr->cfg.timeout);
    while (tr->open.head) {
        dm_txn *t = tr->open.head->data;
        if (tr->end - t->last_attempt < timeout)
            break;
        g_queue_pop_head(&tr->open);
        t->open_link = NULL;
        log_change(tr, t);
    }
}

void
dm_tracker_mark_frame(dm_tracker *tr, guint32 frame, dm_time ts)
{
    if (frame > tr->last_frame)
        tr->last_frame = frame;
    advance_time(tr, ts);
}

gboolean
dm_tracker_frame_seen(const dm_tracker *tr, guint32 frame)
{
    return frame <= tr->last_frame;
}

dm_time
dm_tracker_end_time(const dm_tracker *tr)
{
    return tr->end;
}

guint
dm_tracker_changes(const dm_tracker *tr, dm_txn *const **log)
{
    *log = (dm_txn *const *)tr->changes->pdata;
    return tr->changes->len;
}

guint
dm_tracker_txn_count(const dm_tracker *tr)
{
    return tr->txns->len;
}

dm_txn *
dm_tracker_txn(const dm_tracker *tr, guint num)
{
    if (num == 0 || num > tr->txns->len)
        return NULL;
    return g_ptr_array_index(tr->txns, num - 1);
}

/* ---- frame items ------------------------------------------------------- */

static dm_item *
item_add(dm_tracker *tr, guint32 frame, dm_role role)
{
    GPtrArray *items = g_hash_table_lookup(tr->frames, GUINT_TO_POINTER(frame));
    if (!items) {
        items = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(tr->frames, GUINT_TO_POINTER(frame), items);
    }
    dm_item *it = g_new0(dm_item, 1);
    it->role = role;
    g_ptr_array_add(items, it);
    return it;
}

const GPtrArray *
dm_tracker_frame_items(const dm_tracker *tr, guint32 frame)
{
    return g_hash_table_lookup(tr->frames, GUINT_TO_POINTER(frame));
}

/* ---- questions --------------------------------------------------------- */

static dm_question
question_intern(dm_tracker *tr, const dm_question *q)
{
    dm_question r = *q;
    if (q->name)
        r.name = g_string_chunk_insert_const(tr->names, q->name);
    return r;
}

/* DNS names compare without regard to ASCII case (RFC 4343). */
static gboolean
question_equal(const dm_question *a, const dm_question *b)
{
    if (!a->name || !b->name)
        return !a->name && !b->name;
    return a->type == b->type && a->klass == b->klass &&
           g_ascii_strcasecmp(a->name, b->name) == 0;
}

static char *
truncated_key(const dm_flow *f, const dm_question *q)
{
    char c[48], s[48];
    return g_strdup_printf("%s|%s|%s|%u|%u", dm_addr_to_str(&f->client, c, sizeof c),
                           dm_addr_to_str(&f->server, s, sizeof s), q->name ? q->name : "",
                           q->type, q->klass);
}

/* ---- queries ----------------------------------------------------------- */

static GPtrArray *
txns_with_id(const dm_tracker *tr, const dm_flow *f, guint16 id)
{
    dm_key k;
    key_fill(&k, f, TRUE, TRUE, id);
    return g_hash_table_lookup(tr->by_key_id, &k);
}

static dm_txn *
newest_on_flow(const dm_tracker *tr, const dm_flow *f)
{
    dm_key k;
    key_fill(&k, f, TRUE, FALSE, 0);
    return g_hash_table_lookup(tr->by_flow, &k);
}

static dm_txn *
newest_from_client(const dm_tracker *tr, const dm_flow *f, guint16 id)
{
    dm_key k;
    key_fill(&k, f, FALSE, TRUE, id);
    return g_hash_table_lookup(tr->by_client_id, &k);
}

static dm_txn *
newest_with_id(const dm_tracker *tr, const dm_flow *f, guint16 id)
{
    GPtrArray *a = txns_with_id(tr, f, id);
    return (a && a->len) ? g_ptr_array_index(a, a->len - 1) : NULL;
}

/* An open transaction this query retransmits: same key and question, no
 * response yet, last attempt at most retransmit_window ago. */
static dm_txn *
find_retransmitted(const dm_tracker *tr, const dm_dns_msg *m)
{
    GPtrArray *a = txns_with_id(tr, &m->flow, m->id);
    dm_time window = secs_to_ns(tr->cfg.retransmit_window);
    for (guint i = a ? a->len : 0; i-- > 0;) {
        dm_txn *t = g_ptr_array_index(a, i);
        if (m->ts - t->last_attempt > window)
            break;      /* older ones are older still */
        if (t->answer < 0 && question_equal(&t->q, &m->q))
            return t;
    }
    return NULL;
}

static void
link_tcp_retry(dm_tracker *tr, dm_txn *t, dm_time ts)
{
    char *k = truncated_key(&t->flow, &t->q);
    dm_txn *udp = g_hash_table_lookup(tr->truncated, k);
    g_free(k);
    if (!udp || udp->tcp_retry)
        return;
    const dm_response *r = dm_txn_answer(udp);
    if (r && ts - r->ts <= secs_to_ns(tr->cfg.retransmit_window)) {
        udp->tcp_retry = t;
        t->udp_truncated = udp;
        log_change(tr, udp);
    }
}

static dm_txn *
txn_new(dm_tracker *tr, const dm_dns_msg *m)
{
    dm_txn *t = g_new0(dm_txn, 1);
    t->num = tr->txns->len + 1;
    t->flow = m->flow;
    t->id = m->id;
    t->q = question_intern(tr, &m->q);
    t->attempts = g_array_new(FALSE, FALSE, sizeof(dm_attempt));
    t->responses = g_array_new(FALSE, FALSE, sizeof(dm_response));
    t->icmps = g_array_new(FALSE, FALSE, sizeof(dm_icmp_ref));
    t->answer = -1;
    g_ptr_array_add(tr->txns, t);

    GPtrArray *a = txns_with_id(tr, &m->flow, m->id);
    if (!a) {
        a = g_ptr_array_new();
        g_hash_table_insert(tr->by_key_id, key_new(&m->flow, TRUE, TRUE, m->id), a);
    }
    g_ptr_array_add(a, t);
    g_hash_table_replace(tr->by_flow, key_new(&m->flow, TRUE, FALSE, 0), t);
    g_hash_table_replace(tr->by_client_id, key_new(&m->flow, FALSE, TRUE, m->id), t);

    if (t->flow.transport == DM_TCP && t->q.name)
        link_tcp_retry(tr, t, m->ts);
    return t;
}

static gboolean
has_icmp_on_query(const dm_txn *t)
{
    return dm_txn_first_icmp_on_query(t) != NULL;
}

const dm_item *
dm_tracker_query(dm_tracker *tr, const dm_dns_msg *m)
{
    advance_time(tr, m->ts);
    dm_txn *t = find_retransmitted(tr, m);
    dm_item *it = item_add(tr, m->frame, DM_ROLE_QUERY);
    if (t) {
        it->flags |= DM_F_RETRANSMISSION;
        open_remove(tr, t);
    } else {
        t = txn_new(tr, m);
    }
    dm_attempt a = { m->frame, m->ts };
    g_array_append_val(t->attempts, a);
    if (m->ts > t->last_attempt || t->attempts->len == 1)
        t->last_attempt = m->ts;
    if (!has_icmp_on_query(t))
        open_insert(tr, t);
    it->txn = t;
    it->attempt = t->attempts->len;
    it->flow = t->flow;
    it->q = t->q;
    if (!m->q.name)
        it->flags |= DM_F_NO_QUESTION;
    log_change(tr, t);
    return it;
}

/* ---- responses --------------------------------------------------------- */

const dm_item *
dm_tracker_response(dm_tracker *tr, const dm_dns_msg *m)
{
    advance_time(tr, m->ts);
    dm_item *it = item_add(tr, m->frame, DM_ROLE_RESPONSE);
    it->flow = m->flow;
    it->q = question_intern(tr, &m->q);
    it->rcode = m->rcode;
    if (m->tc)
        it->flags |= DM_F_TRUNCATED;

    dm_txn *t = newest_with_id(tr, &m->flow, m->id);
    if (!t) {
        it->flags |= DM_F_UNSOLICITED;
        return it;
    }
    dm_response r = { m->frame, m->ts, m->rcode, m->ancount, it->flags };
    if (t->answer >= 0)
        r.flags |= DM_F_DUPLICATE;
    if (m->q.name && t->q.name && !question_equal(&t->q, &m->q))
        r.flags |= DM_F_MISMATCH;
    if (!(r.flags & (DM_F_DUPLICATE | DM_F_MISMATCH))) {
        dm_time rtt = m->ts - g_array_index(t->attempts, dm_attempt, 0).ts;
        if (rtt > secs_to_ns(tr->cfg.timeout))
            r.flags |= DM_F_LATE;
        else if (rtt > secs_to_ns(tr->cfg.slow_threshold))
            r.flags |= DM_F_SLOW;
        t->answer = (gint)t->responses->len;
        open_remove(tr, t);
        if (m->tc && t->flow.transport == DM_UDP && t->q.name)
            g_hash_table_replace(tr->truncated, truncated_key(&t->flow, &t->q), t);
    }
    g_array_append_val(t->responses, r);
    it->txn = t;
    it->index = t->responses->len - 1;
    it->flags = r.flags;
    if (!(r.flags & DM_F_MISMATCH) && t->q.name)
        it->q = t->q;   /* the question it answers; a mismatch keeps its own */
    log_change(tr, t);
    return it;
}

/* ---- ICMP errors ------------------------------------------------------- */

gboolean
dm_icmp_is_error(guint8 version, guint8 type)
{
    if (version == 6)
        return type >= 1 && type <= 4;
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

dm_icmp_kind
dm_icmp_classify(guint8 version, guint8 type, guint8 code)
{
    if (version == 6) {
        if (type == 1) {
            switch (code) {
            case 0: return DM_ICMP_NET_UNREACHABLE;
            case 1: return DM_ICMP_ADMIN_PROHIBITED;
            case 3: return DM_ICMP_HOST_UNREACHABLE;
            case 4: return DM_ICMP_PORT_UNREACHABLE;
            default: return DM_ICMP_OTHER;
            }
        }
        if (type == 2)
            return DM_ICMP_FRAG_NEEDED;
        if (type == 3)
            return DM_ICMP_TTL_EXCEEDED;
        return DM_ICMP_OTHER;
    }
    if (type == 3) {
        switch (code) {
        case 0: return DM_ICMP_NET_UNREACHABLE;
        case 1: return DM_ICMP_HOST_UNREACHABLE;
        case 3: return DM_ICMP_PORT_UNREACHABLE;
        case 4: return DM_ICMP_FRAG_NEEDED;
        case 9: case 10: case 13: return DM_ICMP_ADMIN_PROHIBITED;
        default: return DM_ICMP_OTHER;
        }
    }
    if (type == 11)
        return DM_ICMP_TTL_EXCEEDED;
    return DM_ICMP_OTHER;
}

static gboolean
is_dns_port(guint16 p)
{
    return p == 53 || p == 5353 || p == 5355;
}

const dm_item *
dm_tracker_icmp(dm_tracker *tr, const dm_icmp_msg *m)
{
    if (!dm_icmp_is_error(m->version, m->type))
        return NULL;

    /* Orient the quoted packet: client -> server for a query, the reverse
     * for a response. The DNS flags say which when the quote holds them;
     * otherwise the flows already known do. */
    dm_flow fq = { m->transport, m->src, m->dst, m->sport, m->dport };
    dm_flow fr = { m->transport, m->dst, m->src, m->dport, m->sport };
    gboolean quotes_response;
    if (m->has_qr)
        quotes_response = m->qr;
    else if (newest_on_flow(tr, &fq))
        quotes_response = FALSE;
    else if (newest_on_flow(tr, &fr))
        quotes_response = TRUE;
    else
        quotes_response = is_dns_port(m->sport) && !is_dns_port(m->dport);
    const dm_flow *f = quotes_response ? &fr : &fq;

    dm_txn *t = m->has_id ? newest_with_id(tr, f, m->id) : newest_on_flow(tr, f);
    gboolean via_nat = FALSE;
    if (!t && m->has_id && !quotes_response) {
        /* A NAT or forwarder sent the query on to another server, whose
         * error quotes that server's address: the client, its port and
         * the DNS ID still name the query. */
        t = newest_from_client(tr, f, m->id);
        if (t && m->q.name && t->q.name && !question_equal(&t->q, &m->q))
            t = NULL;
        via_nat = t != NULL;
    }
    if (!t && !m->has_id && !is_dns_port(m->sport) && !is_dns_port(m->dport))
        return NULL;    /* not about DNS at all */

    advance_time(tr, m->ts);
    dm_item *it = item_add(tr, m->frame, DM_ROLE_ICMP);
    dm_icmp_ref ic;
    memset(&ic, 0, sizeof ic);
    ic.frame = m->frame;
    ic.ts = m->ts;
    ic.version = m->version;
    ic.type = m->type;
    ic.code = m->code;
    ic.kind = dm_icmp_classify(m->version, m->type, m->code);
    ic.reporter = m->reporter;
    ic.from_server = dm_addr_equal(&m->reporter, &f->server);
    ic.quotes_response = quotes_response;
    if (via_nat) {
        ic.nat_server = f->server;
        it->flags |= DM_F_VIA_NAT;
    }
    it->flow = *f;
    it->q = question_intern(tr, &m->q);
    if (quotes_response)
        it->flags |= DM_F_BOUNCED;
    if (!m->has_id)
        it->flags |= DM_F_SHORT_QUOTE;

    if (!t) {
        it->flags |= DM_F_UNMATCHED;
        it->icmp = ic;
        return it;
    }
    if (quotes_response) {
        if (t->responses->len)
            ic.quoted_frame = g_array_index(t->responses, dm_response, t->responses->len - 1).frame;
    } else {
        /* Attempts share key and ID: the newest one sent before the error. */
        for (guint i = t->attempts->len; i-- > 0;) {
            const dm_attempt *a = &g_array_index(t->attempts, dm_attempt, i);
            if (a->ts <= m->ts || i == 0) {
                ic.quoted_frame = a->frame;
                break;
            }
        }
        open_remove(tr, t);
    }
    g_array_append_val(t->icmps, ic);
    it->txn = t;
    it->index = t->icmps->len - 1;
    it->icmp = ic;
    it->q = t->q.name ? t->q : it->q;
    log_change(tr, t);
    return it;
}

/* ---- outcome ----------------------------------------------------------- */

const dm_response *
dm_txn_answer(const dm_txn *t)
{
    return t->answer >= 0 ? &g_array_index(t->responses, dm_response, t->answer) : NULL;
}

const dm_icmp_ref *
dm_txn_first_icmp_on_query(const dm_txn *t)
{
    for (guint i = 0; i < t->icmps->len; i++) {
        const dm_icmp_ref *ic = &g_array_index(t->icmps, dm_icmp_ref, i);
        if (!ic->quotes_response)
            return ic;
    }
    return NULL;
}

gboolean
dm_txn_rtt(const dm_txn *t, dm_time *rtt)
{
    const dm_response *r = dm_txn_answer(t);
    if (!r)
        return FALSE;
    *rtt = r->ts - g_array_index(t->attempts, dm_attempt, 0).ts;
    return TRUE;
}

dm_outcome
dm_txn_outcome(const dm_tracker *tr, const dm_txn *t)
{
    const dm_response *r = dm_txn_answer(t);
    if (r) {
        switch (r->rcode) {
        case 0: return r->ancount ? DM_OUTCOME_ANSWERED : DM_OUTCOME_NODATA;
        case 2: return DM_OUTCOME_SERVFAIL;
        case 3: return DM_OUTCOME_NXDOMAIN;
        case 5: return DM_OUTCOME_REFUSED;
        default: return DM_OUTCOME_ERROR;
        }
    }
    if (has_icmp_on_query(t))
        return DM_OUTCOME_REJECTED;
    if (tr->end - t->last_attempt < secs_to_ns(tr->cfg.timeout))
        return DM_OUTCOME_INCOMPLETE;
    return DM_OUTCOME_UNANSWERED;
}
