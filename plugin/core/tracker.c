/* tracker.c — follows DNS transactions to their outcome (docs/design.md,
 * "Transactions" and "Outcome of a transaction"): the tracker's state,
 * indexes, interning, items, time-out arming and outcomes. The events come
 * in through tracker_events.c (which moves the clock first), and are
 * handled in tracker_dns.c, tracker_tcp.c and tracker_icmp.c (tracker_int.h).
 *
 * Everything an attacker can multiply is found in O(1): transactions by key
 * (with and without the question, without the ID, without the server), TCP
 * connections, truncated answers, frame items by binary search, time-outs in
 * a binary heap. No scan per packet.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_int.h"

/* ---- access ------------------------------------------------------------ */

guint32
tk_txn_id(const dm_tracker *tr, const dm_txn *t)
{
    return (guint32)(t - (const dm_txn *)(void *)tr->txns.a->data) + 1 + tr->txns.base;
}

dm_txn_ext *
tk_ext(dm_tracker *tr, dm_txn *t)
{
    if (!t->ext) {
        dm_txn_ext e;
        memset(&e, 0, sizeof e);
        e.txn = tk_txn_id(tr, t);
        t->ext = dm_fifo_append(&tr->exts, &e);
    }
    return DM_FIFO_AT(&tr->exts, dm_txn_ext, t->ext);
}

const dm_txn_ext *
dm_tracker_ext(const dm_tracker *tr, const dm_txn *t)
{
    return t->ext ? DM_FIFO_AT(&tr->exts, dm_txn_ext, t->ext) : NULL;
}

/* ---- what a transaction keeps compact ------------------------------------ */

G_STATIC_ASSERT(sizeof(dm_txn) == 56);
G_STATIC_ASSERT(sizeof(dm_txn_ext) == 104);

static const dm_txn_ext *
ext_of(const dm_tracker *tr, const dm_txn *t)
{
    return DM_FIFO_AT(&tr->exts, dm_txn_ext, t->ext);
}

dm_time
dm_txn_last_ts(const dm_tracker *tr, const dm_txn *t)
{
    return t->last_dt == DM_DT_EXT ? ext_of(tr, t)->last_ts : t->first_ts + t->last_dt;
}

dm_time
dm_txn_answer_ts(const dm_tracker *tr, const dm_txn *t)
{
    return t->answer_dt == DM_DT_EXT ? ext_of(tr, t)->answer_ts : t->first_ts + t->answer_dt;
}

guint32
dm_txn_last_item(const dm_tracker *tr, const dm_txn *t)
{
    return t->last_d == DM_D16_EXT ? ext_of(tr, t)->last_item : t->first_item + t->last_d;
}

guint32
dm_txn_answer_item(const dm_tracker *tr, const dm_txn *t)
{
    if (t->answer_d == DM_D16_EXT)
        return ext_of(tr, t)->answer_item;
    return t->answer_d ? t->first_item + t->answer_d : 0;
}

guint32
dm_txn_attempts(const dm_tracker *tr, const dm_txn *t)
{
    return t->attempts2 == DM_ATTEMPTS_EXT ? ext_of(tr, t)->attempts : t->attempts2;
}

guint16
dm_txn_qclass(const dm_tracker *tr, const dm_txn *t)
{
    if (t->flags & DM_T_QCLASS)
        return ext_of(tr, t)->qclass;
    return t->name ? 1 : 0;
}

/* A time after first_ts in 32 bits of ns, or DM_DT_EXT. */
static guint32
dt_of(const dm_txn *t, dm_time ts)
{
    dm_time d = dm_time_diff(ts, t->first_ts);
    return d >= 0 && d < (dm_time)DM_DT_EXT ? (guint32)d : DM_DT_EXT;
}

/* An item at or after first_item in 16 bits, or DM_D16_EXT. */
static guint16
d16_of(const dm_txn *t, guint32 item)
{
    guint32 d = item - t->first_item;
    return item >= t->first_item && d < DM_D16_EXT ? (guint16)d : DM_D16_EXT;
}

void
tk_set_last_ts(dm_tracker *tr, dm_txn *t, dm_time ts)
{
    t->last_dt = dt_of(t, ts);
    if (t->last_dt == DM_DT_EXT)
        tk_ext(tr, t)->last_ts = ts;
}

void
tk_set_last_item(dm_tracker *tr, dm_txn *t, guint32 item)
{
    t->last_d = d16_of(t, item);
    if (t->last_d == DM_D16_EXT)
        tk_ext(tr, t)->last_item = item;
}

void
tk_set_answer_ts(dm_tracker *tr, dm_txn *t, dm_time ts)
{
    t->answer_dt = dt_of(t, ts);
    if (t->answer_dt == DM_DT_EXT)
        tk_ext(tr, t)->answer_ts = ts;
}

void
tk_set_answer_item(dm_tracker *tr, dm_txn *t, guint32 item)
{
    /* 0 (none) is 0; an item equal to the first one is kept in ext */
    t->answer_d = item ? d16_of(t, item) : 0;
    if (item && t->answer_d == 0)
        t->answer_d = DM_D16_EXT;
    if (t->answer_d == DM_D16_EXT)
        tk_ext(tr, t)->answer_item = item;
}

/* Its first attempt, which is its latest too; a deciding response already
 * there is kept, now relative to it. */
void
tk_set_first(dm_tracker *tr, dm_txn *t, guint32 item, dm_time ts)
{
    gboolean answered = (t->flags & DM_T_ANSWERED) != 0;
    dm_time answer = answered ? dm_txn_answer_ts(tr, t) : 0;
    guint32 answer_item = dm_txn_answer_item(tr, t);
    t->first_item = item;
    t->first_ts = ts;
    t->last_dt = 0;
    t->last_d = 0;
    t->answer_dt = 0;
    if (answered)
        tk_set_answer_ts(tr, t, answer);
    tk_set_answer_item(tr, t, answer_item);
}

void
tk_set_attempts(dm_tracker *tr, dm_txn *t, guint32 n)
{
    t->attempts2 = n < DM_ATTEMPTS_EXT ? n : DM_ATTEMPTS_EXT;
    if (t->attempts2 == DM_ATTEMPTS_EXT)
        tk_ext(tr, t)->attempts = n;
}

void
tk_set_qclass(dm_tracker *tr, dm_txn *t, guint16 qclass)
{
    t->flags &= (guint16)~DM_T_QCLASS;
    if (qclass != (t->name ? 1 : 0)) {
        t->flags |= DM_T_QCLASS;
        tk_ext(tr, t)->qclass = qclass;
    }
}

/* ---- indices ----------------------------------------------------------- */

static void
probe_of_txn(const dm_tracker *tr, const dm_txn *t, probe *p)
{
    memset(p, 0, sizeof *p);
    p->transport = (guint8)dm_wire((dm_transport)t->transport);
    p->client = t->client;
    p->server = t->server;
    p->cport = t->client_port;
    p->sport = t->server_port;
    p->id = t->id;
    p->folded = t->name ? g_array_index(tr->folded, guint32, t->name - 1) : 0;
    p->qtype = t->qtype;
    p->qclass = dm_txn_qclass(tr, t);
}

static void
probe_of_conn(const dm_conn *c, probe *p)
{
    memset(p, 0, sizeof *p);
    p->transport = (guint8)dm_wire((dm_transport)c->transport);
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

void
tk_ix_purge(dm_tracker *tr, ix_kind kind, dm_index_live_fn keep)
{
    dm_gindex_purge(&tr->ix[kind], keep);
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

static gboolean
ix_same_cb(const void *ctx, guint32 a, guint32 b)
{
    const ix_ctx *c = ctx;
    probe pa, pb;
    probe_of_record(c->tr, c->kind, a, &pa);
    probe_of_record(c->tr, c->kind, b, &pb);
    return probe_equal(c->kind, &pa, &pb);
}

/* Still within the horizon: its latest event (a connection's latest
 * packet) is at most the horizon old. */
gboolean
tk_txn_live(const dm_tracker *tr, guint32 id)
{
    return dm_fifo_has(&tr->txns, id) && !dm_tracker_past_horizon(tr, TXN(tr, id)->touched);
}

/* A connection is past the horizon with its transaction. */
static gboolean
ix_live(const dm_tracker *tr, ix_kind kind, guint32 id)
{
    if (kind != IX_CONN)
        return tk_txn_live(tr, id);
    const dm_conn *c = CONN(tr, id);
    return c->state != CONN_FREE && !dm_tracker_past_horizon(tr, c->touched) &&
           (!c->txn || tk_txn_live(tr, c->txn));
}

static gboolean
ix_live_cb(const void *ctx, guint32 id)
{
    const ix_ctx *c = ctx;
    return ix_live(c->tr, c->kind, id);
}

/* The newest record with p's key, unless it is past the horizon. */
guint32
tk_ix_find(const dm_tracker *tr, ix_kind kind, const probe *p)
{
    guint32 id = dm_gindex_find(&tr->ix[kind], probe_hash(kind, p), ix_match_cb, p);
    return id && ix_live(tr, kind, id) ? id : 0;
}

void
tk_ix_put(dm_tracker *tr, ix_kind kind, guint32 id)
{
    probe p;
    probe_of_record(tr, kind, id, &p);
    dm_gindex_put(&tr->ix[kind], probe_hash(kind, &p), ix_match_cb, &p, id);
}

/* ---- creation and teardown --------------------------------------------- */

dm_tracker *
dm_tracker_new(const dm_config *cfg)
{
    dm_tracker *tr = g_new0(dm_tracker, 1);
    tr->cfg = *cfg;
    tr->timeout = dm_time_secs(cfg->timeout);
    tr->window = dm_time_secs(cfg->retransmit_window);
    tr->slow = dm_time_secs(cfg->slow_threshold);
    tr->lookup_window = dm_time_secs(cfg->lookup_window);
    tr->ws_retransmit_timer = cfg->wireshark_retransmit_timer > 0
                                  ? dm_time_secs(cfg->wireshark_retransmit_timer) : -1;
    /* The horizon: well past anything the preferences let decide a
     * transaction (docs/design.md, "Horizon"). */
    double longest = MAX(MAX(cfg->timeout, cfg->retransmit_window), cfg->lookup_window);
    tr->horizon = (guint32)MIN(MAX(60.0, 4 * longest), 1e8);
    tr->horizon_ns = dm_time_secs(tr->horizon);
    tr->rotate_at = tr->horizon;
    dm_fifo_init(&tr->txns, sizeof(dm_txn));
    dm_fifo_init(&tr->exts, sizeof(dm_txn_ext));
    dm_fifo_init(&tr->items, sizeof(dm_item));
    tr->far_refs = g_array_new(FALSE, FALSE, sizeof(far_ref));
    dm_fifo_init(&tr->icmps, sizeof(dm_icmp));
    dm_fifo_init(&tr->notes, sizeof(dm_note));
    tr->conns = g_array_new(FALSE, FALSE, sizeof(dm_conn));
    tr->free_conns = g_array_new(FALSE, FALSE, sizeof(guint32));
    tr->names = dm_intern_new();
    tr->folded = g_array_new(FALSE, FALSE, sizeof(guint32));
    tr->addrs = dm_intern_new();
    for (int k = 0; k < IX_COUNT; k++) {
        tr->ixc[k].tr = tr;
        tr->ixc[k].kind = (ix_kind)k;
        dm_gindex_init(&tr->ix[k], ix_hash_cb, &tr->ixc[k]);
    }
    dm_heap_init(&tr->timers);
    dm_fifo_init(&tr->settled, sizeof(guint32));
    dm_fifo_init(&tr->learned, sizeof(guint32));
    tr->frame_clock = g_array_new(FALSE, FALSE, sizeof(frame_mark));
    tr->observers = g_array_new(FALSE, FALSE, sizeof(observer));
    return tr;
}

void
dm_tracker_free(dm_tracker *tr)
{
    if (!tr)
        return;
    for (guint i = 0; i < tr->exts.a->len; i++)
        g_free(g_array_index(tr->exts.a, dm_txn_ext, i).ede_text);
    for (guint i = 0; i < tr->conns->len; i++) {
        dm_conn *c = &g_array_index(tr->conns, dm_conn, i);
        if (c->syn_items)
            g_array_free(c->syn_items, TRUE);
        if (c->txns)
            g_array_free(c->txns, TRUE);
    }
    for (int k = 0; k < IX_COUNT; k++)
        dm_gindex_clear(&tr->ix[k]);
    dm_fifo_free(&tr->txns);
    dm_fifo_free(&tr->exts);
    dm_fifo_free(&tr->items);
    g_array_free(tr->far_refs, TRUE);
    dm_fifo_free(&tr->icmps);
    dm_fifo_free(&tr->notes);
    g_array_free(tr->conns, TRUE);
    g_array_free(tr->free_conns, TRUE);
    dm_intern_free(tr->names);
    g_array_free(tr->folded, TRUE);
    dm_intern_free(tr->addrs);
    dm_heap_clear(&tr->timers);
    dm_fifo_free(&tr->settled);
    dm_fifo_free(&tr->learned);
    g_array_free(tr->frame_clock, TRUE);
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

void
tk_notify(dm_tracker *tr, dm_event ev, guint32 txn, dm_time ts)
{
    if (txn && (ev == DM_EV_NEW || ev == DM_EV_ACTIVITY))
        TXN(tr, txn)->touched = tr->clock;
    for (guint i = 0; i < tr->observers->len; i++) {
        observer *o = &g_array_index(tr->observers, observer, i);
        o->fn(o->user, ev, txn, ts);
    }
}

guint
dm_tracker_memory(const dm_tracker *tr, dm_memory_part *parts, guint max)
{
    gsize conns = tr->conns->len * sizeof(dm_conn), ix = 0;
    for (guint i = 0; i < tr->conns->len; i++) {
        const dm_conn *c = &g_array_index(tr->conns, dm_conn, i);
        conns += (c->syn_items ? c->syn_items->len : 0) * sizeof(guint32);
        conns += (c->txns ? c->txns->len : 0) * sizeof(guint32);
    }
    for (int k = 0; k < IX_COUNT; k++)
        ix += dm_gindex_bytes(&tr->ix[k]);
    const dm_memory_part all[] = {
        { "transactions", dm_fifo_bytes(&tr->txns), tr->txns.a->len },
        { "side records", dm_fifo_bytes(&tr->exts), tr->exts.a->len },
        { "items", dm_fifo_bytes(&tr->items) + tr->far_refs->len * sizeof(far_ref),
          tr->items.a->len },
        { "ICMP errors", dm_fifo_bytes(&tr->icmps), tr->icmps.a->len },
        { "notes", dm_fifo_bytes(&tr->notes), tr->notes.a->len },
        { "connections", conns, tr->conns->len },
        { "names", dm_intern_bytes_used(tr->names) + tr->folded->len * sizeof(guint32), 0 },
        { "addresses", dm_intern_bytes_used(tr->addrs), 0 },
        { "indexes", ix, 0 },
        { "time-outs", dm_heap_bytes(&tr->timers), 0 },
        { "settle log", dm_fifo_bytes(&tr->settled), tr->settled.a->len },
        { "learned names", dm_fifo_bytes(&tr->learned), 0 },
        { "the tracker itself", sizeof *tr, 0 },
    };
    guint n = MIN(max, G_N_ELEMENTS(all));
    memcpy(parts, all, n * sizeof *parts);
    return n;
}

gsize
dm_tracker_bytes(const dm_tracker *tr)
{
    dm_memory_part parts[DM_MEMORY_PARTS];
    gsize n = 0;
    for (guint i = 0, k = dm_tracker_memory(tr, parts, DM_MEMORY_PARTS); i < k; i++)
        n += parts[i].bytes;
    return n;
}

/* ---- interning --------------------------------------------------------- */

guint32
tk_addr_id(dm_tracker *tr, const dm_addr *a)
{
    return dm_intern_bytes(tr->addrs, a, sizeof *a);
}

/* 0 when never seen: nothing can match it then. */
guint32
tk_addr_find(const dm_tracker *tr, const dm_addr *a)
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

guint32
tk_name_id(dm_tracker *tr, const char *name)
{
    if (!name)
        return 0;
    gsize len = strlen(name);
    guint32 id = dm_intern_bytes(tr->names, name, len);
    guint32 zero = 0;
    while (tr->folded->len < dm_intern_count(tr->names))
        g_array_append_val(tr->folded, zero);
    if (!g_array_index(tr->folded, guint32, id - 1)) {
        /* New name (or an id given again after forgetting): its case-folded
         * form (RFC 4343), itself interned, its own folded form. */
        char *low = g_ascii_strdown(name, (gssize)len);
        guint32 f = strcmp(low, name) == 0 ? id : dm_intern_bytes(tr->names, low, len);
        g_free(low);
        while (tr->folded->len < dm_intern_count(tr->names))
            g_array_append_val(tr->folded, zero);
        g_array_index(tr->folded, guint32, id - 1) = f;
        if (!g_array_index(tr->folded, guint32, f - 1))
            g_array_index(tr->folded, guint32, f - 1) = f;
    }
    return id;
}

guint32
tk_name_find_folded(const dm_tracker *tr, const char *name)
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
dm_tracker_addr_count(const dm_tracker *tr)
{
    return dm_intern_count(tr->addrs);
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
    dm_question q = { dm_tracker_name(tr, t->name), t->qtype, dm_txn_qclass(tr, t) };
    return q;
}

/* ---- time: time-outs and settling -------------------------------------- */

/* The transaction settles: only a late response can change its outcome
 * now. A settled one that changed is logged again. */
void
tk_settle(dm_tracker *tr, dm_txn *t)
{
    guint32 id = tk_txn_id(tr, t);
    t->flags |= DM_T_SETTLED;
    dm_fifo_append(&tr->settled, &id);
    tk_notify(tr, DM_EV_SETTLED, id, tr->end);
}

/* Something that decides its outcome happened to a settled transaction. */
void
tk_changed(dm_tracker *tr, dm_txn *t)
{
    if (t->flags & DM_T_SETTLED)
        tk_settle(tr, t);
}

static void
arm(dm_tracker *tr, dm_txn *t)
{
    if (!(t->flags & (DM_T_ANSWERED | DM_T_SETTLED)))
        dm_heap_push(&tr->timers, dm_time_add(dm_txn_last_ts(tr, t), tr->timeout), tk_txn_id(tr, t),
                     TIMER_TXN);
}

void
tk_touch_conn(dm_tracker *tr, guint32 cid)
{
    CONN(tr, cid)->touched = tr->clock;
}

guint32
dm_tracker_clock(const dm_tracker *tr)
{
    return tr->clock;
}

guint32
dm_tracker_horizon(const dm_tracker *tr)
{
    return tr->horizon;
}

gboolean
dm_tracker_past_horizon(const dm_tracker *tr, guint32 touched)
{
    return tr->clock > touched && tr->clock - touched > tr->horizon;
}

/* The clock moved: every horizon, the indexes drop what is past it. */
void
tk_tick(dm_tracker *tr)
{
    dm_time since = dm_time_diff(tr->end, tr->origin);
    tr->clock = (guint32)MIN(MAX(since / DM_NS_PER_SEC, 0), (dm_time)G_MAXUINT32 - 1);
    if (tr->clock < tr->rotate_at)
        return;
    for (int k = 0; k < IX_COUNT; k++)
        dm_gindex_rotate(&tr->ix[k], ix_live_cb, ix_same_cb);
    tr->rotate_at = tr->clock + MIN(tr->horizon, G_MAXUINT32 - tr->clock);
}

dm_time
dm_tracker_end_time(const dm_tracker *tr)
{
    return tr->end;
}

guint32
dm_tracker_settled(const dm_tracker *tr, const guint32 **log)
{
    *log = (const guint32 *)(const void *)tr->settled.a->data;
    return tr->settled.a->len;
}

guint32
dm_tracker_settled_base(const dm_tracker *tr)
{
    return tr->settled.base;
}

/* ---- frames and items --------------------------------------------------- */

/* The first record of a, sorted by a guint32 at its start (an item's
 * frame, a far reference's item), whose key is not below key. */
static guint
lower_bound(const GArray *a, guint32 key)
{
    gsize size = g_array_get_element_size((GArray *)a);
    guint lo = 0, hi = a->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        guint32 k;
        memcpy(&k, a->data + (gsize)mid * size, sizeof k);
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

guint32
tk_item_add(dm_tracker *tr, guint32 frame, dm_role role, guint32 txn, guint flags, guint32 ref)
{
    dm_item it;
    memset(&it, 0, sizeof it);
    it.frame = frame;
    it.role = (guint8)role;
    it.txn = txn;
    it.flags = (guint16)flags;
    it.ref8 = (guint8)MIN(ref, DM_REF_FAR);
    guint32 id = dm_fifo_append(&tr->items, &it);
    if (ref >= DM_REF_FAR) {
        far_ref f = { id, ref };   /* ids grow: the array stays sorted */
        g_array_append_val(tr->far_refs, f);
    }
    return id;
}

/* Forgets the items up to upto, and their far references. */
void
tk_items_drop(dm_tracker *tr, guint32 upto)
{
    guint far = lower_bound(tr->far_refs, upto + 1);
    if (far)
        g_array_remove_range(tr->far_refs, 0, far);
    dm_fifo_drop(&tr->items, upto);
}

G_STATIC_ASSERT(sizeof(dm_item) == 12);
G_STATIC_ASSERT(G_STRUCT_OFFSET(dm_item, frame) == 0 && G_STRUCT_OFFSET(far_ref, item) == 0);

guint32
dm_item_ref(const dm_tracker *tr, const dm_item *it)
{
    if (it->ref8 < DM_REF_FAR)
        return it->ref8;
    guint32 id = (guint32)(it - (const dm_item *)(const void *)tr->items.a->data) + 1 +
                 tr->items.base;
    const GArray *a = tr->far_refs;
    guint lo = lower_bound(a, id);
    /* (always found: a far reference goes only with its item) */
    return lo < a->len && g_array_index(a, far_ref, lo).item == id ? g_array_index(a, far_ref, lo).ref
                                                                   : 0;
}

guint32
tk_note_add(dm_tracker *tr, const dm_flow *f, guint32 name, guint16 qtype, guint8 rcode)
{
    dm_note n;
    memset(&n, 0, sizeof n);
    if (f)
        n.flow = *f;
    n.name = name;
    n.qtype = qtype;
    n.rcode = rcode;
    return dm_fifo_append(&tr->notes, &n);
}

const dm_note *
dm_tracker_note(const dm_tracker *tr, guint32 id)
{
    return dm_fifo_has(&tr->notes, id) ? DM_FIFO_AT(&tr->notes, dm_note, id) : NULL;
}

guint
dm_tracker_frame_items(const dm_tracker *tr, guint32 frame, guint32 *first)
{
    /* Items are in feed order, so by frame number. */
    const GArray *a = tr->items.a;
    if (!a->len || g_array_index(a, dm_item, a->len - 1).frame < frame)
        return 0;
    guint lo;
    if (g_array_index(a, dm_item, a->len - 1).frame == frame) {
        /* the first pass asks about the frame it just fed: the last items */
        lo = a->len - 1;
        while (lo && g_array_index(a, dm_item, lo - 1).frame == frame)
            lo--;
    } else {
        lo = lower_bound(a, frame);
    }
    while (lo < a->len) {
        const dm_item *it = &g_array_index(a, dm_item, lo);
        if (it->frame != frame)
            return 0;
        if (!(it->flags & DM_F_GHOST))
            break;
        lo++;
    }
    guint n = 0;
    for (guint i = lo; i < a->len; i++) {
        const dm_item *it = &g_array_index(a, dm_item, i);
        if (it->frame != frame || (it->flags & DM_F_GHOST))
            break;
        n++;
    }
    *first = lo + 1 + tr->items.base;
    return n;
}

const dm_item *
dm_tracker_item(const dm_tracker *tr, guint32 id)
{
    return dm_fifo_has(&tr->items, id) ? ITEM(tr, id) : NULL;
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
    return dm_fifo_end(&tr->items);
}

guint32
dm_tracker_first_item(const dm_tracker *tr)
{
    return tr->items.base + 1;
}

guint32
dm_tracker_txn_count(const dm_tracker *tr)
{
    return dm_fifo_end(&tr->txns);
}

guint32
dm_tracker_first(const dm_tracker *tr)
{
    return tr->txns.base + 1;
}

const dm_txn *
dm_tracker_txn(const dm_tracker *tr, guint32 num)
{
    return dm_fifo_has(&tr->txns, num) ? TXN(tr, num) : NULL;
}

const dm_icmp *
dm_tracker_icmp_ref(const dm_tracker *tr, guint32 id)
{
    return dm_fifo_has(&tr->icmps, id) ? ICMP(tr, id) : NULL;
}

/* ---- transactions ------------------------------------------------------ */

guint32
tk_txn_new(dm_tracker *tr, const probe *p, guint32 name, dm_time ts, guint flags)
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
    t.first_ts = ts;
    t.flags = (guint16)flags;
    t.touched = tr->clock;
    guint32 id = dm_fifo_append(&tr->txns, &t);
    tk_set_qclass(tr, TXN(tr, id), p->qclass);
    return id;
}

/* Indexed by its DNS key (not for connection attempts without a query). */
void
tk_txn_index_dns(dm_tracker *tr, guint32 id)
{
    if (TXN(tr, id)->name)
        tk_ix_put(tr, IX_QUESTION, id);
    tk_ix_put(tr, IX_KEY, id);
    tk_ix_put(tr, IX_FLOW, id);
    tk_ix_put(tr, IX_CLIENT_ID, id);
}

gboolean
tk_same_question(const dm_tracker *tr, const dm_txn *t, guint32 folded, guint16 type, guint16 klass)
{
    return t->name && dm_tracker_name_folded(tr, t->name) == folded && t->qtype == type &&
           dm_txn_qclass(tr, t) == klass;
}

/* A truncated UDP answer from this server to this client at most
 * lookup_window before ts, not retried yet: what a TCP attempt retries. */
guint32
tk_truncated_for(const dm_tracker *tr, guint32 client, guint32 server, dm_time ts)
{
    probe p;
    memset(&p, 0, sizeof p);
    p.client = client;
    p.server = server;
    guint32 u = tk_ix_find(tr, IX_TRUNCATED, &p);
    if (!u)
        return 0;
    const dm_txn *t = TXN(tr, u);
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    dm_time answer = dm_txn_answer_ts(tr, t);
    if ((e && e->fallback_in) || dm_time_diff(ts, answer) > tr->lookup_window ||
        dm_time_diff(ts, answer) < 0)
        return 0;
    return u;
}

void
tk_link_fallback(dm_tracker *tr, guint32 udp, guint32 tcp)
{
    tk_ext(tr, TXN(tr, udp))->fallback_in = tcp;
    tk_ext(tr, TXN(tr, tcp))->fallback_of = udp;
}

dm_txn *
tk_attempt(dm_tracker *tr, guint32 id, guint32 item, dm_time ts)
{
    dm_txn *t = TXN(tr, id);
    guint32 n = dm_txn_attempts(tr, t) + 1;
    tk_set_attempts(tr, t, n);
    if (n == 1) {
        tk_set_first(tr, t, item, ts);
    } else {
        if (ts > dm_txn_last_ts(tr, t))
            tk_set_last_ts(tr, t, ts);
        tk_set_last_item(tr, t, item);
    }
    /* A new attempt reopens a transaction that had settled silent. */
    if ((t->flags & DM_T_SETTLED) && !(t->flags & DM_T_ANSWERED))
        t->flags &= (guint16)~(DM_T_SETTLED | DM_T_CUT);
    arm(tr, t);
    return t;
}

/* ---- the end ----------------------------------------------------------- */

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
        case 0:
            if (t->flags & DM_T_RECORDS)
                return DM_OUTCOME_ANSWERED;
            /* No answers: a delegation, a lame server, or no data. */
            if (!(t->dns & DM_D_AA) && (t->dns & DM_D_NS))
                return DM_OUTCOME_REFERRAL;
            if (!(t->dns & (DM_D_AA | DM_D_NS | DM_D_RD)))
                return DM_OUTCOME_LAME;
            return DM_OUTCOME_NODATA;
        case 2: return DM_OUTCOME_SERVFAIL;
        case 3: return DM_OUTCOME_NXDOMAIN;
        case 5: return DM_OUTCOME_REFUSED;
        default: return DM_OUTCOME_ERROR;
        }
    }
    /* An encrypted connection read without its keys (docs/design.md,
     * "Encrypted DNS"). */
    if (t->dns & DM_D_ENCRYPTED)
        return DM_OUTCOME_ENCRYPTED;
    if (t->dns & DM_D_TLS_FAILED)
        return DM_OUTCOME_TLS_FAILED;
    if (t->flags & (DM_T_ICMP_QUERY | DM_T_RESET))
        return DM_OUTCOME_REJECTED;
    if (t->flags & DM_T_WRONG_SOURCE)
        return DM_OUTCOME_WRONG_SOURCE;
    if (dm_time_diff(tr->end, dm_txn_last_ts(tr, t)) < tr->timeout)
        return DM_OUTCOME_INCOMPLETE;
    return DM_OUTCOME_UNANSWERED;
}

dm_outcome
dm_txn_shown_outcome(const dm_tracker *tr, const dm_txn *t)
{
    /* A response decides; so does the packet that sealed an encrypted
     * connection read without keys (nothing later changes either). */
    if (tr->finished || (t->flags & DM_T_ANSWERED) ||
        (t->dns & (DM_D_ENCRYPTED | DM_D_TLS_FAILED)))
        return dm_txn_outcome(tr, t);
    return DM_OUTCOME_PENDING;
}

gboolean
dm_txn_rtt(const dm_tracker *tr, const dm_txn *t, dm_time *rtt)
{
    if (!(t->flags & DM_T_ANSWERED))
        return FALSE;
    *rtt = dm_time_diff(dm_txn_answer_ts(tr, t), t->first_ts);
    return TRUE;
}

guint32
dm_txn_last_response(const dm_tracker *tr, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    return (e && e->last_resp) ? e->last_resp : dm_txn_answer_item(tr, t);
}

const dm_icmp *
dm_txn_icmp_on_query(const dm_tracker *tr, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    return (e && e->query_icmp) ? ICMP(tr, e->query_icmp) : NULL;
}

guint32
dm_txn_last_frame(const dm_tracker *tr, const dm_txn *t)
{
    guint32 f = MAX(dm_tracker_item_frame(tr, dm_txn_last_item(tr, t)),
                    dm_tracker_item_frame(tr, dm_txn_answer_item(tr, t)));
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    if (e) {
        f = MAX(f, dm_tracker_item_frame(tr, e->last_resp));
        f = MAX(f, dm_tracker_item_frame(tr, e->wrong_item));
        f = MAX(f, dm_tracker_item_frame(tr, e->reset_item));
        if (e->last_icmp)
            f = MAX(f, dm_tracker_item_frame(tr, ICMP(tr, e->last_icmp)->item));
    }
    return f;
}

guint
dm_txn_learned(const dm_tracker *tr, const dm_txn *t, const guint32 **names)
{
    static const guint32 none;
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    if (!e || !e->learned || !dm_fifo_has(&tr->learned, e->learned)) {
        *names = &none;
        return 0;
    }
    /* A block: its transaction, the count, the names. */
    *names = DM_FIFO_AT(&tr->learned, guint32, e->learned + 2);
    return *DM_FIFO_AT(&tr->learned, guint32, e->learned + 1);
}
