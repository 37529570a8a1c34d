/* test_tracker.c — the tracker's rules (SPEC.md), driven directly, no epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <arpa/inet.h>

#include "dnsmon_tracker.h"

#define S(x) ((dm_time)((x) * 1e9 + 0.5))

static const dm_config cfg = { 5.0, 5.0, 0.5 };

static dm_addr
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

static dm_flow
flow(dm_transport t, const char *c, guint16 cp, const char *s, guint16 sp)
{
    dm_flow f = { t, A(c), A(s), cp, sp };
    return f;
}

static dm_flow F1;      /* 198.51.100.10:40000 -> 203.0.113.2:53 over UDP */

static const dm_item *
query(dm_tracker *tr, guint32 frame, double t, const dm_flow *f, guint16 id, const char *name,
      guint16 type)
{
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = frame;
    m.ts = S(t);
    m.flow = *f;
    m.id = id;
    m.q.name = name;
    m.q.type = type;
    m.q.klass = 1;
    const dm_item *it = dm_tracker_query(tr, &m);
    dm_tracker_mark_frame(tr, frame, m.ts);
    return it;
}

static const dm_item *
response(dm_tracker *tr, guint32 frame, double t, const dm_flow *f, guint16 id, const char *name,
         guint16 type, guint8 rcode, guint16 ancount, gboolean tc)
{
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = frame;
    m.ts = S(t);
    m.flow = *f;
    m.id = id;
    m.q.name = name;
    m.q.type = type;
    m.q.klass = 1;
    m.rcode = rcode;
    m.ancount = ancount;
    m.tc = tc;
    const dm_item *it = dm_tracker_response(tr, &m);
    dm_tracker_mark_frame(tr, frame, m.ts);
    return it;
}

/* An ICMP error from `reporter` quoting a query of flow f (or, with
 * quotes_response, the response). id < 0: the quote stops after UDP. */
static const dm_item *
icmp(dm_tracker *tr, guint32 frame, double t, guint8 version, guint8 type, guint8 code,
     const char *reporter, const dm_flow *f, gboolean quotes_response, int id)
{
    dm_icmp_msg m;
    memset(&m, 0, sizeof m);
    m.frame = frame;
    m.ts = S(t);
    m.version = version;
    m.type = type;
    m.code = code;
    m.reporter = A(reporter);
    m.transport = f->transport;
    if (quotes_response) {
        m.src = f->server; m.dst = f->client; m.sport = f->server_port; m.dport = f->client_port;
    } else {
        m.src = f->client; m.dst = f->server; m.sport = f->client_port; m.dport = f->server_port;
    }
    if (id >= 0) {
        m.has_id = m.has_qr = TRUE;
        m.id = (guint16)id;
        m.qr = quotes_response;
    }
    const dm_item *it = dm_tracker_icmp(tr, &m);
    dm_tracker_mark_frame(tr, frame, m.ts);
    return it;
}

static dm_outcome
outcome(dm_tracker *tr, guint num)
{
    return dm_txn_outcome(tr, dm_tracker_txn(tr, num));
}

static void
tick(dm_tracker *tr, guint32 frame, double t)
{
    dm_tracker_mark_frame(tr, frame, S(t));
}

/* ---- responses and rcodes ---------------------------------------------- */

static void
test_answered_rtt(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    const dm_item *q = query(tr, 1, 10.0, &F1, 7, "example.org", 1);
    const dm_item *r = response(tr, 2, 10.25, &F1, 7, "example.org", 1, 0, 1, FALSE);
    g_assert_true(q->txn == r->txn);
    g_assert_cmpuint(q->txn->num, ==, 1);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_ANSWERED);
    dm_time rtt;
    g_assert_true(dm_txn_rtt(q->txn, &rtt));
    g_assert_cmpint(rtt, ==, S(0.25));
    g_assert_cmpuint(r->flags & (DM_F_SLOW | DM_F_LATE | DM_F_DUPLICATE), ==, 0);
    dm_tracker_free(tr);
}

static void
test_rcodes(void)
{
    static const struct { guint8 rcode; guint16 an; dm_outcome o; } cases[] = {
        { 0, 2, DM_OUTCOME_ANSWERED }, { 0, 0, DM_OUTCOME_NODATA }, { 3, 0, DM_OUTCOME_NXDOMAIN },
        { 2, 0, DM_OUTCOME_SERVFAIL }, { 5, 0, DM_OUTCOME_REFUSED }, { 1, 0, DM_OUTCOME_ERROR },
        { 4, 0, DM_OUTCOME_ERROR },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        dm_tracker *tr = dm_tracker_new(&cfg);
        query(tr, 1, 1.0, &F1, 9, "a.example", 1);
        response(tr, 2, 1.1, &F1, 9, "a.example", 1, cases[i].rcode, cases[i].an, FALSE);
        g_assert_cmpint(outcome(tr, 1), ==, cases[i].o);
        g_assert_cmpint(dm_outcome_is_failure(cases[i].o), ==,
                        cases[i].o != DM_OUTCOME_ANSWERED && cases[i].o != DM_OUTCOME_NODATA);
        dm_tracker_free(tr);
    }
}

static void
test_response_without_question(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 1.0, &F1, 9, "a.example", 1);
    const dm_item *r = response(tr, 2, 1.1, &F1, 9, NULL, 0, 5, 0, FALSE);
    g_assert_nonnull(r->txn);
    g_assert_cmpuint(r->flags & DM_F_MISMATCH, ==, 0);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_REFUSED);
    dm_tracker_free(tr);
}

static void
test_duplicate_and_unsolicited(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 1.0, &F1, 9, "a.example", 1);
    response(tr, 2, 1.1, &F1, 9, "a.example", 1, 0, 1, FALSE);
    const dm_item *d = response(tr, 3, 1.2, &F1, 9, "a.example", 1, 2, 0, FALSE);
    g_assert_true(d->flags & DM_F_DUPLICATE);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_ANSWERED);   /* the first decides */
    const dm_item *u = response(tr, 4, 1.3, &F1, 10, "a.example", 1, 0, 1, FALSE);
    g_assert_null(u->txn);
    g_assert_true(u->flags & DM_F_UNSOLICITED);
    g_assert_cmpuint(dm_tracker_txn_count(tr), ==, 1);
    dm_tracker_free(tr);
}

static void
test_question_mismatch(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 1.0, &F1, 9, "bank.example", 1);
    const dm_item *bad = response(tr, 2, 1.01, &F1, 9, "evil.example", 1, 0, 1, FALSE);
    g_assert_true(bad->txn != NULL);
    g_assert_true(bad->flags & DM_F_MISMATCH);
    tick(tr, 3, 20.0);
    /* A spoofed answer does not answer the query. */
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_UNANSWERED);
    dm_tracker_free(tr);

    tr = dm_tracker_new(&cfg);
    query(tr, 1, 1.0, &F1, 9, "bank.example", 1);
    response(tr, 2, 1.01, &F1, 9, "evil.example", 1, 0, 1, FALSE);
    const dm_item *good = response(tr, 3, 1.05, &F1, 9, "BANK.example", 1, 0, 1, FALSE);
    g_assert_cmpuint(good->flags & (DM_F_MISMATCH | DM_F_DUPLICATE), ==, 0);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_ANSWERED);
    dm_tracker_free(tr);
}

static void
test_slow_and_late(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 1, "a.example", 1);
    const dm_item *slow = response(tr, 2, 1.4, &F1, 1, "a.example", 1, 0, 1, FALSE);
    query(tr, 3, 10.0, &F1, 2, "b.example", 1);
    const dm_item *late = response(tr, 4, 16.0, &F1, 2, "b.example", 1, 3, 0, FALSE);
    query(tr, 5, 20.0, &F1, 3, "c.example", 1);
    const dm_item *fast = response(tr, 6, 20.5, &F1, 3, "c.example", 1, 0, 1, FALSE);
    g_assert_true(slow->flags & DM_F_SLOW);
    g_assert_false(slow->flags & DM_F_LATE);
    g_assert_true(late->flags & DM_F_LATE);
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_NXDOMAIN);     /* late keeps the rcode */
    g_assert_cmpuint(fast->flags & (DM_F_SLOW | DM_F_LATE), ==, 0); /* at the threshold: not slow */
    dm_tracker_free(tr);
}

/* ---- retransmissions --------------------------------------------------- */

static void
test_retransmission_window(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    const dm_item *a1 = query(tr, 1, 0.0, &F1, 5, "a.example", 1);
    const dm_item *a2 = query(tr, 2, 5.0, &F1, 5, "a.example", 1);     /* exactly the window */
    const dm_item *a3 = query(tr, 3, 10.0, &F1, 5, "a.example", 1);    /* 5 s after attempt 2 */
    const dm_item *n = query(tr, 4, 15.000000001, &F1, 5, "a.example", 1);
    g_assert_true(a1->txn == a2->txn && a2->txn == a3->txn);
    g_assert_cmpuint(a2->attempt, ==, 2);
    g_assert_cmpuint(a3->attempt, ==, 3);
    g_assert_true(a2->flags & DM_F_RETRANSMISSION);
    g_assert_false(a1->flags & DM_F_RETRANSMISSION);
    g_assert_true(n->txn != a1->txn);
    g_assert_cmpuint(n->attempt, ==, 1);
    g_assert_cmpuint(dm_tracker_txn_count(tr), ==, 2);
    /* A response goes to the newest transaction with the key. */
    const dm_item *r = response(tr, 5, 15.1, &F1, 5, "a.example", 1, 0, 1, FALSE);
    g_assert_true(r->txn == n->txn);
    tick(tr, 6, 30.0);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_UNANSWERED);
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_ANSWERED);
    dm_tracker_free(tr);
}

static void
test_retransmission_needs_same_question_and_no_response(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 5, "a.example", 1);
    const dm_item *other = query(tr, 2, 1.0, &F1, 5, "a.example", 28);  /* other type */
    g_assert_cmpuint(other->txn->num, ==, 2);
    response(tr, 3, 1.1, &F1, 5, "a.example", 28, 0, 1, FALSE);
    /* txn 2 has its response: a repeat of it now is a new transaction. */
    const dm_item *again = query(tr, 4, 1.2, &F1, 5, "a.example", 28);
    g_assert_cmpuint(again->txn->num, ==, 3);
    /* txn 1 is still open: its question repeated is attempt 2 of it. */
    const dm_item *rtx = query(tr, 5, 1.3, &F1, 5, "a.example", 1);
    g_assert_cmpuint(rtx->txn->num, ==, 1);
    g_assert_cmpuint(rtx->attempt, ==, 2);
    dm_tracker_free(tr);
}

static void
test_retry_after_icmp_then_answer(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 5, "a.example", 1);
    icmp(tr, 2, 0.01, 4, 3, 3, "203.0.113.2", &F1, FALSE, 5);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_REJECTED);
    const dm_item *a2 = query(tr, 3, 1.0, &F1, 5, "a.example", 1);
    g_assert_cmpuint(a2->attempt, ==, 2);
    response(tr, 4, 1.1, &F1, 5, "a.example", 1, 0, 1, FALSE);
    /* A response decides, even when ICMP errors hit earlier attempts. */
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_ANSWERED);
    dm_tracker_free(tr);
}

/* ---- ICMP errors ------------------------------------------------------- */

static void
test_icmp_port_unreachable_from_server(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 35084, "yummyrecipesforme.com", 1);
    const dm_item *e = icmp(tr, 2, 3.9, 4, 3, 3, "203.0.113.2", &F1, FALSE, 35084);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->txn->num, ==, 1);
    g_assert_cmpint(e->icmp.kind, ==, DM_ICMP_PORT_UNREACHABLE);
    g_assert_true(e->icmp.from_server);
    g_assert_false(e->icmp.quotes_response);
    g_assert_cmpuint(e->icmp.quoted_frame, ==, 1);
    tick(tr, 3, 100.0);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_REJECTED);
    char *cause = dm_icmp_cause(e->txn, dm_txn_first_icmp_on_query(e->txn));
    g_assert_cmpstr(cause, ==, "ICMP port unreachable from 203.0.113.2 (the server itself): "
                               "no DNS service listening on udp/53");
    g_free(cause);
    dm_tracker_free(tr);
}

static void
test_icmp_from_router(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 1, "a.example", 1);
    const dm_item *e = icmp(tr, 2, 0.1, 4, 3, 13, "198.51.100.1", &F1, FALSE, 1);
    g_assert_cmpint(e->icmp.kind, ==, DM_ICMP_ADMIN_PROHIBITED);
    g_assert_false(e->icmp.from_server);
    char *cause = dm_icmp_cause(e->txn, &e->icmp);
    g_assert_nonnull(strstr(cause, "198.51.100.1 (a router or firewall on the path)"));
    g_assert_nonnull(strstr(cause, "blocked by policy"));
    g_free(cause);
    dm_tracker_free(tr);
}

static void
test_icmp_quote_with_id_picks_that_id(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 100, "a.example", 1);
    query(tr, 2, 0.1, &F1, 200, "b.example", 1);
    const dm_item *e = icmp(tr, 3, 0.2, 4, 3, 3, "203.0.113.2", &F1, FALSE, 100);
    g_assert_cmpuint(e->txn->num, ==, 1);
    tick(tr, 4, 20.0);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_REJECTED);
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_UNANSWERED);
    dm_tracker_free(tr);
}

static void
test_icmp_truncated_quote_goes_to_newest(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 100, "a.example", 1);
    query(tr, 2, 0.1, &F1, 200, "b.example", 1);
    const dm_item *e = icmp(tr, 3, 0.2, 4, 3, 1, "198.51.100.1", &F1, FALSE, -1);
    g_assert_cmpuint(e->txn->num, ==, 2);
    g_assert_true(e->flags & DM_F_SHORT_QUOTE);
    g_assert_cmpint(e->icmp.kind, ==, DM_ICMP_HOST_UNREACHABLE);
    g_assert_cmpuint(e->icmp.quoted_frame, ==, 2);
    dm_tracker_free(tr);
}

static void
test_icmp_quotes_attempt_sent_before_it(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 1, "a.example", 1);
    query(tr, 2, 1.0, &F1, 1, "a.example", 1);
    const dm_item *e = icmp(tr, 3, 1.01, 4, 3, 3, "203.0.113.2", &F1, FALSE, 1);
    g_assert_cmpuint(e->icmp.quoted_frame, ==, 2);
    dm_tracker_free(tr);
}

static void
test_icmp_unknown_flows(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_flow dns = flow(DM_UDP, "198.51.100.10", 5000, "203.0.113.7", 53);
    dm_flow web = flow(DM_UDP, "198.51.100.10", 5000, "203.0.113.7", 8080);
    const dm_item *e = icmp(tr, 1, 0.0, 4, 3, 3, "203.0.113.7", &dns, FALSE, -1);
    g_assert_nonnull(e);
    g_assert_null(e->txn);
    g_assert_true(e->flags & DM_F_UNMATCHED);
    g_assert_null(icmp(tr, 2, 0.1, 4, 3, 3, "203.0.113.7", &web, FALSE, -1));  /* not DNS */
    g_assert_null(icmp(tr, 3, 0.2, 4, 8, 0, "203.0.113.7", &dns, FALSE, -1));  /* echo request */
    g_assert_cmpuint(dm_tracker_txn_count(tr), ==, 0);
    dm_tracker_free(tr);
}

static void
test_icmp_bounced_response(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 1, "a.example", 1);
    query(tr, 2, 1.0, &F1, 1, "a.example", 1);
    response(tr, 3, 6.5, &F1, 1, "a.example", 1, 0, 1, FALSE);
    const dm_item *e = icmp(tr, 4, 6.5001, 4, 3, 3, "198.51.100.10", &F1, TRUE, 1);
    g_assert_true(e->flags & DM_F_BOUNCED);
    g_assert_true(e->icmp.quotes_response);
    g_assert_false(e->icmp.from_server);
    g_assert_cmpuint(e->icmp.quoted_frame, ==, 3);
    g_assert_cmpuint(e->txn->num, ==, 1);
    /* A bounced response is still a response: it decides, and is late. */
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_ANSWERED);
    g_assert_true(dm_txn_answer(e->txn)->flags & DM_F_LATE);
    g_assert_null(dm_txn_first_icmp_on_query(e->txn));
    /* Without DNS flags in the quote, the known flow tells the direction. */
    const dm_item *t = icmp(tr, 5, 6.6, 4, 3, 3, "198.51.100.10", &F1, TRUE, -1);
    g_assert_true(t->icmp.quotes_response);
    dm_tracker_free(tr);
}

static void
test_icmp_nat_fallback(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_flow asked = flow(DM_UDP, "198.51.100.10", 32817, "198.51.100.1", 53);
    dm_flow forwarded = flow(DM_UDP, "198.51.100.10", 32817, "203.0.113.50", 53);
    query(tr, 1, 0.0, &asked, 0x5e9a, "a.example", 28);
    const dm_item *e = icmp(tr, 2, 0.02, 4, 3, 3, "203.0.113.50", &forwarded, FALSE, 0x5e9a);
    g_assert_nonnull(e->txn);
    g_assert_true(e->flags & DM_F_VIA_NAT);
    g_assert_true(e->icmp.from_server);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_REJECTED);
    /* Without the DNS ID the quote names no query: unmatched. */
    const dm_item *u = icmp(tr, 3, 0.03, 4, 3, 3, "203.0.113.50", &forwarded, FALSE, -1);
    g_assert_null(u->txn);
    dm_tracker_free(tr);
}

static void
test_icmp_classification(void)
{
    g_assert_cmpint(dm_icmp_classify(4, 3, 3), ==, DM_ICMP_PORT_UNREACHABLE);
    g_assert_cmpint(dm_icmp_classify(4, 3, 1), ==, DM_ICMP_HOST_UNREACHABLE);
    g_assert_cmpint(dm_icmp_classify(4, 3, 0), ==, DM_ICMP_NET_UNREACHABLE);
    g_assert_cmpint(dm_icmp_classify(4, 3, 9), ==, DM_ICMP_ADMIN_PROHIBITED);
    g_assert_cmpint(dm_icmp_classify(4, 3, 10), ==, DM_ICMP_ADMIN_PROHIBITED);
    g_assert_cmpint(dm_icmp_classify(4, 3, 13), ==, DM_ICMP_ADMIN_PROHIBITED);
    g_assert_cmpint(dm_icmp_classify(4, 3, 4), ==, DM_ICMP_FRAG_NEEDED);
    g_assert_cmpint(dm_icmp_classify(4, 11, 0), ==, DM_ICMP_TTL_EXCEEDED);
    g_assert_cmpint(dm_icmp_classify(4, 12, 0), ==, DM_ICMP_OTHER);
    g_assert_cmpint(dm_icmp_classify(6, 1, 4), ==, DM_ICMP_PORT_UNREACHABLE);
    g_assert_cmpint(dm_icmp_classify(6, 1, 3), ==, DM_ICMP_HOST_UNREACHABLE);
    g_assert_cmpint(dm_icmp_classify(6, 1, 0), ==, DM_ICMP_NET_UNREACHABLE);
    g_assert_cmpint(dm_icmp_classify(6, 1, 1), ==, DM_ICMP_ADMIN_PROHIBITED);
    g_assert_cmpint(dm_icmp_classify(6, 2, 0), ==, DM_ICMP_FRAG_NEEDED);
    g_assert_cmpint(dm_icmp_classify(6, 3, 0), ==, DM_ICMP_TTL_EXCEEDED);
    g_assert_true(dm_icmp_is_error(4, 5) && dm_icmp_is_error(4, 12) && !dm_icmp_is_error(4, 0));
    g_assert_true(dm_icmp_is_error(6, 4) && !dm_icmp_is_error(6, 128));
}

static void
test_icmpv6(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_flow f6 = flow(DM_UDP, "2001:db8:1::10", 41000, "2001:db8:2::2", 53);
    query(tr, 1, 0.0, &f6, 77, "a.example", 28);
    const dm_item *e = icmp(tr, 2, 0.001, 6, 1, 4, "2001:db8:2::2", &f6, FALSE, 77);
    g_assert_cmpuint(e->txn->num, ==, 1);
    g_assert_true(e->icmp.from_server);
    char *cause = dm_icmp_cause(e->txn, &e->icmp);
    g_assert_cmpstr(cause, ==, "ICMPv6 port unreachable from 2001:db8:2::2 (the server itself): "
                               "no DNS service listening on udp/53");
    g_free(cause);
    dm_tracker_free(tr);
}

/* ---- end of capture ---------------------------------------------------- */

static void
test_incomplete_boundary(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    query(tr, 1, 0.0, &F1, 1, "a.example", 1);
    query(tr, 2, 1.0, &F1, 2, "b.example", 1);
    tick(tr, 3, 5.999999999);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_UNANSWERED);    /* 5.999 s >= 5 s */
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_INCOMPLETE);    /* 4.999 s < 5 s */
    tick(tr, 4, 6.0);
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_UNANSWERED);    /* exactly the timeout */
    dm_tracker_free(tr);
}

static void
test_change_log_follows_time(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_txn *const *log;
    query(tr, 1, 0.0, &F1, 1, "a.example", 1);
    guint n = dm_tracker_changes(tr, &log);
    g_assert_cmpuint(n, ==, 1);
    tick(tr, 2, 4.0);
    g_assert_cmpuint(dm_tracker_changes(tr, &log), ==, 1);
    tick(tr, 3, 5.0);       /* the query's timeout passes: it is logged again */
    g_assert_cmpuint(dm_tracker_changes(tr, &log), ==, 2);
    g_assert_cmpuint(log[1]->num, ==, 1);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_UNANSWERED);
    dm_tracker_free(tr);
}

/* ---- TCP --------------------------------------------------------------- */

static void
test_tcp_pipelined(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_flow t = flow(DM_TCP, "198.51.100.10", 45000, "203.0.113.2", 53);
    for (guint i = 0; i < 3; i++)
        query(tr, 10, 0.0, &t, (guint16)(100 + i), "n.example", (guint16)(1 + i));
    g_assert_cmpuint(dm_tracker_txn_count(tr), ==, 3);
    g_assert_cmpuint(dm_tracker_frame_items(tr, 10)->len, ==, 3);
    response(tr, 11, 0.1, &t, 101, "n.example", 2, 3, 0, FALSE);
    response(tr, 12, 0.1, &t, 100, "n.example", 1, 0, 1, FALSE);
    g_assert_cmpint(outcome(tr, 1), ==, DM_OUTCOME_ANSWERED);
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_NXDOMAIN);
    g_assert_cmpint(outcome(tr, 3), ==, DM_OUTCOME_INCOMPLETE);
    dm_tracker_free(tr);
}

static void
test_tc_then_tcp_retry(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_flow t = flow(DM_TCP, "198.51.100.10", 45001, "203.0.113.2", 53);
    query(tr, 1, 0.0, &F1, 1, "big.example", 16);
    const dm_item *tc = response(tr, 2, 0.01, &F1, 1, "big.example", 16, 0, 0, TRUE);
    g_assert_true(tc->flags & DM_F_TRUNCATED);
    const dm_item *q = query(tr, 5, 0.02, &t, 2, "big.example", 16);
    g_assert_true(q->txn->udp_truncated == tc->txn);
    g_assert_true(tc->txn->tcp_retry == q->txn);
    response(tr, 7, 0.03, &t, 2, "big.example", 16, 0, 5, FALSE);
    g_assert_cmpint(outcome(tr, 2), ==, DM_OUTCOME_ANSWERED);
    dm_tracker_free(tr);
}

/* ---- names ------------------------------------------------------------- */

static void
test_names(void)
{
    g_assert_cmpstr(dm_outcome_name(DM_OUTCOME_UNANSWERED), ==, "unanswered");
    g_assert_cmpstr(dm_outcome_name(DM_OUTCOME_PENDING), ==, "pending");
    g_assert_cmpstr(dm_icmp_kind_name(DM_ICMP_ADMIN_PROHIBITED), ==, "admin_prohibited");
    g_assert_cmpstr(dm_qtype_name(28), ==, "AAAA");
    g_assert_null(dm_qtype_name(4242));
    dm_addr m = A("224.0.0.251"), u = A("203.0.113.2"), m6 = A("ff02::fb");
    g_assert_true(dm_addr_is_multicast(&m) && dm_addr_is_multicast(&m6));
    g_assert_false(dm_addr_is_multicast(&u));
    char b[48];
    g_assert_cmpstr(dm_addr_to_str(&m6, b, sizeof b), ==, "ff02::fb");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    F1 = flow(DM_UDP, "198.51.100.10", 40000, "203.0.113.2", 53);
    g_test_add_func("/response/answered-rtt", test_answered_rtt);
    g_test_add_func("/response/rcodes", test_rcodes);
    g_test_add_func("/response/no-question", test_response_without_question);
    g_test_add_func("/response/duplicate-unsolicited", test_duplicate_and_unsolicited);
    g_test_add_func("/response/question-mismatch", test_question_mismatch);
    g_test_add_func("/response/slow-late", test_slow_and_late);
    g_test_add_func("/query/retransmission-window", test_retransmission_window);
    g_test_add_func("/query/retransmission-question", test_retransmission_needs_same_question_and_no_response);
    g_test_add_func("/query/retry-after-icmp", test_retry_after_icmp_then_answer);
    g_test_add_func("/icmp/port-unreachable-server", test_icmp_port_unreachable_from_server);
    g_test_add_func("/icmp/router", test_icmp_from_router);
    g_test_add_func("/icmp/quote-id", test_icmp_quote_with_id_picks_that_id);
    g_test_add_func("/icmp/truncated-quote", test_icmp_truncated_quote_goes_to_newest);
    g_test_add_func("/icmp/attempt-quoted", test_icmp_quotes_attempt_sent_before_it);
    g_test_add_func("/icmp/unknown-flows", test_icmp_unknown_flows);
    g_test_add_func("/icmp/bounced", test_icmp_bounced_response);
    g_test_add_func("/icmp/nat", test_icmp_nat_fallback);
    g_test_add_func("/icmp/classify", test_icmp_classification);
    g_test_add_func("/icmp/v6", test_icmpv6);
    g_test_add_func("/end/incomplete-boundary", test_incomplete_boundary);
    g_test_add_func("/end/change-log", test_change_log_follows_time);
    g_test_add_func("/tcp/pipelined", test_tcp_pipelined);
    g_test_add_func("/tcp/tc-retry", test_tc_then_tcp_retry);
    g_test_add_func("/names", test_names);
    return g_test_run();
}
