/* test_report.c — the ledger (counts that follow outcomes) and the incident
 * report, driven directly from a tracker.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <arpa/inet.h>

#include "dnsmon_report.h"

static const dm_config cfg = { 5.0, 5.0, 0.5 };

static dm_flow
seed_flow(void)
{
    dm_flow f;
    memset(&f, 0, sizeof f);
    f.transport = DM_UDP;
    f.client.family = f.server.family = 4;
    inet_pton(AF_INET, "192.51.100.15", f.client.bytes);
    inet_pton(AF_INET, "203.0.113.2", f.server.bytes);
    f.client_port = 52444;
    f.server_port = 53;
    return f;
}

/* The incident: three queries two minutes apart, each refused by the server's
 * own ICMP port unreachable. 2026-11-27 13:24:32.192571 UTC onwards. */
static dm_tracker *
seed_tracker(void)
{
    static const double q[] = { 0, 120, 240 }, e[] = { 3.905993, 163.741555, 257.830396 };
    const dm_time base = G_GINT64_CONSTANT(1795785872192571000);
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_flow f = seed_flow();
    for (int i = 0; i < 3; i++) {
        dm_dns_msg m;
        memset(&m, 0, sizeof m);
        m.frame = 2 * i + 1;
        m.ts = base + (dm_time)(q[i] * 1e9);
        m.flow = f;
        m.id = 35084;
        m.q.name = "yummyrecipesforme.com";
        m.q.type = 1;
        m.q.klass = 1;
        dm_tracker_query(tr, &m);
        dm_tracker_mark_frame(tr, m.frame, m.ts);
        dm_icmp_msg ic;
        memset(&ic, 0, sizeof ic);
        ic.frame = 2 * i + 2;
        ic.ts = base + (dm_time)(e[i] * 1e9);
        ic.version = 4;
        ic.type = 3;
        ic.code = 3;
        ic.reporter = f.server;
        ic.transport = DM_UDP;
        ic.src = f.client;
        ic.dst = f.server;
        ic.sport = 52444;
        ic.dport = 53;
        ic.has_id = ic.has_qr = TRUE;
        ic.id = 35084;
        dm_tracker_icmp(tr, &ic);
        dm_tracker_mark_frame(tr, ic.frame, ic.ts);
    }
    return tr;
}

static void
test_ranges(void)
{
    static const guint32 in[] = { 9, 1, 2, 3, 7, 10, 3 };
    GArray *a = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_array_append_vals(a, in, G_N_ELEMENTS(in));
    GString *s = g_string_new("frames ");
    dm_frames_to_ranges(a, s);
    g_assert_cmpstr(s->str, ==, "frames 1-3,7,9-10");
    g_string_free(s, TRUE);
    g_array_free(a, TRUE);
}

static void
test_seed_report(void)
{
    dm_tracker *tr = seed_tracker();
    g_assert_cmpuint(dm_tracker_txn_count(tr), ==, 3);
    GString *out = g_string_new(NULL);
    dm_report_write(tr, NULL, out);
    g_test_message("%s", out->str);
    static const char *const want[] = {
        "3 DNS transactions, 3 failed, 1 server affected.",
        "Finding 1: DNS over UDP to 203.0.113.2 port 53\n",
        "What failed:  3 of 3 transactions (3 of 3 queries sent) for yummyrecipesforme.com (A): "
        "3 answered only by ICMP port unreachable.",
        "ICMP port unreachable from 203.0.113.2 (the server itself), 3 times.",
        "Likely cause: no DNS service listening on 203.0.113.2 udp/53.",
        "When:         2026-11-27 13:24:32 to 13:28:50 UTC",
        "Evidence:     frames 1-6",
        "Healthy traffic: none",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_nonnull(strstr(out->str, want[i]));
    g_string_free(out, TRUE);
    dm_tracker_free(tr);
}

typedef struct {
    int count[DM_OUTCOME_COUNT];
    int calls;
} tally;

static void
count_fn(void *user, const dm_txn *t, int old, dm_outcome now)
{
    tally *y = user;
    y->calls++;
    if (old != DM_NOT_COUNTED)
        y->count[old]--;
    y->count[now]++;
}

/* One pass: a query counts as incomplete, then moves when its fate is known. */
static void
test_ledger_moves(void)
{
    dm_tracker *tr = dm_tracker_new(&cfg);
    dm_ledger *l = dm_ledger_new();
    tally y = { { 0 }, 0 };
    dm_flow f = seed_flow();
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = 1;
    m.flow = f;
    m.id = 1;
    m.q.name = "a.example";
    m.q.type = 1;
    const dm_item *q = dm_tracker_query(tr, &m);
    dm_tracker_mark_frame(tr, 1, 0);
    dm_ledger_update(l, tr, q->txn, count_fn, &y);
    g_assert_cmpint(y.count[DM_OUTCOME_INCOMPLETE], ==, 1);

    m.frame = 2;
    m.id = 2;
    m.ts = 1 * DM_NS_PER_SEC;
    const dm_item *q2 = dm_tracker_query(tr, &m);
    dm_tracker_mark_frame(tr, 2, m.ts);
    dm_ledger_update(l, tr, q2->txn, count_fn, &y);
    g_assert_cmpint(y.count[DM_OUTCOME_INCOMPLETE], ==, 2);

    /* Time passes in frames that are not DNS: txn 1 times out. */
    dm_tracker_mark_frame(tr, 3, 5 * DM_NS_PER_SEC);
    dm_ledger_update(l, tr, NULL, count_fn, &y);
    g_assert_cmpint(y.count[DM_OUTCOME_UNANSWERED], ==, 1);
    g_assert_cmpint(y.count[DM_OUTCOME_INCOMPLETE], ==, 1);

    /* A late answer to txn 2. */
    m.frame = 4;
    m.ts = 5500 * (DM_NS_PER_SEC / 1000);
    m.ancount = 1;
    const dm_item *r = dm_tracker_response(tr, &m);
    dm_tracker_mark_frame(tr, 4, m.ts);
    dm_ledger_update(l, tr, r->txn, count_fn, &y);
    g_assert_cmpint(y.count[DM_OUTCOME_ANSWERED], ==, 1);
    g_assert_cmpint(y.count[DM_OUTCOME_INCOMPLETE], ==, 0);
    g_assert_cmpint(y.count[DM_OUTCOME_UNANSWERED], ==, 1);
    g_assert_cmpint(dm_ledger_counted(l, q->txn), ==, DM_OUTCOME_UNANSWERED);

    /* A second listener that starts late (-2: taps in the second pass) sees
     * the final outcomes straight away. */
    dm_ledger *late = dm_ledger_new();
    tally z = { { 0 }, 0 };
    dm_ledger_update(late, tr, q->txn, count_fn, &z);
    dm_ledger_update(late, tr, q2->txn, count_fn, &z);
    g_assert_cmpint(z.count[DM_OUTCOME_UNANSWERED], ==, 1);
    g_assert_cmpint(z.count[DM_OUTCOME_ANSWERED], ==, 1);
    g_assert_cmpint(z.count[DM_OUTCOME_INCOMPLETE], ==, 0);

    /* A filtered listener never counts a transaction none of whose frames it saw. */
    dm_ledger *filtered = dm_ledger_new();
    tally w = { { 0 }, 0 };
    dm_ledger_update(filtered, tr, q2->txn, count_fn, &w);
    dm_ledger_update(filtered, tr, NULL, count_fn, &w);
    g_assert_cmpint(dm_ledger_counted(filtered, q->txn), ==, DM_NOT_COUNTED);
    g_assert_cmpint(w.count[DM_OUTCOME_ANSWERED], ==, 1);
    g_assert_cmpint(w.count[DM_OUTCOME_UNANSWERED], ==, 0);

    dm_ledger_free(filtered);
    dm_ledger_free(late);
    dm_ledger_free(l);
    dm_tracker_free(tr);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/report/ranges", test_ranges);
    g_test_add_func("/report/seed", test_seed_report);
    g_test_add_func("/ledger/moves", test_ledger_moves);
    return g_test_run();
}
