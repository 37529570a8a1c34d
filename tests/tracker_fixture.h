/* tracker_fixture.h — feeding the tracker from unit tests: addresses, flows,
 * one helper per event. Every helper starts the frame it is given (once: a
 * frame may carry several events), as the glue does on the first pass.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TRACKER_FIXTURE_H
#define DNSMON_TRACKER_FIXTURE_H

#include <string.h>
#include <arpa/inet.h>

#include "dnsmon_describe.h"
#include "dnsmon_lookups.h"

/* Seconds (a double) as dm_time, rounded to the nanosecond. */
#define S(x) ((dm_time)((x) * 1e9 + ((x) < 0 ? -0.5 : 0.5)))

/* ---- counted checks --------------------------------------------------------
 * The g_assert_* macros the unit tests use, redefined to count every check
 * they execute; each test program prints "assertions: N" when it exits
 * (docs/testing.md compares these counts before and after a change of the
 * suite). A failing check reports through GLib's own g_assertion_message*,
 * as GLib's macros do: the test fails the same way, with the same kind of
 * message. Every test_*.c includes this header. */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static guint64 dm_checks_run;

static void
dm_checks_print(void)
{
    fflush(stderr);
    printf("assertions: %" G_GUINT64_FORMAT "\n", dm_checks_run);
    fflush(stdout);
}

__attribute__((constructor)) static void
dm_checks_init(void)
{
    atexit(dm_checks_print);
}

static G_GNUC_UNUSED void
dm_check_failed(const char *file, int line, const char *func, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_assertion_message(G_LOG_DOMAIN, file, line, func, msg);
    g_free(msg);
}

#undef g_assert_true
#define g_assert_true(expr) G_STMT_START {                                      \
        dm_checks_run++;                                                        \
        if (G_LIKELY(expr)) ; else                                              \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC, "'%s' should be TRUE", #expr); \
    } G_STMT_END
#undef g_assert_false
#define g_assert_false(expr) G_STMT_START {                                     \
        dm_checks_run++;                                                        \
        if (G_LIKELY(!(expr))) ; else                                           \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC, "'%s' should be FALSE", #expr); \
    } G_STMT_END
#undef g_assert_null
#define g_assert_null(expr) G_STMT_START {                                      \
        dm_checks_run++;                                                        \
        if (G_LIKELY((expr) == NULL)) ; else                                    \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC, "'%s' should be NULL", #expr); \
    } G_STMT_END
#undef g_assert_nonnull
#define g_assert_nonnull(expr) G_STMT_START {                                   \
        dm_checks_run++;                                                        \
        if (G_LIKELY((expr) != NULL)) ; else                                    \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC, "'%s' should not be NULL", #expr); \
    } G_STMT_END
#undef g_assert_cmpint
#define g_assert_cmpint(n1, cmp, n2) G_STMT_START {                             \
        gint64 dm_n1_ = (n1), dm_n2_ = (n2);                                    \
        dm_checks_run++;                                                        \
        if (dm_n1_ cmp dm_n2_) ; else                                           \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC,                      \
                "assertion failed (%s): (%" G_GINT64_FORMAT " %s %" G_GINT64_FORMAT ")", \
                #n1 " " #cmp " " #n2, dm_n1_, #cmp, dm_n2_);                    \
    } G_STMT_END
#undef g_assert_cmpuint
#define g_assert_cmpuint(n1, cmp, n2) G_STMT_START {                            \
        guint64 dm_n1_ = (n1), dm_n2_ = (n2);                                   \
        dm_checks_run++;                                                        \
        if (dm_n1_ cmp dm_n2_) ; else                                           \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC,                      \
                "assertion failed (%s): (%" G_GUINT64_FORMAT " %s %" G_GUINT64_FORMAT ")", \
                #n1 " " #cmp " " #n2, dm_n1_, #cmp, dm_n2_);                    \
    } G_STMT_END
#undef g_assert_cmpfloat
#define g_assert_cmpfloat(n1, cmp, n2) G_STMT_START {                           \
        long double dm_n1_ = (long double)(n1), dm_n2_ = (long double)(n2);     \
        dm_checks_run++;                                                        \
        if (dm_n1_ cmp dm_n2_) ; else                                           \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC,                      \
                "assertion failed (%s): (%.9Lg %s %.9Lg)",                       \
                #n1 " " #cmp " " #n2, dm_n1_, #cmp, dm_n2_);                    \
    } G_STMT_END
#undef g_assert_cmpstr
#define g_assert_cmpstr(s1, cmp, s2) G_STMT_START {                             \
        const char *dm_s1_ = (s1), *dm_s2_ = (s2);                              \
        dm_checks_run++;                                                        \
        if (g_strcmp0(dm_s1_, dm_s2_) cmp 0) ; else                             \
            g_assertion_message_cmpstr(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                #s1 " " #cmp " " #s2, dm_s1_, #cmp, dm_s2_);                    \
    } G_STMT_END
#undef g_assert_cmpmem
#define g_assert_cmpmem(m1, l1, m2, l2) G_STMT_START {                          \
        gconstpointer dm_m1_ = (m1), dm_m2_ = (m2);                             \
        gsize dm_l1_ = (l1), dm_l2_ = (l2);                                     \
        dm_checks_run++;                                                        \
        if (dm_l1_ != dm_l2_)                                                   \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC,                      \
                "assertion failed (%s): len %" G_GSIZE_FORMAT " != %" G_GSIZE_FORMAT, \
                #l1 " == " #l2, dm_l1_, dm_l2_);                                \
        else if (dm_l1_ && memcmp(dm_m1_, dm_m2_, dm_l1_) != 0)                 \
            dm_check_failed(__FILE__, __LINE__, G_STRFUNC,                      \
                "assertion failed (%s)", "memcmp (" #m1 ", " #m2 ", " #l1 ") == 0"); \
    } G_STMT_END

static inline dm_addr
A(const char *s)
{
    dm_addr a;
    memset(&a, 0, sizeof a);
    if (strchr(s, ':')) {
        a.family = 6;
        g_assert_cmpint(inet_pton(AF_INET6, s, a.bytes), ==, 1);
    } else {
        a.family = 4;
        g_assert_cmpint(inet_pton(AF_INET, s, a.bytes), ==, 1);
    }
    return a;
}

static inline dm_flow
FL(dm_transport t, const char *c, guint16 cp, const char *s, guint16 sp)
{
    dm_flow f;
    memset(&f, 0, sizeof f);
    f.transport = t;
    f.client = A(c);
    f.server = A(s);
    f.client_port = cp;
    f.server_port = sp;
    return f;
}

static inline dm_config
fx_config(double timeout, double window, double slow, double lookup_window)
{
    /* Wireshark's own DNS retransmission timer: its default, 5 s. */
    dm_config c = { timeout, window, slow, lookup_window, 5.0 };
    return c;
}

typedef struct {
    dm_tracker *tr;
    dm_lookups *ls;
    guint32 frame;              /* last frame begun */
    gboolean begun;
    dm_time base;               /* added to the times (seconds) helpers take */
} fx;

static inline void
fx_init_cfg(fx *f, const dm_config *c)
{
    memset(f, 0, sizeof *f);
    f->tr = dm_tracker_new(c);
    f->ls = dm_lookups_new(f->tr, c->lookup_window);
}

/* timeout = retransmit window = lookup window = 5 s, slow 500 ms */
static inline void
fx_init(fx *f)
{
    dm_config c = fx_config(5, 5, 0.5, 5);
    fx_init_cfg(f, &c);
}

static inline void
fx_clear(fx *f)
{
    dm_lookups_free(f->ls);
    dm_tracker_free(f->tr);
    memset(f, 0, sizeof *f);
}

/* How often a settle log (the tracker's or the lookups') names id. */
static inline guint
fx_count_in_log(const guint32 *log, guint32 n, guint32 id)
{
    guint c = 0;
    for (guint32 i = 0; i < n; i++)
        c += log[i] == id;
    return c;
}

static inline guint
fx_txn_logged(const fx *f, guint32 txn)
{
    const guint32 *log;
    guint32 n = dm_tracker_settled(f->tr, &log);
    return fx_count_in_log(log, n, txn);
}

static inline guint
fx_lookup_logged(const fx *f, guint32 id)
{
    const guint32 *log;
    guint32 n = dm_lookups_settled(f->ls, &log);
    return fx_count_in_log(log, n, id);
}

/* Starts frame `frame` at time t unless it is the frame already begun. */
static inline void
fx_frame(fx *f, guint32 frame, dm_time t)
{
    if (f->begun && f->frame == frame)
        return;
    dm_tracker_begin_frame(f->tr, frame, t);
    f->frame = frame;
    f->begun = TRUE;
}

/* A frame with nothing dnsmon cares about: time passes. */
static inline void
fx_tick(fx *f, guint32 frame, double t)
{
    fx_frame(f, frame, f->base + S(t));
}

static inline dm_dns_msg
fx_msg(guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name, guint16 type)
{
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = frame;
    m.ts = S(t);
    m.flow = *fl;
    m.id = id;
    m.q.name = name;
    m.q.type = type;
    m.q.klass = 1;
    m.rd = TRUE;                /* a stub asks for recursion (RD=0: a resolver iterating) */
    return m;
}

/* Feeds a prepared message (its time as it is, without base); returns the
 * id of the item it made. */
static inline guint32
fx_query_msg(fx *f, const dm_dns_msg *m)
{
    fx_frame(f, m->frame, m->ts);
    dm_tracker_query(f->tr, m);
    return dm_tracker_item_count(f->tr);
}

static inline guint32
fx_response_msg(fx *f, const dm_dns_msg *m)
{
    fx_frame(f, m->frame, m->ts);
    dm_tracker_response(f->tr, m);
    return dm_tracker_item_count(f->tr);
}

static inline guint32
fx_query(fx *f, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name,
         guint16 type)
{
    dm_dns_msg m = fx_msg(frame, t, fl, id, name, type);
    m.ts += f->base;
    return fx_query_msg(f, &m);
}

/* fl is the transaction's flow (client -> server), as for the query. */
static inline guint32
fx_response(fx *f, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name,
            guint16 type, guint8 rcode, guint16 ancount, gboolean tc)
{
    dm_dns_msg m = fx_msg(frame, t, fl, id, name, type);
    m.ts += f->base;
    m.rcode = rcode;
    m.ancount = ancount;
    m.tc = tc;
    return fx_response_msg(f, &m);
}

/* An answer with one record. */
static inline guint32
fx_answer(fx *f, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name,
          guint16 type)
{
    return fx_response(f, frame, t, fl, id, name, type, 0, 1, FALSE);
}

/* ICMP error quoting a packet of flow fl: the query (client -> server), or
 * with quotes_response the response. id < 0: the quote lacks the DNS header
 * (IP header + 8 bytes). name may be NULL. */
typedef struct {
    guint8 version, type, code;
    const char *reporter;
    gboolean quotes_response;
    int id;
    const char *name;
    guint16 qtype;
    gboolean syn;
} fx_icmp_opts;

static inline gboolean
fx_icmp_full(fx *f, guint32 frame, double t, const dm_flow *fl, const fx_icmp_opts *o)
{
    dm_icmp_msg m;
    memset(&m, 0, sizeof m);
    m.frame = frame;
    m.ts = f->base + S(t);
    m.version = o->version ? o->version : (fl->client.family == 6 ? 6 : 4);
    m.type = o->type;
    m.code = o->code;
    m.reporter = A(o->reporter);
    m.transport = fl->transport;
    if (o->quotes_response) {
        m.src = fl->server;
        m.dst = fl->client;
        m.sport = fl->server_port;
        m.dport = fl->client_port;
    } else {
        m.src = fl->client;
        m.dst = fl->server;
        m.sport = fl->client_port;
        m.dport = fl->server_port;
    }
    m.tcp_syn = o->syn;
    if (o->id >= 0) {
        m.has_id = TRUE;
        m.id = (guint16)o->id;
        m.qr = o->quotes_response;
        m.q.name = o->name;
        m.q.type = o->qtype;
        m.q.klass = o->name ? 1 : 0;
    }
    fx_frame(f, frame, m.ts);
    return dm_tracker_icmp(f->tr, &m);
}

/* ICMPv4 (or v6 for IPv6 flows) port unreachable quoting the whole query. */
static inline gboolean
fx_port_unreachable(fx *f, guint32 frame, double t, const dm_flow *fl, const char *reporter,
                    int id, const char *name, guint16 qtype)
{
    gboolean v6 = fl->client.family == 6;
    fx_icmp_opts o = { v6 ? 6 : 4, v6 ? 1 : 3, v6 ? 4 : 3, reporter, FALSE, id, name, qtype,
                       FALSE };
    return fx_icmp_full(f, frame, t, fl, &o);
}

enum { FX_SYN = 1, FX_ACK = 2, FX_RST = 4, FX_FIN = 8 };

/* What a packet of an encrypted connection shows in the clear, as
 * extract_encrypted.c fills dm_tcp_seg from its bytes: TCP flags (for
 * QUIC: syn = a client Initial without 1-RTT, syn and ack = any server
 * packet), a hello, an alert, how many encrypted records (TLS 23) or
 * 1-RTT packets, and whether a ClientHello offering ALPN "dot" opens a
 * DNS-over-TLS attempt on another port than 853. */
typedef struct {
    guint flags;                /* FX_* */
    gboolean hello, tls13, alert;
    guint8 alert_level, alert_desc;
    guint8 encrypted;
    gboolean opens;
} fx_enc;

static inline void
fx_seg(fx *f, guint32 frame, double t, const dm_flow *fl, gboolean from_client, const fx_enc *c)
{
    dm_tcp_seg s;
    memset(&s, 0, sizeof s);
    s.frame = frame;
    s.ts = f->base + S(t);
    s.flow = *fl;
    s.from_client = from_client;
    s.syn = (c->flags & FX_SYN) != 0;
    s.ack = (c->flags & FX_ACK) != 0;
    s.rst = (c->flags & FX_RST) != 0;
    s.fin = (c->flags & FX_FIN) != 0;
    s.hello = c->hello;
    s.tls13 = c->tls13;
    s.alert = c->alert;
    s.alert_level = c->alert_level;
    s.alert_desc = c->alert_desc;
    s.encrypted = c->encrypted;
    s.opens = c->opens;
    fx_frame(f, frame, s.ts);
    dm_tracker_tcp(f->tr, &s);
}

static inline void
fx_tcp(fx *f, guint32 frame, double t, const dm_flow *fl, gboolean from_client, guint flags)
{
    fx_enc c = { .flags = flags };
    fx_seg(f, frame, t, fl, from_client, &c);
}

static inline const dm_txn *
fx_txn(const fx *f, guint32 n)
{
    const dm_txn *t = dm_tracker_txn(f->tr, n);
    g_assert_nonnull(t);
    return t;
}

static inline dm_outcome
fx_outcome(const fx *f, guint32 n)
{
    return dm_txn_outcome(f->tr, fx_txn(f, n));
}

static inline const dm_txn_ext *
fx_ext(const fx *f, guint32 n)
{
    return dm_tracker_ext(f->tr, fx_txn(f, n));
}

/* The k-th (0-based) item of a frame; fails when there is none. */
static inline const dm_item *
fx_item(const fx *f, guint32 frame, guint k)
{
    guint32 first = 0;
    guint n = dm_tracker_frame_items(f->tr, frame, &first);
    g_assert_cmpuint(k, <, n);
    return dm_tracker_item(f->tr, first + k);
}

static inline guint
fx_nitems(const fx *f, guint32 frame)
{
    guint32 first = 0;
    return dm_tracker_frame_items(f->tr, frame, &first);
}

static inline const dm_lookup *
fx_lookup_of(const fx *f, guint32 txn)
{
    guint32 id = dm_lookups_of(f->ls, txn);
    g_assert_cmpuint(id, !=, 0);
    return dm_lookups_get(f->ls, id);
}

static inline dm_lookup_outcome
fx_lookup_outcome(const fx *f, guint32 txn)
{
    return dm_lookup_outcome_of(f->ls, fx_lookup_of(f, txn));
}

#define assert_outcome(f, n, o)                                                     \
    g_assert_cmpstr(dm_outcome_name(fx_outcome((f), (n))), ==, dm_outcome_name(o))
#define assert_lookup(f, n, o)                                                      \
    g_assert_cmpstr(dm_lookup_outcome_name(fx_lookup_outcome((f), (n))), ==,        \
                    dm_lookup_outcome_name(o))

#endif
