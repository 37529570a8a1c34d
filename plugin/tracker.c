/* tracker.c — follows DNS transactions to their outcome (SPEC.md,
 * "Transactions" and "Outcome of a transaction"). Plain C with GLib.
 *
 * Everything an attacker can multiply is found in O(1): transactions by key
 * (with and without the question, without the ID, without the server), TCP
 * connections, truncated answers, frame items by binary search, time-outs in
 * a binary heap. No scan per packet.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_hash.h"
#include "dnsmon_tracker.h"

/* Which fields of a transaction key an index. */
typedef enum {
    IX_QUESTION,    /* transport, client, cport, server, sport, id, question */
    IX_KEY,         /* transport, client, cport, server, sport, id */
    IX_FLOW,        /* transport, client, cport, server, sport */
    IX_CLIENT_ID,   /* transport, client, cport, id (NAT, wrong source) */
    IX_TRUNCATED,   /* client, server (truncated UDP answers) */
    IX_CONN,        /* TCP connections: client, cport, server, sport */
    IX_COUNT
} ix_kind;

/* A probe for any index: the fields that kind uses are compared. */
typedef struct {
    guint32 client, server, folded;
    guint16 cport, sport, id, qtype, qclass;
    guint8 transport;
} probe;

typedef struct {
    dm_tracker *tr;
    ix_kind kind;
} ix_ctx;

typedef enum { CONN_SYN_SENT, CONN_ESTABLISHED, CONN_CLOSED } conn_state;

typedef struct {
    guint32 client, server;
    guint16 cport, sport;
    guint32 txn;                /* its connection-attempt transaction, 0 if none (yet) */
    GArray *syn_items;          /* guint32 item ids */
    GArray *txns;               /* guint32: DNS transactions it carried */
    dm_time first_syn, last_syn;
    guint8 state;
} dm_conn;

typedef enum { TIMER_TXN, TIMER_CONN } timer_kind;

typedef struct {
    dm_time at;
    guint32 id;
    guint32 kind;
} timer;

typedef struct {
    dm_observer fn;
    void *user;
} observer;

struct dm_tracker {
    dm_config cfg;
    dm_time timeout, window, slow, lookup_window, ws_retransmit_timer;
    GArray *txns;               /* dm_txn; id = index + 1 */
    GArray *exts;               /* dm_txn_ext */
    GArray *items;              /* dm_item */
    GArray *icmps;              /* dm_icmp */
    GArray *notes;              /* dm_note */
    GArray *conns;              /* dm_conn */
    dm_intern *names;
    GArray *folded;             /* guint32 per name id: its case-folded name id */
    dm_intern *addrs;
    dm_index ix[IX_COUNT];
    ix_ctx ixc[IX_COUNT];
    GArray *timers;             /* binary min-heap of timer */
    GArray *settled;            /* guint32 txn ids, settle order */
    GArray *observers;
    guint32 frame, frame_first_item;
    gboolean have_frame;
    dm_time end;
    gboolean have_end, finished;
};

dm_time
dm_time_from(gint64 secs, gint32 nsecs)
{
    const gint64 max_secs = G_MAXINT64 / DM_NS_PER_SEC - 1;
    if (secs > max_secs)
        return G_MAXINT64;
    if (secs < -max_secs)
        return G_MININT64;
    return secs * DM_NS_PER_SEC + nsecs;
}

static dm_time
secs_to_ns(double s)
{
    if (s <= 0)
        return 0;
    if (s > 1e9)
        s = 1e9;
    return (dm_time)(s * (double)DM_NS_PER_SEC + 0.5);
}

/* a - b without overflow, saturating. */
static dm_time
time_diff(dm_time a, dm_time b)
{
    dm_time d;
    if (__builtin_sub_overflow(a, b, &d))
        return a > b ? G_MAXINT64 : G_MININT64;
    return d;
}

static dm_time
time_add(dm_time a, dm_time b)
{
    dm_time d;
    if (__builtin_add_overflow(a, b, &d))
        return b > 0 ? G_MAXINT64 : G_MININT64;
    return d;
}

/* ---- access ------------------------------------------------------------ */

#define TXN(tr, id) (&g_array_index((tr)->txns, dm_txn, (id) - 1))
#define ITEM(tr, id) (&g_array_index((tr)->items, dm_item, (id) - 1))
#define ICMP(tr, id) (&g_array_index((tr)->icmps, dm_icmp, (id) - 1))
#define CONN(tr, id) (&g_array_index((tr)->conns, dm_conn, (id) - 1))

static guint32
txn_id(const dm_tracker *tr, const dm_txn *t)
{
    return (guint32)(t - (const dm_txn *)(void *)tr->txns->data) + 1;
}

static dm_txn_ext *
ext_of(dm_tracker *tr, dm_txn *t)
{
    if (!t->ext) {
        dm_txn_ext e;
        memset(&e, 0, sizeof e);
        g_array_append_val(tr->exts, e);
        t->ext = tr->exts->len;
    }
    return &g_array_index(tr->exts, dm_txn_ext, t->ext - 1);
}

const dm_txn_ext *
dm_tracker_ext(const dm_tracker *tr, const dm_txn *t)
{
    return t->ext ? &g_array_index(tr->exts, dm_txn_ext, t->ext - 1) : NULL;
}

/* ---- indices ----------------------------------------------------------- */

static void
probe_of_txn(const dm_tracker *tr, const dm_txn *t, probe *p)
{
    memset(p, 0, sizeof *p);
    p->transport = t->transport;
    p->client = t->client;
    p->server = t->server;
    p->cport = t->client_port;
    p->sport = t->server_port;
    p->id = t->id;
    p->folded = t->name ? g_array_index(tr->folded, guint32, t->name - 1) : 0;
    p->qtype = t->qtype;
    p->qclass = t->qclass;
}

static void
probe_of_conn(const dm_conn *c, probe *p)
{
    memset(p, 0, sizeof *p);
    p->transport = DM_TCP;
    p->client = c->client;
    p->server = c->server;
    p->cport = c->cport;
    p->sport = c->sport;
}

/* The fields of kind, packed into bytes for the hash. */
static guint64
probe_hash(ix_kind kind, const probe *p)
{
    guint8 b[32];
    gsize n = 0;
#define PUT(v) do { memcpy(b + n, &(v), sizeof(v)); n += sizeof(v); } while (0)
    b[n++] = (guint8)kind;
    switch (kind) {
    case IX_QUESTION:
        PUT(p->folded); PUT(p->qtype); PUT(p->qclass);
        /* fall through */
    case IX_KEY:
        PUT(p->id);
        /* fall through */
    case IX_FLOW:
    case IX_CONN:
        b[n++] = p->transport;
        PUT(p->client); PUT(p->cport); PUT(p->server); PUT(p->sport);
        break;
    case IX_CLIENT_ID:
        b[n++] = p->transport;
        PUT(p->client); PUT(p->cport); PUT(p->id);
        break;
    case IX_TRUNCATED:
        PUT(p->client); PUT(p->server);
        break;
    default:
        break;
    }
#undef PUT
    return dm_hash(b, n);
}

static gboolean
probe_equal(ix_kind kind, const probe *a, const probe *b)
{
    switch (kind) {
    case IX_QUESTION:
        if (a->folded != b->folded || a->qtype != b->qtype || a->qclass != b->qclass)
            return FALSE;
        /* fall through */
    case IX_KEY:
        if (a->id != b->id)
            return FALSE;
        /* fall through */
    case IX_FLOW:
    case IX_CONN:
        return a->transport == b->transport && a->client == b->client && a->cport == b->cport &&
               a->server == b->server && a->sport == b->sport;
    case IX_CLIENT_ID:
        return a->transport == b->transport && a->client == b->client && a->cport == b->cport &&
               a->id == b->id;
    case IX_TRUNCATED:
        return a->client == b->client && a->server == b->server;
    default:
        return FALSE;
    }
}

static void
probe_of_record(const dm_tracker *tr, ix_kind kind, guint32 id, probe *p)
{
    if (kind == IX_CONN)
        probe_of_conn(CONN(tr, id), p);
    else
        probe_of_txn(tr, TXN(tr, id), p);
}

static guint64
ix_hash_cb(const void *ctx, guint32 id)
{
    const ix_ctx *c = ctx;
    probe p;
    probe_of_record(c->tr, c->kind, id, &p);
    return probe_hash(c->kind, &p);
}

static gboolean
ix_match_cb(const void *ctx, guint32 id, const void *pr)
{
    const ix_ctx *c = ctx;
    probe p;
    probe_of_record(c->tr, c->kind, id, &p);
    return probe_equal(c->kind, &p, pr);
}

static guint32
ix_find(const dm_tracker *tr, ix_kind kind, const probe *p)
{
    return dm_index_find(&tr->ix[kind], probe_hash(kind, p), ix_match_cb, p);
}

static void
ix_put(dm_tracker *tr, ix_kind kind, guint32 id)
{
    probe p;
    probe_of_record(tr, kind, id, &p);
    dm_index_put(&tr->ix[kind], probe_hash(kind, &p), ix_match_cb, &p, id);
}

/* ---- creation and teardown --------------------------------------------- */

dm_tracker *
dm_tracker_new(const dm_config *cfg)
{
    dm_tracker *tr = g_new0(dm_tracker, 1);
    tr->cfg = *cfg;
    tr->timeout = secs_to_ns(cfg->timeout);
    tr->window = secs_to_ns(cfg->retransmit_window);
    tr->slow = secs_to_ns(cfg->slow_threshold);
    tr->lookup_window = secs_to_ns(cfg->lookup_window);
    tr->ws_retransmit_timer = cfg->wireshark_retransmit_timer > 0
                                  ? secs_to_ns(cfg->wireshark_retransmit_timer) : -1;
    tr->txns = g_array_new(FALSE, FALSE, sizeof(dm_txn));
    tr->exts = g_array_new(FALSE, FALSE, sizeof(dm_txn_ext));
    tr->items = g_array_new(FALSE, FALSE, sizeof(dm_item));
    tr->icmps = g_array_new(FALSE, FALSE, sizeof(dm_icmp));
    tr->notes = g_array_new(FALSE, FALSE, sizeof(dm_note));
    tr->conns = g_array_new(FALSE, FALSE, sizeof(dm_conn));
    tr->names = dm_intern_new();
    tr->folded = g_array_new(FALSE, FALSE, sizeof(guint32));
    tr->addrs = dm_intern_new();
    for (int k = 0; k < IX_COUNT; k++) {
        tr->ixc[k].tr = tr;
        tr->ixc[k].kind = (ix_kind)k;
        dm_index_init(&tr->ix[k], ix_hash_cb, &tr->ixc[k]);
    }
    tr->timers = g_array_new(FALSE, FALSE, sizeof(timer));
    tr->settled = g_array_new(FALSE, FALSE, sizeof(guint32));
    tr->observers = g_array_new(FALSE, FALSE, sizeof(observer));
    return tr;
}

void
dm_tracker_free(dm_tracker *tr)
{
    if (!tr)
        return;
    for (guint i = 0; i < tr->exts->len; i++)
        g_free(g_array_index(tr->exts, dm_txn_ext, i).ede_text);
    for (guint i = 0; i < tr->conns->len; i++) {
        dm_conn *c = &g_array_index(tr->conns, dm_conn, i);
        if (c->syn_items)
            g_array_free(c->syn_items, TRUE);
        if (c->txns)
            g_array_free(c->txns, TRUE);
    }
    for (int k = 0; k < IX_COUNT; k++)
        dm_index_clear(&tr->ix[k]);
    g_array_free(tr->txns, TRUE);
    g_array_free(tr->exts, TRUE);
    g_array_free(tr->items, TRUE);
    g_array_free(tr->icmps, TRUE);
    g_array_free(tr->notes, TRUE);
    g_array_free(tr->conns, TRUE);
    dm_intern_free(tr->names);
    g_array_free(tr->folded, TRUE);
    dm_intern_free(tr->addrs);
    g_array_free(tr->timers, TRUE);
    g_array_free(tr->settled, TRUE);
    g_array_free(tr->observers, TRUE);
    g_free(tr);
}

const dm_config *
dm_tracker_config(const dm_tracker *tr)
{
    return &tr->cfg;
}

void
dm_tracker_observe(dm_tracker *tr, dm_observer fn, void *user)
{
    observer o = { fn, user };
    g_array_append_val(tr->observers, o);
}

static void
notify(dm_tracker *tr, dm_event ev, guint32 txn, dm_time ts)
{
    for (guint i = 0; i < tr->observers->len; i++) {
        observer *o = &g_array_index(tr->observers, observer, i);
        o->fn(o->user, ev, txn, ts);
    }
}

gsize
dm_tracker_bytes(const dm_tracker *tr)
{
    gsize n = sizeof *tr;
    n += tr->txns->len * sizeof(dm_txn) + tr->exts->len * sizeof(dm_txn_ext);
    n += tr->items->len * sizeof(dm_item) + tr->icmps->len * sizeof(dm_icmp);
    n += tr->notes->len * sizeof(dm_note) + tr->conns->len * sizeof(dm_conn);
    n += tr->folded->len * sizeof(guint32);
    n += tr->timers->len * sizeof(timer) + tr->settled->len * sizeof(guint32);
    n += dm_intern_bytes_used(tr->names) + dm_intern_bytes_used(tr->addrs);
    for (int k = 0; k < IX_COUNT; k++)
        n += dm_index_bytes(&tr->ix[k]);
    return n;
}

/* ---- interning --------------------------------------------------------- */

static guint32
addr_id(dm_tracker *tr, const dm_addr *a)
{
    return dm_intern_bytes(tr->addrs, a, sizeof *a);
}

/* 0 when never seen: nothing can match it then. */
static guint32
addr_find(const dm_tracker *tr, const dm_addr *a)
{
    return dm_intern_find(tr->addrs, a, sizeof *a);
}

const dm_addr *
dm_tracker_addr(const dm_tracker *tr, guint32 addr)
{
    static const dm_addr none;
    const dm_addr *a = (const dm_addr *)(const void *)dm_intern_get(tr->addrs, addr, NULL);
    return a ? a : &none;
}

static guint32
name_id(dm_tracker *tr, const char *name)
{
    if (!name)
        return 0;
    gsize len = strlen(name);
    guint32 id = dm_intern_bytes(tr->names, name, len);
    if (id > tr->folded->len) {
        /* New name: its case-folded form (RFC 4343), itself interned. */
        char *low = g_ascii_strdown(name, (gssize)len);
        guint32 f = strcmp(low, name) == 0 ? id : dm_intern_bytes(tr->names, low, len);
        g_free(low);
        /* interning low may have added an id too: fill both */
        while (tr->folded->len < dm_intern_count(tr->names)) {
            guint32 self = tr->folded->len + 1;
            g_array_append_val(tr->folded, self);
        }
        g_array_index(tr->folded, guint32, id - 1) = f;
    }
    return id;
}

static guint32
name_find_folded(const dm_tracker *tr, const char *name)
{
    if (!name)
        return 0;
    gsize len = strlen(name);
    guint32 id = dm_intern_find(tr->names, name, len);
    if (id)
        return g_array_index(tr->folded, guint32, id - 1);
    char *low = g_ascii_strdown(name, (gssize)len);
    id = dm_intern_find(tr->names, low, len);
    g_free(low);
    return id;  /* a folded form is its own folded form */
}

const char *
dm_tracker_name(const dm_tracker *tr, guint32 name)
{
    return dm_intern_get(tr->names, name, NULL);
}

guint32
dm_tracker_name_folded(const dm_tracker *tr, guint32 name)
{
    return name ? g_array_index(tr->folded, guint32, name - 1) : 0;
}

void
dm_txn_flow(const dm_tracker *tr, const dm_txn *t, dm_flow *f)
{
    f->transport = (dm_transport)t->transport;
    f->client = *dm_tracker_addr(tr, t->client);
    f->server = *dm_tracker_addr(tr, t->server);
    f->client_port = t->client_port;
    f->server_port = t->server_port;
}

dm_question
dm_txn_question(const dm_tracker *tr, const dm_txn *t)
{
    dm_question q = { dm_tracker_name(tr, t->name), t->qtype, t->qclass };
    return q;
}

/* ---- time: the heap of time-outs, settling ----------------------------- */

static void
heap_push(dm_tracker *tr, dm_time at, guint32 id, timer_kind kind)
{
    timer t = { at, id, kind };
    g_array_append_val(tr->timers, t);
    timer *h = (timer *)(void *)tr->timers->data;
    for (guint i = tr->timers->len - 1; i > 0;) {
        guint parent = (i - 1) / 2;
        if (h[parent].at <= h[i].at)
            break;
        timer tmp = h[parent];
        h[parent] = h[i];
        h[i] = tmp;
        i = parent;
    }
}

static timer
heap_pop(dm_tracker *tr)
{
    timer *h = (timer *)(void *)tr->timers->data;
    timer top = h[0];
    guint n = tr->timers->len - 1;
    h[0] = h[n];
    g_array_set_size(tr->timers, n);
    h = (timer *)(void *)tr->timers->data;
    for (guint i = 0;;) {
        guint l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].at < h[m].at)
            m = l;
        if (r < n && h[r].at < h[m].at)
            m = r;
        if (m == i)
            break;
        timer tmp = h[m];
        h[m] = h[i];
        h[i] = tmp;
        i = m;
    }
    return top;
}

/* The transaction settles: only a late response can change its outcome
 * now. A settled one that changed is logged again. */
static void
settle(dm_tracker *tr, dm_txn *t)
{
    guint32 id = txn_id(tr, t);
    t->flags |= DM_T_SETTLED;
    g_array_append_val(tr->settled, id);
    notify(tr, DM_EV_SETTLED, id, tr->end);
}

/* Something that decides its outcome happened to a settled transaction. */
static void
changed(dm_tracker *tr, dm_txn *t)
{
    if (t->flags & DM_T_SETTLED)
        settle(tr, t);
}

static void
arm(dm_tracker *tr, dm_txn *t)
{
    if (!(t->flags & (DM_T_ANSWERED | DM_T_SETTLED)))
        heap_push(tr, time_add(t->last_ts, tr->timeout), txn_id(tr, t), TIMER_TXN);
}

static void conn_expire(dm_tracker *tr, guint32 conn);

static void
advance_time(dm_tracker *tr, dm_time ts)
{
    if (tr->have_end && ts <= tr->end)
        return;
    tr->end = ts;
    tr->have_end = TRUE;
    while (tr->timers->len) {
        timer top = g_array_index(tr->timers, timer, 0);
        if (top.at > tr->end)
            break;
        heap_pop(tr);
        if (top.kind == TIMER_CONN) {
            conn_expire(tr, top.id);
            continue;
        }
        dm_txn *t = TXN(tr, top.id);
        /* A later attempt armed a later time-out: this one is stale. */
        if (top.at != time_add(t->last_ts, tr->timeout) || (t->flags & DM_T_ANSWERED))
            continue;
        /* Settled as incomplete by a finish that events came after: its
         * time-out now makes it unanswered, which is logged again. */
        if ((t->flags & DM_T_SETTLED) && !(t->flags & DM_T_CUT))
            continue;
        t->flags &= (guint16)~DM_T_CUT;
        settle(tr, t);
    }
    notify(tr, DM_EV_TIME, 0, tr->end);
}

dm_time
dm_tracker_end_time(const dm_tracker *tr)
{
    return tr->end;
}

guint32
dm_tracker_settled(const dm_tracker *tr, const guint32 **log)
{
    *log = (const guint32 *)(const void *)tr->settled->data;
    return tr->settled->len;
}

/* ---- frames and items --------------------------------------------------- */

void
dm_tracker_begin_frame(dm_tracker *tr, guint32 frame, dm_time ts)
{
    /* tshark's first pass gives the number of a frame its read filter
     * dropped to the next frame: what was said about the dropped one
     * must never be shown or linked. */
    if (tr->have_frame && frame == tr->frame) {
        for (guint i = tr->frame_first_item; i < tr->items->len; i++)
            g_array_index(tr->items, dm_item, i).flags |= DM_F_GHOST;
    }
    tr->frame = frame;
    tr->have_frame = TRUE;
    tr->frame_first_item = tr->items->len;
    tr->finished = FALSE;
    advance_time(tr, ts);
}

static guint32
item_add(dm_tracker *tr, guint32 frame, dm_role role, guint32 txn, guint flags, guint32 ref)
{
    dm_item it;
    memset(&it, 0, sizeof it);
    it.frame = frame;
    it.role = (guint8)role;
    it.txn = txn;
    it.flags = (guint16)flags;
    it.ref = ref;
    g_array_append_val(tr->items, it);
    return tr->items->len;
}

static guint32
note_add(dm_tracker *tr, const dm_flow *f, guint32 name, guint16 qtype, guint8 rcode)
{
    dm_note n;
    memset(&n, 0, sizeof n);
    if (f)
        n.flow = *f;
    n.name = name;
    n.qtype = qtype;
    n.rcode = rcode;
    g_array_append_val(tr->notes, n);
    return tr->notes->len;
}

const dm_note *
dm_tracker_note(const dm_tracker *tr, guint32 id)
{
    return (id && id <= tr->notes->len) ? &g_array_index(tr->notes, dm_note, id - 1) : NULL;
}

guint
dm_tracker_frame_items(const dm_tracker *tr, guint32 frame, guint32 *first)
{
    /* Items are in feed order, so by frame number: binary search. */
    guint lo = 0, hi = tr->items->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(tr->items, dm_item, mid).frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo < tr->items->len) {
        const dm_item *it = &g_array_index(tr->items, dm_item, lo);
        if (it->frame != frame)
            return 0;
        if (!(it->flags & DM_F_GHOST))
            break;
        lo++;
    }
    guint n = 0;
    for (guint i = lo; i < tr->items->len; i++) {
        const dm_item *it = &g_array_index(tr->items, dm_item, i);
        if (it->frame != frame || (it->flags & DM_F_GHOST))
            break;
        n++;
    }
    *first = lo + 1;
    return n;
}

const dm_item *
dm_tracker_item(const dm_tracker *tr, guint32 id)
{
    return (id && id <= tr->items->len) ? ITEM(tr, id) : NULL;
}

guint32
dm_tracker_item_frame(const dm_tracker *tr, guint32 id)
{
    const dm_item *it = dm_tracker_item(tr, id);
    return (it && !(it->flags & DM_F_GHOST)) ? it->frame : 0;
}

guint32
dm_tracker_item_count(const dm_tracker *tr)
{
    return tr->items->len;
}

guint32
dm_tracker_txn_count(const dm_tracker *tr)
{
    return tr->txns->len;
}

const dm_txn *
dm_tracker_txn(const dm_tracker *tr, guint32 num)
{
    return (num && num <= tr->txns->len) ? TXN(tr, num) : NULL;
}

const dm_icmp *
dm_tracker_icmp_ref(const dm_tracker *tr, guint32 id)
{
    return (id && id <= tr->icmps->len) ? ICMP(tr, id) : NULL;
}

/* ---- transactions ------------------------------------------------------ */

static guint32
txn_new(dm_tracker *tr, const probe *p, guint32 name, dm_time ts, guint flags)
{
    dm_txn t;
    memset(&t, 0, sizeof t);
    t.transport = p->transport;
    t.client = p->client;
    t.server = p->server;
    t.client_port = p->cport;
    t.server_port = p->sport;
    t.id = p->id;
    t.name = name;
    t.qtype = p->qtype;
    t.qclass = p->qclass;
    t.first_ts = t.last_ts = ts;
    t.flags = (guint16)flags;
    g_array_append_val(tr->txns, t);
    return tr->txns->len;
}

/* Indexed by its DNS key (not for connection attempts without a query). */
static void
txn_index_dns(dm_tracker *tr, guint32 id)
{
    if (TXN(tr, id)->name)
        ix_put(tr, IX_QUESTION, id);
    ix_put(tr, IX_KEY, id);
    ix_put(tr, IX_FLOW, id);
    ix_put(tr, IX_CLIENT_ID, id);
}

static gboolean
same_question(const dm_tracker *tr, const dm_txn *t, guint32 folded, guint16 type, guint16 klass)
{
    return t->name && dm_tracker_name_folded(tr, t->name) == folded && t->qtype == type &&
           t->qclass == klass;
}

/* A truncated UDP answer from this server to this client at most
 * lookup_window before ts, not retried yet: what a TCP attempt retries. */
static guint32
truncated_for(const dm_tracker *tr, guint32 client, guint32 server, dm_time ts)
{
    probe p;
    memset(&p, 0, sizeof p);
    p.client = client;
    p.server = server;
    guint32 u = ix_find(tr, IX_TRUNCATED, &p);
    if (!u)
        return 0;
    const dm_txn *t = TXN(tr, u);
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    if ((e && e->fallback_in) || time_diff(ts, t->answer_ts) > tr->lookup_window ||
        time_diff(ts, t->answer_ts) < 0)
        return 0;
    return u;
}

static void
link_fallback(dm_tracker *tr, guint32 udp, guint32 tcp)
{
    ext_of(tr, TXN(tr, udp))->fallback_in = tcp;
    ext_of(tr, TXN(tr, tcp))->fallback_of = udp;
}

static dm_txn *
attempt(dm_tracker *tr, guint32 id, guint32 item, dm_time ts)
{
    dm_txn *t = TXN(tr, id);
    t->attempts++;
    if (t->attempts == 1) {
        t->first_item = item;
        t->first_ts = t->last_ts = ts;
    } else if (ts > t->last_ts) {
        t->last_ts = ts;
    }
    t->last_item = item;
    /* A new attempt reopens a transaction that had settled silent. */
    if ((t->flags & DM_T_SETTLED) && !(t->flags & DM_T_ANSWERED))
        t->flags &= (guint16)~(DM_T_SETTLED | DM_T_CUT);
    arm(tr, t);
    return t;
}

/* ---- TCP connections ---------------------------------------------------- */

static guint32
conn_find(const dm_tracker *tr, guint32 client, guint16 cport, guint32 server, guint16 sport)
{
    probe p;
    memset(&p, 0, sizeof p);
    p.transport = DM_TCP;
    p.client = client;
    p.cport = cport;
    p.server = server;
    p.sport = sport;
    return ix_find(tr, IX_CONN, &p);
}

/* The connection attempt becomes a transaction: it failed, or the capture
 * ended while it waited, or (udp != 0) it retries that truncated answer. */
static guint32
conn_txn(dm_tracker *tr, guint32 cid, guint32 udp)
{
    dm_conn *c = CONN(tr, cid);
    if (c->txn)
        return c->txn;
    probe p;
    memset(&p, 0, sizeof p);
    p.transport = DM_TCP;
    p.client = c->client;
    p.server = c->server;
    p.cport = c->cport;
    p.sport = c->sport;
    guint32 name = 0;
    if (udp) {
        const dm_txn *u = TXN(tr, udp);
        name = u->name;
        p.qtype = u->qtype;
        p.qclass = u->qclass;
    }
    guint32 id = txn_new(tr, &p, name, c->first_syn,
                         DM_T_CONNECTION | (name ? 0 : DM_T_NO_QUESTION));
    c = CONN(tr, cid);
    c->txn = id;
    dm_txn *t = TXN(tr, id);
    for (guint i = 0; c->syn_items && i < c->syn_items->len; i++) {
        guint32 it = g_array_index(c->syn_items, guint32, i);
        ITEM(tr, it)->txn = id;
        t = attempt(tr, id, it, i == 0 ? c->first_syn : c->last_syn);
    }
    ext_of(tr, t)->syns = t->attempts;
    if (udp)
        link_fallback(tr, udp, id);
    ix_put(tr, IX_FLOW, id);
    notify(tr, DM_EV_NEW, id, c->first_syn);
    return id;
}

/* A SYN waited timeout without SYN-ACK or reset: a silent connection attempt. */
static void
conn_expire(dm_tracker *tr, guint32 cid)
{
    dm_conn *c = CONN(tr, cid);
    /* A later SYN armed a later time-out; a connection that carried DNS
     * (its SYN-ACK may be missing from the capture) is no attempt. */
    if (c->state != CONN_SYN_SENT || c->txn || (c->txns && c->txns->len) ||
        time_add(c->last_syn, tr->timeout) > tr->end)
        return;
    conn_txn(tr, cid, 0);
    /* Its attempts armed the transaction's time-out, already due: the
     * loop in advance_time() settles it. */
}

static void
conn_add_txn(dm_tracker *tr, guint32 cid, guint32 txn)
{
    dm_conn *c = CONN(tr, cid);
    if (!c->txns)
        c->txns = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_array_append_val(c->txns, txn);
}

static void
tcp_syn(dm_tracker *tr, const dm_tcp_seg *s, guint32 client, guint32 server)
{
    guint16 cport = s->flow.client_port, sport = s->flow.server_port;
    guint32 cid = conn_find(tr, client, cport, server, sport);
    dm_conn *c = cid ? CONN(tr, cid) : NULL;
    if (!c || c->state != CONN_SYN_SENT) {
        dm_conn nc;
        memset(&nc, 0, sizeof nc);
        nc.client = client;
        nc.server = server;
        nc.cport = cport;
        nc.sport = sport;
        nc.state = CONN_SYN_SENT;
        nc.first_syn = s->ts;
        g_array_append_val(tr->conns, nc);
        cid = tr->conns->len;
        ix_put(tr, IX_CONN, cid);
        c = CONN(tr, cid);
    }
    if (s->ts > c->last_syn || !c->syn_items)
        c->last_syn = s->ts;
    if (!c->syn_items)
        c->syn_items = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint32 n = c->syn_items->len + 1;
    guint32 item = item_add(tr, s->frame, DM_ROLE_QUERY, c->txn, DM_F_SYN |
                            (n > 1 ? DM_F_RETRANSMISSION : 0), n);
    c = CONN(tr, cid);
    g_array_append_val(c->syn_items, item);
    if (c->txn) {
        dm_txn *t = attempt(tr, c->txn, item, s->ts);
        ext_of(tr, t)->syns = n;
        notify(tr, DM_EV_ACTIVITY, c->txn, s->ts);
        return;
    }
    /* A retry over TCP of a truncated answer is a transaction from its SYN:
     * its lookup waits on it. */
    guint32 udp = truncated_for(tr, client, server, s->ts);
    if (udp) {
        conn_txn(tr, cid, udp);
        return;
    }
    heap_push(tr, time_add(c->last_syn, tr->timeout), cid, TIMER_CONN);
}

static guint32
reset_open(dm_tracker *tr, guint32 id, guint32 item)
{
    dm_txn *t = TXN(tr, id);
    if (t->flags & DM_T_ANSWERED)
        return 0;
    t->flags |= DM_T_RESET;
    dm_txn_ext *e = ext_of(tr, t);
    if (!e->reset_item)
        e->reset_item = item;
    changed(tr, t);
    return id;
}

static void
tcp_reset(dm_tracker *tr, const dm_tcp_seg *s, guint32 client, guint32 server)
{
    guint32 cid = conn_find(tr, client, s->flow.client_port, server, s->flow.server_port);
    dm_conn *c = cid ? CONN(tr, cid) : NULL;
    guint32 item = 0;
    if (c && c->state == CONN_SYN_SENT && (!c->txns || !c->txns->len)) {
        /* Refused: the connection attempt is a transaction, rejected. */
        guint32 id = conn_txn(tr, cid, 0);
        item = item_add(tr, s->frame, DM_ROLE_RESET, id, 0, 0);
        reset_open(tr, id, item);
        notify(tr, DM_EV_ACTIVITY, id, s->ts);
        dm_txn *t = TXN(tr, id);
        if (!(t->flags & DM_T_SETTLED))
            settle(tr, t);
    } else if (c && c->txns) {
        /* Reset mid-connection: whatever still waits on it is refused. */
        for (guint i = c->txns->len; i-- > 0;) {
            guint32 id = g_array_index(CONN(tr, cid)->txns, guint32, i);
            if (TXN(tr, id)->flags & DM_T_ANSWERED)
                continue;
            if (!item)
                item = item_add(tr, s->frame, DM_ROLE_RESET, id, 0, 0);
            reset_open(tr, id, item);
            notify(tr, DM_EV_ACTIVITY, id, s->ts);
        }
    } else if (!c) {
        /* The connection began before the capture: its newest transaction. */
        probe p;
        memset(&p, 0, sizeof p);
        p.transport = DM_TCP;
        p.client = client;
        p.server = server;
        p.cport = s->flow.client_port;
        p.sport = s->flow.server_port;
        guint32 id = ix_find(tr, IX_FLOW, &p);
        if (id && !(TXN(tr, id)->flags & DM_T_ANSWERED)) {
            item = item_add(tr, s->frame, DM_ROLE_RESET, id, 0, 0);
            reset_open(tr, id, item);
            notify(tr, DM_EV_ACTIVITY, id, s->ts);
        }
    }
    if (c)
        CONN(tr, cid)->state = CONN_CLOSED;
}

void
dm_tracker_tcp(dm_tracker *tr, const dm_tcp_seg *s)
{
    advance_time(tr, s->ts);
    guint32 client = addr_id(tr, &s->flow.client);
    guint32 server = addr_id(tr, &s->flow.server);
    if (s->from_client && s->syn && !s->ack) {
        tcp_syn(tr, s, client, server);
    } else if (!s->from_client && s->syn && s->ack) {
        guint32 cid = conn_find(tr, client, s->flow.client_port, server, s->flow.server_port);
        if (cid && CONN(tr, cid)->state == CONN_SYN_SENT)
            CONN(tr, cid)->state = CONN_ESTABLISHED;
    } else if (!s->from_client && s->rst) {
        tcp_reset(tr, s, client, server);
    }
}

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
    if (!t->name || !same_question(tr, t, p->folded, p->qtype, p->qclass))
        return 0;
    guint32 id = c->txn;
    t->flags &= (guint16)~(DM_T_CONNECTION | DM_T_NO_QUESTION | DM_T_SETTLED);
    t->id = p->id;
    t->name = name;
    t->qtype = p->qtype;
    t->qclass = p->qclass;
    t->attempts = 0;            /* from now on attempts are DNS queries */
    return id;
}

void
dm_tracker_query(dm_tracker *tr, const dm_dns_msg *m)
{
    advance_time(tr, m->ts);
    probe p;
    memset(&p, 0, sizeof p);
    p.transport = (guint8)m->flow.transport;
    p.client = addr_id(tr, &m->flow.client);
    p.server = addr_id(tr, &m->flow.server);
    p.cport = m->flow.client_port;
    p.sport = m->flow.server_port;
    p.id = m->id;
    guint32 name = m->bad_question ? 0 : name_id(tr, m->q.name);
    p.folded = dm_tracker_name_folded(tr, name);
    p.qtype = name ? m->q.type : 0;
    p.qclass = name ? m->q.klass : 0;

    guint32 cid = p.transport == DM_TCP ? conn_find(tr, p.client, p.cport, p.server, p.sport) : 0;
    guint32 id = 0;
    guint flags = 0;
    gboolean fresh = FALSE;
    /* A retransmission: same key and question, no response yet, last
     * attempt at most retransmit_window ago (the newest such only). */
    guint32 r = name ? ix_find(tr, IX_QUESTION, &p) : ix_find(tr, IX_KEY, &p);
    if (r) {
        const dm_txn *t = TXN(tr, r);
        dm_time since = time_diff(m->ts, t->last_ts);
        if (!(t->flags & (DM_T_ANSWERED | DM_T_CONNECTION)) && since <= tr->window &&
            (name || !t->name)) {
            id = r;
            flags |= DM_F_RETRANSMISSION;
        }
    }
    if (!id && cid && (id = adopt(tr, cid, name, &p)) != 0) {
        txn_index_dns(tr, id);
    } else if (!id) {
        id = txn_new(tr, &p, name, m->ts, name ? 0 : DM_T_NO_QUESTION);
        txn_index_dns(tr, id);
        fresh = TRUE;
    }
    if (!name)
        flags |= DM_F_NO_QUESTION;
    if ((flags & DM_F_RETRANSMISSION) &&
        time_diff(m->ts, TXN(tr, id)->first_ts) <= tr->ws_retransmit_timer)
        flags |= DM_F_WS_SAID;     /* Wireshark's DNS dissector says it already */
    guint32 item = item_add(tr, m->frame, DM_ROLE_QUERY, id, flags, TXN(tr, id)->attempts + 1);
    dm_txn *t = attempt(tr, id, item, m->ts);
    if (t->transport == DM_TCP && (t->flags & DM_T_MULTI) == 0 && (t->qtype == 252 || t->qtype == 251))
        t->flags |= DM_T_MULTI;
    if (cid && !(flags & DM_F_RETRANSMISSION)) {
        conn_add_txn(tr, cid, id);
        if (CONN(tr, cid)->state == CONN_SYN_SENT)
            CONN(tr, cid)->state = CONN_ESTABLISHED;   /* its SYN-ACK was not captured */
    }
    if (fresh && t->transport == DM_TCP && name) {
        /* A TCP query for what a truncated UDP answer lacked, on a
         * connection whose SYNs the capture missed. */
        guint32 udp = truncated_for(tr, t->client, t->server, m->ts);
        if (udp && same_question(tr, TXN(tr, udp), p.folded, p.qtype, p.qclass))
            link_fallback(tr, udp, id);
    }
    if (fresh)
        notify(tr, DM_EV_NEW, id, m->ts);
    notify(tr, DM_EV_ACTIVITY, id, m->ts);
}

/* ---- responses --------------------------------------------------------- */

/* A response matching no transaction by key: from the wrong address or
 * port, if the client asked exactly this and has no answer yet. */
static guint32
wrong_source_of(const dm_tracker *tr, const probe *p)
{
    if (!p->folded)
        return 0;
    guint32 id = ix_find(tr, IX_CLIENT_ID, p);
    if (!id)
        return 0;
    const dm_txn *t = TXN(tr, id);
    if ((t->flags & DM_T_ANSWERED) || !same_question(tr, t, p->folded, p->qtype, p->qclass))
        return 0;
    if (t->server == p->server && t->server_port == p->sport)
        return 0;
    return id;
}

void
dm_tracker_response(dm_tracker *tr, const dm_dns_msg *m)
{
    advance_time(tr, m->ts);
    probe p;
    memset(&p, 0, sizeof p);
    p.transport = (guint8)m->flow.transport;
    p.client = addr_id(tr, &m->flow.client);
    p.server = addr_id(tr, &m->flow.server);
    p.cport = m->flow.client_port;
    p.sport = m->flow.server_port;
    p.id = m->id;
    guint32 name = m->bad_question ? 0 : name_id(tr, m->q.name);
    p.folded = dm_tracker_name_folded(tr, name);
    p.qtype = name ? m->q.type : 0;
    p.qclass = name ? m->q.klass : 0;
    guint flags = m->tc ? DM_F_TRUNCATED : 0;

    /* The newest transaction with this key and question, else with the key. */
    guint32 id = name ? ix_find(tr, IX_QUESTION, &p) : 0;
    if (!id)
        id = ix_find(tr, IX_KEY, &p);
    if (!id) {
        guint32 w = wrong_source_of(tr, &p);
        guint32 note = note_add(tr, &m->flow, name, p.qtype, m->rcode);
        if (!w) {
            item_add(tr, m->frame, DM_ROLE_RESPONSE, 0, flags | DM_F_UNSOLICITED, note);
            return;
        }
        guint32 item = item_add(tr, m->frame, DM_ROLE_RESPONSE, w, flags | DM_F_WRONG_SOURCE, note);
        dm_txn *t = TXN(tr, w);
        t->flags |= DM_T_WRONG_SOURCE;
        dm_txn_ext *e = ext_of(tr, t);
        e->last_resp = item;
        if (!e->wrong_item) {
            e->wrong_item = item;
            e->wrong_from = p.server;
            e->wrong_port = p.sport;
        }
        changed(tr, t);
        notify(tr, DM_EV_ACTIVITY, w, m->ts);
        return;
    }

    dm_txn *t = TXN(tr, id);
    guint32 note = 0;
    if (name && t->name && !same_question(tr, t, p.folded, p.qtype, p.qclass)) {
        /* Another question (also after an answer): a spoofing signal. */
        flags |= DM_F_MISMATCH;
        note = note_add(tr, &m->flow, name, p.qtype, m->rcode);
        ext_of(tr, t)->mismatches++;
    } else if (t->flags & DM_T_ANSWERED) {
        /* Wireshark's DNS dissector flags a second response itself. */
        flags |= (t->flags & DM_T_MULTI) ? DM_F_MORE : (DM_F_DUPLICATE | DM_F_WS_SAID);
    }
    guint32 item = item_add(tr, m->frame, DM_ROLE_RESPONSE, id, flags, note);
    t = TXN(tr, id);
    /* The deciding response is the latest one unless others came: only
     * those need the extra record. */
    if (t->ext || (flags & (DM_F_DUPLICATE | DM_F_MORE | DM_F_MISMATCH)))
        ext_of(tr, t)->last_resp = item;
    if (!(flags & (DM_F_DUPLICATE | DM_F_MORE | DM_F_MISMATCH))) {
        /* The first matching response decides. */
        t->flags |= DM_T_ANSWERED;
        t->answer_item = item;
        t->answer_ts = m->ts;
        t->rcode = m->rcode;
        if (m->ancount)
            t->flags |= DM_T_RECORDS;
        if (m->tc)
            t->flags |= DM_T_TC;
        dm_time rtt = time_diff(m->ts, t->first_ts);
        if (rtt > tr->timeout)
            t->flags |= DM_T_LATE;
        else if (rtt > tr->slow)
            t->flags |= DM_T_SLOW;
        if (m->has_ede) {
            dm_txn_ext *e = ext_of(tr, t);
            t->flags |= DM_T_EDE;
            e->ede_code = m->ede_code;
            g_free(e->ede_text);
            e->ede_text = (m->ede_text && *m->ede_text) ? g_strdup(m->ede_text) : NULL;
        }
        if (m->tc && t->transport == DM_UDP && t->name)
            ix_put(tr, IX_TRUNCATED, id);
        settle(tr, t);
        notify(tr, DM_EV_DECIDED, id, m->ts);
    }
    notify(tr, DM_EV_ACTIVITY, id, m->ts);
}

/* ---- ICMP errors ------------------------------------------------------- */

gboolean
dm_icmp_is_error(guint8 version, guint8 type)
{
    if (version == 6)
        return type >= 1 && type <= 4;
    /* 3 unreachable, 4 source quench, 11 time exceeded, 12 parameter problem.
     * Not 5: a redirect is advice about routing, the packet was delivered. */
    return type == 3 || type == 4 || type == 11 || type == 12;
}

dm_icmp_kind
dm_icmp_classify(guint8 version, guint8 type, guint8 code)
{
    if (version == 6) {
        if (type == 1) {
            switch (code) {
            case 0: return DM_ICMP_NET_UNREACHABLE;
            case 1: case 5: case 6: return DM_ICMP_ADMIN_PROHIBITED;
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
        case 0: case 6: return DM_ICMP_NET_UNREACHABLE;
        case 1: case 7: return DM_ICMP_HOST_UNREACHABLE;
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

/* Is there a transaction (or connection) on this oriented flow? */
static gboolean
flow_known(const dm_tracker *tr, const probe *p)
{
    return ix_find(tr, IX_FLOW, p) || (p->transport == DM_TCP &&
           conn_find(tr, p->client, p->cport, p->server, p->sport));
}

static void
icmp_link(dm_tracker *tr, dm_txn *t, guint32 icmp)
{
    dm_txn_ext *e = ext_of(tr, t);
    if (e->last_icmp)
        ICMP(tr, e->last_icmp)->next = icmp;
    else
        e->first_icmp = icmp;
    e->last_icmp = icmp;
    if (!ICMP(tr, icmp)->quotes_response && !e->query_icmp)
        e->query_icmp = icmp;
}

gboolean
dm_tracker_icmp(dm_tracker *tr, const dm_icmp_msg *m)
{
    if (!dm_icmp_is_error(m->version, m->type))
        return FALSE;
    advance_time(tr, m->ts);

    /* Orient the quoted packet: client -> server for a query, the reverse
     * for a response. The DNS flags say which when the quote holds them, a
     * SYN is always the client's; otherwise the flows already known do. */
    probe fq, fr;
    memset(&fq, 0, sizeof fq);
    fq.transport = (guint8)m->transport;
    fq.client = addr_find(tr, &m->src);
    fq.server = addr_find(tr, &m->dst);
    fq.cport = m->sport;
    fq.sport = m->dport;
    fq.id = m->id;
    fr = fq;
    fr.client = fq.server;
    fr.server = fq.client;
    fr.cport = fq.sport;
    fr.sport = fq.cport;
    gboolean quotes_response;
    if (m->has_id)
        quotes_response = m->qr;
    else if (m->tcp_syn)
        quotes_response = FALSE;
    else if (fq.client && fq.server && flow_known(tr, &fq))
        quotes_response = FALSE;
    else if (fq.client && fq.server && flow_known(tr, &fr))
        quotes_response = TRUE;
    else
        quotes_response = is_dns_port(m->sport) && !is_dns_port(m->dport);
    probe *p = quotes_response ? &fr : &fq;
    const dm_addr *cl = quotes_response ? &m->dst : &m->src;
    const dm_addr *sv = quotes_response ? &m->src : &m->dst;
    guint16 cport = quotes_response ? m->dport : m->sport;
    guint16 sport = quotes_response ? m->sport : m->dport;
    /* A quoted question never seen matches no transaction's (folded 0 is
     * "none"): remember that it was there. */
    gboolean named = m->has_id && m->q.name;
    guint32 name = named ? name_find_folded(tr, m->q.name) : 0;
    p->folded = name;
    p->qtype = m->q.type;
    p->qclass = m->q.klass;

    guint32 id = 0, quoted = 0, nat_server = 0;
    gboolean via_nat = FALSE;
    if (p->client && p->server) {
        if (m->has_id) {
            id = name ? ix_find(tr, IX_QUESTION, p) : 0;
            if (!id)
                id = ix_find(tr, IX_KEY, p);
            if (id && named && TXN(tr, id)->name &&
                !same_question(tr, TXN(tr, id), name, p->qtype, p->qclass))
                id = 0;     /* it quotes another question: not this query */
        } else if (m->transport == DM_TCP && !quotes_response) {
            guint32 cid = conn_find(tr, p->client, p->cport, p->server, p->sport);
            dm_conn *c = cid ? CONN(tr, cid) : NULL;
            if (c && c->state == CONN_SYN_SENT && (!c->txns || !c->txns->len)) {
                id = conn_txn(tr, cid, 0);
                c = CONN(tr, cid);
                quoted = g_array_index(c->syn_items, guint32, c->syn_items->len - 1);
            } else {
                id = ix_find(tr, IX_FLOW, p);
            }
        } else {
            id = ix_find(tr, IX_FLOW, p);
        }
    }
    if (!id && m->has_id && p->client) {
        guint32 c = ix_find(tr, IX_CLIENT_ID, p);
        const dm_txn *t = c ? TXN(tr, c) : NULL;
        if (t && !quotes_response && t->server_port == p->sport &&
            (!named || !t->name || same_question(tr, t, name, p->qtype, p->qclass))) {
            /* A NAT or forwarder sent the query on to another server, whose
             * error quotes that server's address: the client, its port and
             * the DNS ID still name the query. */
            id = c;
            via_nat = TRUE;
            nat_server = addr_id(tr, sv);
        } else if (t && quotes_response && (t->flags & DM_T_WRONG_SOURCE)) {
            /* The client refused a response from the wrong address. */
            const dm_txn_ext *e = dm_tracker_ext(tr, t);
            if (e && e->wrong_from == p->server)
                id = c;
        }
    }
    if (!id && !m->has_id && !is_dns_port(m->sport) && !is_dns_port(m->dport))
        return FALSE;   /* not about DNS at all */

    dm_icmp ic;
    memset(&ic, 0, sizeof ic);
    ic.ts = m->ts;
    ic.frame = m->frame;
    ic.version = m->version;
    ic.type = m->type;
    ic.code = m->code;
    ic.kind = (guint8)dm_icmp_classify(m->version, m->type, m->code);
    ic.reporter = addr_id(tr, &m->reporter);
    ic.nat_server = nat_server;
    ic.quotes_response = (guint8)quotes_response;
    ic.who = dm_addr_equal(&m->reporter, sv) ? DM_REPORTER_SERVER
           : dm_addr_equal(&m->reporter, cl) ? DM_REPORTER_CLIENT : DM_REPORTER_ROUTER;
    ic.txn = id;
    guint flags = (quotes_response ? DM_F_BOUNCED : 0) | (m->has_id ? 0 : DM_F_SHORT_QUOTE) |
                  (via_nat ? DM_F_VIA_NAT : 0) | (id ? 0 : DM_F_UNMATCHED);
    g_array_append_val(tr->icmps, ic);
    guint32 icmp_id = tr->icmps->len;
    guint32 item = item_add(tr, m->frame, DM_ROLE_ICMP, id, flags, icmp_id);
    ICMP(tr, icmp_id)->item = item;
    if (!id) {
        /* Unmatched: keep what the quote said. */
        dm_flow f = { m->transport, *cl, *sv, cport, sport };
        guint32 nm = (m->has_id && m->q.name) ? name_id(tr, m->q.name) : 0;
        ICMP(tr, icmp_id)->note = note_add(tr, &f, nm, m->q.type, 0);
        return TRUE;
    }
    dm_txn *t = TXN(tr, id);
    if (quotes_response) {
        quoted = dm_txn_last_response(tr, t);
        t->flags |= DM_T_BOUNCED;
    } else {
        if (!quoted)
            quoted = t->last_item;
        if (!(t->flags & DM_T_ICMP_QUERY)) {
            t->flags |= DM_T_ICMP_QUERY;
            changed(tr, t);
        }
    }
    ICMP(tr, icmp_id)->quoted = quoted;
    icmp_link(tr, t, icmp_id);
    notify(tr, DM_EV_ACTIVITY, id, m->ts);
    return TRUE;
}

/* ---- the end ----------------------------------------------------------- */

void
dm_tracker_flush_pending(dm_tracker *tr)
{
    for (guint32 c = 1; c <= tr->conns->len; c++) {
        const dm_conn *cn = CONN(tr, c);
        if (cn->state == CONN_SYN_SENT && !cn->txn && cn->syn_items &&
            !(cn->txns && cn->txns->len))
            conn_txn(tr, c, 0);
    }
}

void
dm_tracker_finish(dm_tracker *tr)
{
    if (tr->finished)
        return;
    /* Connection attempts still waiting become transactions (incomplete). */
    dm_tracker_flush_pending(tr);
    for (guint32 id = 1; id <= tr->txns->len; id++) {
        dm_txn *t = TXN(tr, id);
        if (t->flags & DM_T_SETTLED)
            continue;
        if (dm_txn_outcome(tr, t) == DM_OUTCOME_INCOMPLETE)
            t->flags |= DM_T_CUT;
        settle(tr, t);
    }
    tr->finished = TRUE;
    notify(tr, DM_EV_FINISH, 0, tr->end);
}

gboolean
dm_tracker_finished(const dm_tracker *tr)
{
    return tr->finished;
}

/* ---- outcome ----------------------------------------------------------- */

dm_outcome
dm_txn_outcome(const dm_tracker *tr, const dm_txn *t)
{
    if (t->flags & DM_T_ANSWERED) {
        if ((t->flags & DM_T_TC) && !(t->flags & DM_T_RECORDS))
            return DM_OUTCOME_TRUNCATED;
        switch (t->rcode) {
        case 0: return (t->flags & DM_T_RECORDS) ? DM_OUTCOME_ANSWERED : DM_OUTCOME_NODATA;
        case 2: return DM_OUTCOME_SERVFAIL;
        case 3: return DM_OUTCOME_NXDOMAIN;
        case 5: return DM_OUTCOME_REFUSED;
        default: return DM_OUTCOME_ERROR;
        }
    }
    if (t->flags & (DM_T_ICMP_QUERY | DM_T_RESET))
        return DM_OUTCOME_REJECTED;
    if (t->flags & DM_T_WRONG_SOURCE)
        return DM_OUTCOME_WRONG_SOURCE;
    if (time_diff(tr->end, t->last_ts) < tr->timeout)
        return DM_OUTCOME_INCOMPLETE;
    return DM_OUTCOME_UNANSWERED;
}

dm_outcome
dm_txn_shown_outcome(const dm_tracker *tr, const dm_txn *t)
{
    if (tr->finished || (t->flags & DM_T_ANSWERED))
        return dm_txn_outcome(tr, t);
    return DM_OUTCOME_PENDING;
}

gboolean
dm_txn_rtt(const dm_txn *t, dm_time *rtt)
{
    if (!(t->flags & DM_T_ANSWERED))
        return FALSE;
    *rtt = time_diff(t->answer_ts, t->first_ts);
    return TRUE;
}

guint32
dm_txn_last_response(const dm_tracker *tr, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    return (e && e->last_resp) ? e->last_resp : t->answer_item;
}

const dm_icmp *
dm_txn_icmp_on_query(const dm_tracker *tr, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    return (e && e->query_icmp) ? ICMP(tr, e->query_icmp) : NULL;
}
