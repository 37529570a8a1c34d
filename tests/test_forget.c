/* test_forget.c — forgetting what is done (docs/design.md, "Memory"), on a
 * long synthetic capture driven straight into the engine: the log a
 * forgetting engine writes as it goes is the log of an engine that kept
 * everything, line for line, and what it holds stays flat (its own
 * accounting and malloc's). No epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tracker_fixture.h"
#include "dnsmon_forget.h"
#include "dnsmon_heap.h"
#include "dnsmon_txlog.h"

/* ---- a capture: transactions at random times, their packets in time order */

typedef enum { E_QUERY, E_ANSWER, E_RCODE, E_ICMP, E_SYN, E_SYNACK, E_RST, E_TCPQ, E_TCPA } ev_kind;

typedef struct {
    ev_kind kind;
    double t;
    dm_flow fl;
    guint16 id;
    guint8 rcode;
    char name[48];
} ev;

typedef struct {
    GRand *rng;
    double now;                 /* start of the latest transaction */
    double rate;                /* transactions per second */
    guint32 txns;               /* started */
    GArray *evs;                /* ev */
    GArray *free_evs;           /* guint32: slots of evs to reuse */
    dm_heap due;                /* (time in ns, index into evs) */
    guint32 frame;
} traffic;

static void
at(traffic *tr, const ev *e)
{
    guint32 slot;
    if (tr->free_evs->len) {
        slot = g_array_index(tr->free_evs, guint32, tr->free_evs->len - 1);
        g_array_set_size(tr->free_evs, tr->free_evs->len - 1);
        g_array_index(tr->evs, ev, slot) = *e;
    } else {
        g_array_append_vals(tr->evs, e, 1);
        slot = tr->evs->len - 1;
    }
    dm_heap_push(&tr->due, S(e->t), slot, 0);
}

static dm_flow
flow_of(traffic *tr, dm_transport t, guint server)
{
    char c[32], s[32];
    g_snprintf(c, sizeof c, "10.%u.%u.%u", g_rand_int_range(tr->rng, 0, 4),
               g_rand_int_range(tr->rng, 0, 250), g_rand_int_range(tr->rng, 1, 250));
    g_snprintf(s, sizeof s, "192.0.2.%u", server);
    return FL(t, c, (guint16)g_rand_int_range(tr->rng, 1024, 65535), s, 53);
}

/* One transaction (or a few: a retry elsewhere) starting now. */
static void
start_txn(traffic *tr)
{
    tr->now += -log(1.0 - g_rand_double(tr->rng)) / tr->rate;
    tr->txns++;
    ev e;
    memset(&e, 0, sizeof e);
    e.t = tr->now;
    e.id = (guint16)g_rand_int_range(tr->rng, 0, 65536);
    guint n = (guint)g_rand_int_range(tr->rng, 0, 5000);
    if (g_rand_int_range(tr->rng, 0, 10) == 0)
        g_snprintf(e.name, sizeof e.name, "nx%u.example.test", g_rand_int(tr->rng) % 100000);
    else
        g_snprintf(e.name, sizeof e.name, "n%u.example.test", n);
    guint server = (guint)g_rand_int_range(tr->rng, 1, 5);
    double rtt = 0.0003 + -log(1.0 - g_rand_double(tr->rng)) * 0.015;
    int k = g_rand_int_range(tr->rng, 0, 100);
    if (k < 6) {                                /* over TCP */
        e.fl = flow_of(tr, DM_TCP, server);
        ev x = e;
        x.kind = E_SYN;
        at(tr, &x);
        if (k < 1) {                            /* refused */
            x.kind = E_RST;
            x.t += 0.0004;
            at(tr, &x);
            return;
        }
        x.kind = E_SYNACK;
        x.t += 0.0004;
        at(tr, &x);
        x.kind = E_TCPQ;
        x.t += 0.0004;
        at(tr, &x);
        x.kind = E_TCPA;
        x.t += rtt;
        at(tr, &x);
        return;
    }
    e.fl = flow_of(tr, DM_UDP, server);
    ev q = e;
    q.kind = E_QUERY;
    at(tr, &q);
    if (k < 76) {                               /* answered, or NXDOMAIN for nx names */
        ev a = e;
        a.kind = e.name[0] == 'n' && e.name[1] == 'x' ? E_RCODE : E_ANSWER;
        a.rcode = 3;
        a.t += rtt;
        at(tr, &a);
    } else if (k < 84) {                        /* retransmitted, then answered */
        guint tries = (guint)g_rand_int_range(tr->rng, 2, 4);
        for (guint i = 1; i < tries; i++) {
            q.t += 1.0;
            at(tr, &q);
        }
        ev a = e;
        a.kind = E_ANSWER;
        a.t = q.t + rtt;
        at(tr, &a);
    } else if (k < 88) {                        /* SERVFAIL, then another server answers */
        ev a = e;
        a.kind = E_RCODE;
        a.rcode = 2;
        a.t += 0.1 + rtt;
        at(tr, &a);
        ev r = e;
        r.kind = E_QUERY;
        r.fl = flow_of(tr, DM_UDP, server % 4 + 1);
        r.fl.client = e.fl.client;
        r.t = a.t + 0.001;
        at(tr, &r);
        r.kind = E_ANSWER;
        r.t += rtt;
        at(tr, &r);
    } else if (k < 94) {                        /* rejected by the server's host */
        ev i = e;
        i.kind = E_ICMP;
        i.t += 0.0002;
        at(tr, &i);
    } else {                                    /* unanswered */
        guint tries = (guint)g_rand_int_range(tr->rng, 1, 4);
        for (guint i = 1; i < tries; i++) {
            q.t += 2.0;
            at(tr, &q);
        }
    }
}

static void
traffic_init(traffic *tr, guint32 seed, double rate)
{
    memset(tr, 0, sizeof *tr);
    tr->rng = g_rand_new_with_seed(seed);
    tr->rate = rate;
    tr->evs = g_array_new(FALSE, FALSE, sizeof(ev));
    tr->free_evs = g_array_new(FALSE, FALSE, sizeof(guint32));
    dm_heap_init(&tr->due);
}

static void
traffic_clear(traffic *tr)
{
    g_rand_free(tr->rng);
    g_array_free(tr->evs, TRUE);
    g_array_free(tr->free_evs, TRUE);
    dm_heap_clear(&tr->due);
}

/* The next packet in time order (transactions start as needed); FALSE once
 * `total` transactions started and every packet of them went. */
static gboolean
next_packet(traffic *tr, guint32 total, ev *out)
{
    dm_timer top;
    for (;;) {
        dm_time until = tr->txns < total ? S(tr->now) : G_MAXINT64;
        if (dm_heap_pop_due(&tr->due, until, &top))
            break;
        if (tr->txns >= total)
            return FALSE;
        start_txn(tr);
    }
    *out = g_array_index(tr->evs, ev, top.id);
    g_array_append_val(tr->free_evs, top.id);
    tr->frame++;
    return TRUE;
}

static void
feed(fx *f, guint32 frame, const ev *e)
{
    switch (e->kind) {
    case E_QUERY: fx_query(f, frame, e->t, &e->fl, e->id, e->name, 1); break;
    case E_ANSWER: fx_answer(f, frame, e->t, &e->fl, e->id, e->name, 1); break;
    case E_RCODE:
        fx_response(f, frame, e->t, &e->fl, e->id, e->name, 1, e->rcode, 0, FALSE);
        break;
    case E_ICMP: fx_port_unreachable(f, frame, e->t, &e->fl, "192.0.2.1", e->id, e->name, 1); break;
    case E_SYN: fx_tcp(f, frame, e->t, &e->fl, TRUE, FX_SYN); break;
    case E_SYNACK: fx_tcp(f, frame, e->t, &e->fl, FALSE, FX_SYN | FX_ACK); break;
    case E_RST: fx_tcp(f, frame, e->t, &e->fl, FALSE, FX_RST | FX_ACK); break;
    case E_TCPQ: fx_query(f, frame, e->t, &e->fl, e->id, e->name, 1); break;
    case E_TCPA: fx_answer(f, frame, e->t, &e->fl, e->id, e->name, 1); break;
    }
}

/* ---- an engine and a log listener on it ----------------------------------- */

typedef struct {
    fx f;
    dm_upstream *up;
    dm_downgrades *dg;
    dm_ledger *seen;
    gboolean forgets;
    guint32 written, checked, forgettings;
    FILE *out;
    char *buf;
    size_t len;
} engine;

static void
engine_init(engine *e, gboolean forgets)
{
    memset(e, 0, sizeof *e);
    fx_init(&e->f);
    e->up = dm_upstream_new(e->f.tr);
    e->dg = dm_downgrades_new(e->f.tr, 5);
    e->seen = dm_ledger_new();
    e->forgets = forgets;
    e->written = 1;
    e->out = open_memstream(&e->buf, &e->len);
}

static void
engine_clear(engine *e)
{
    dm_ledger_free(e->seen);
    dm_downgrades_free(e->dg);
    dm_upstream_free(e->up);
    fx_clear(&e->f);
    if (e->out)
        fclose(e->out);
    free(e->buf);
}

static const dm_ledger_fns no_fns = { NULL, NULL };

/* As the glue's owner and log listener do (engine.c, tap_report.c). */
static void
engine_frame(engine *e, guint32 frame, const ev *x)
{
    if (e->forgets && dm_tracker_txn_count(e->f.tr) >= e->checked + 4096) {
        e->checked = dm_tracker_txn_count(e->f.tr);
        guint32 until = dm_forget_point(e->f.tr, e->f.ls);
        if (dm_forget_worth(e->f.tr, until)) {
            dm_forget_decide(e->up, e->dg);
            dm_ledger_flush(e->seen, e->f.tr, e->f.ls, &no_fns, NULL);
            dm_txlog_write_range(e->f.tr, e->f.ls, e->up, e->dg, e->seen, e->out, e->written,
                                 until);
            e->written = until;
            dm_forget(e->f.tr, e->f.ls, e->up, e->dg, until);
            e->forgettings++;
            g_assert_cmpuint(dm_tracker_first(e->f.tr), ==, until);
        }
    }
    feed(&e->f, frame, x);
    guint32 first = 0;
    guint n = dm_tracker_frame_items(e->f.tr, frame, &first);
    for (guint i = 0; i < MAX(n, 1u); i++)
        dm_ledger_update(e->seen, e->f.tr, e->f.ls, n ? first + i : 0, &no_fns, NULL);
}

static void
engine_end(engine *e)
{
    dm_tracker_finish(e->f.tr);
    dm_ledger_flush(e->seen, e->f.tr, e->f.ls, &no_fns, NULL);
    dm_txlog_write_range(e->f.tr, e->f.ls, e->up, e->dg, e->seen, e->out, e->written,
                         dm_tracker_txn_count(e->f.tr) + 1);
    fflush(e->out);
}

static gsize
engine_bytes(const engine *e)
{
    return dm_tracker_bytes(e->f.tr) + dm_lookups_bytes(e->f.ls) + dm_upstream_bytes(e->up) +
           dm_downgrades_bytes(e->dg);
}

/* ---- the tests ---------------------------------------------------------- */

/* 60,000 transactions over 200 s of capture (the horizon is 60 s): the
 * forgetting engine forgets several times, and writes what the keeping one
 * writes at the end, line for line. */
static void
test_same_log(void)
{
    traffic tr;
    traffic_init(&tr, 7, 300);
    engine keep, forget;
    engine_init(&keep, FALSE);
    engine_init(&forget, TRUE);
    ev x;
    while (next_packet(&tr, 60000, &x)) {
        engine_frame(&keep, tr.frame, &x);
        engine_frame(&forget, tr.frame, &x);
    }
    engine_end(&keep);
    engine_end(&forget);
    g_assert_cmpuint(dm_tracker_txn_count(forget.f.tr), ==, dm_tracker_txn_count(keep.f.tr));
    g_assert_cmpuint(dm_tracker_txn_count(keep.f.tr), >, 60000);
    g_assert_cmpuint(forget.forgettings, >=, 3);
    g_assert_cmpuint(dm_tracker_first(forget.f.tr), >, 30000);
    g_assert_cmpuint(dm_tracker_first(keep.f.tr), ==, 1);
    /* the same lines, in the same order */
    g_assert_cmpuint(forget.len, ==, keep.len);
    g_assert_true(memcmp(forget.buf, keep.buf, keep.len) == 0);
    engine_clear(&keep);
    engine_clear(&forget);
    traffic_clear(&tr);
}

static gsize
in_use(void)
{
#if defined(__GLIBC__)
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

/* 160,000 transactions over 9 minutes of capture, a tenth of them for
 * names seen once or twice (typos, leaks): what the engine holds by its own
 * accounting, and what malloc has handed out, at their highest between 3N
 * and 4N over between N and 2N (N = 40,000: past the horizon's warm-up)
 * stay within 20 % (they go up and down as it forgets in batches). */
static void
test_flat(void)
{
    traffic tr;
    traffic_init(&tr, 11, 300);
    engine e;
    engine_init(&e, TRUE);
    fclose(e.out);                  /* the lines are not kept */
    e.out = fopen("/dev/null", "w");
    ev x;
    gsize bytes_n = 0, heap_n = 0, bytes_4n = 0, heap_4n = 0, held_max = 0;
    while (next_packet(&tr, 160000, &x)) {
        engine_frame(&e, tr.frame, &x);
        guint32 held = dm_tracker_txn_count(e.f.tr) + 1 - dm_tracker_first(e.f.tr);
        held_max = MAX(held_max, held);
        if (tr.frame % 256)
            continue;
        if (tr.txns > 40000 && tr.txns <= 80000) {
            bytes_n = MAX(bytes_n, engine_bytes(&e));
            heap_n = MAX(heap_n, in_use());
        } else if (tr.txns > 120000) {
            bytes_4n = MAX(bytes_4n, engine_bytes(&e));
            heap_4n = MAX(heap_4n, in_use());
        }
    }
    g_test_message("engine %zu -> %zu B, malloc in use %zu -> %zu B, at most %zu transactions held",
                   bytes_n, bytes_4n, heap_n, heap_4n, held_max);
    g_assert_cmpuint(held_max, <, 60000);   /* ~2 horizons of 300 per second, and a batch */
    g_assert_cmpfloat((double)bytes_4n, <=, 1.2 * (double)bytes_n);
    if (heap_n)
        g_assert_cmpfloat((double)heap_4n, <=, 1.2 * (double)heap_n);
    engine_end(&e);
    engine_clear(&e);
    traffic_clear(&tr);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/forget/same-log", test_same_log);
    g_test_add_func("/forget/flat", test_flat);
    return g_test_run();
}
