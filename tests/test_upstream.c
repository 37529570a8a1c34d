/* test_upstream.c — referrals, lame servers, and a resolver's failure
 * followed down to the server that caused it (docs/design.md, "Resolvers").
 *
 * The scenarios are built from the resolver's point of view: clients ask
 * 192.0.2.53 (the resolver) with RD=1; it asks the servers below with RD=0,
 * minimising (NS queries for the parents), randomising the case of names.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include "tracker_fixture.h"
#include "dnsmon_upstream.h"

#define CLI "198.51.100.10"
#define CLI2 "198.51.100.11"
#define RES "192.0.2.53"
#define ROOT "192.0.2.1"
#define TLD "192.0.2.2"
#define DEAD "192.0.2.20"
#define GOOD "192.0.2.30"

typedef struct {
    fx f;
    dm_upstream *up;
    guint16 port;               /* the resolver's next source port */
} rx;

static void
rx_init(rx *r)
{
    fx_init(&r->f);
    r->up = dm_upstream_new(r->f.tr);
    r->port = 30000;
}

static void
rx_clear(rx *r)
{
    dm_upstream_free(r->up);
    fx_clear(&r->f);
}

/* A client's recursive query to the resolver. */
static dm_flow
down(const char *client, guint16 port)
{
    return FL(DM_UDP, client, port, RES, 53);
}

/* The resolver's own query (RD=0) to server: a new port each time. */
static dm_flow
up_flow(rx *r, const char *server)
{
    return FL(DM_UDP, RES, r->port++, server, 53);
}

static void
iter_query(rx *r, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name,
           guint16 type)
{
    dm_dns_msg m = fx_msg(frame, t, fl, id, name, type);
    m.rd = FALSE;
    fx_query_msg(&r->f, &m);
}

/* A referral: NOERROR, no answer, AA=0, NS names in the authority section. */
static void
referral(rx *r, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name,
         guint16 type, const char *ns1, const char *ns2)
{
    dm_dns_msg m = fx_msg(frame, t, fl, id, name, type);
    m.ns_in_authority = TRUE;
    m.learned[m.n_learned++] = ns1;
    if (ns2)
        m.learned[m.n_learned++] = ns2;
    fx_response_msg(&r->f, &m);
}

static void
auth_answer(rx *r, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name,
            guint16 type, guint8 rcode, guint16 ancount, const char *cname)
{
    dm_dns_msg m = fx_msg(frame, t, fl, id, name, type);
    m.aa = TRUE;
    m.rcode = rcode;
    m.ancount = ancount;
    if (cname) {
        m.learned[m.n_learned++] = cname;
        m.cname_only = TRUE;
    }
    fx_response_msg(&r->f, &m);
}

static void
servfail(rx *r, guint32 frame, double t, const dm_flow *fl, guint16 id, const char *name)
{
    fx_response(&r->f, frame, t, fl, id, name, 1, 2, 0, FALSE);
}

static guint
ups(const rx *r, guint32 txn, GString *s)
{
    const guint32 *v;
    guint n = dm_upstream_of(r->up, txn, &v);
    g_string_truncate(s, 0);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%u", i ? "," : "", v[i]);
    return n;
}

static char *
failed_servers(const rx *r, guint32 txn)
{
    const guint32 *v;
    guint n = dm_upstream_failed_servers(r->up, txn, &v);
    GString *s = g_string_new("");
    for (guint i = 0; i < n; i++) {
        char a[48];
        g_string_append_printf(s, "%s%s", i ? "," : "",
                               dm_addr_to_str(dm_tracker_addr(r->f.tr, v[i]), a, sizeof a));
    }
    return g_string_free(s, FALSE);
}

#define assert_cause(r, txn, c)                                                     \
    g_assert_cmpstr(dm_upstream_cause_name(dm_upstream_cause_of((r)->up, (txn))), ==, \
                    dm_upstream_cause_name(c))

/* Referrals and lame answers are outcomes of their own. */
static void
test_referral_and_lame(void)
{
    rx r;
    rx_init(&r);
    dm_flow a = up_flow(&r, ROOT), b = up_flow(&r, TLD), c = up_flow(&r, GOOD);
    dm_flow d = FL(DM_UDP, CLI, 40000, GOOD, 53);
    iter_query(&r, 1, 0, &a, 1, "test", 2);
    referral(&r, 2, 0.01, &a, 1, "test", 2, "ns.test", NULL);
    iter_query(&r, 3, 0.02, &b, 2, "lame.test", 1);
    auth_answer(&r, 4, 0.03, &b, 2, "lame.test", 1, 0, 0, NULL);     /* AA nodata */
    iter_query(&r, 5, 0.04, &c, 3, "lame.test", 1);
    fx_response(&r.f, 6, 0.05, &c, 3, "lame.test", 1, 0, 0, FALSE);  /* AA=0, no NS */
    fx_query(&r.f, 7, 0.06, &d, 4, "lame.test", 1);                  /* RD=1 */
    fx_response(&r.f, 8, 0.07, &d, 4, "lame.test", 1, 0, 0, FALSE);
    dm_tracker_finish(r.f.tr);
    assert_outcome(&r.f, 1, DM_OUTCOME_REFERRAL);
    assert_outcome(&r.f, 2, DM_OUTCOME_NODATA);
    assert_outcome(&r.f, 3, DM_OUTCOME_LAME);
    /* asked for recursion: an empty answer is no data, not lame */
    assert_outcome(&r.f, 4, DM_OUTCOME_NODATA);
    g_assert_false(dm_outcome_is_failure(DM_OUTCOME_REFERRAL));
    g_assert_true(dm_outcome_is_failure(DM_OUTCOME_LAME));
    /* a referral is a step: the lookup of test. ends on it, resolved */
    assert_lookup(&r.f, 1, DM_LOOKUP_RESOLVED);
    const guint32 *names;
    g_assert_cmpuint(dm_txn_learned(r.f.tr, fx_txn(&r.f, 1), &names), ==, 1);
    g_assert_cmpstr(dm_tracker_name(r.f.tr, names[0]), ==, "ns.test");
    rx_clear(&r);
}

/* The reference chain: SERVFAIL to the client because the delegated server
 * answers ICMP port unreachable; the root and test. referrals are steps. */
static void
test_upstream_failed(void)
{
    rx r;
    rx_init(&r);
    GString *s = g_string_new("");
    dm_flow c = down(CLI, 40000);
    fx_query(&r.f, 1, 0, &c, 100, "www.dead.test", 1);                           /* txn 1 */
    dm_flow a = up_flow(&r, ROOT);
    iter_query(&r, 2, 0.001, &a, 1, "TeSt", 2);                                   /* txn 2 */
    referral(&r, 3, 0.002, &a, 1, "TeSt", 2, "ns.test", NULL);
    dm_flow b = up_flow(&r, TLD);
    iter_query(&r, 4, 0.003, &b, 2, "dEaD.TeSt", 2);                              /* txn 3 */
    referral(&r, 5, 0.004, &b, 2, "dEaD.TeSt", 2, "ns1.dead.test", NULL);
    dm_flow x = up_flow(&r, DEAD), y = up_flow(&r, DEAD);
    iter_query(&r, 6, 0.005, &x, 3, "wWw.DeAd.TeSt", 1);                          /* txn 4 */
    fx_port_unreachable(&r.f, 7, 0.006, &x, DEAD, 3, "wWw.DeAd.TeSt", 1);
    iter_query(&r, 8, 0.4, &y, 4, "WwW.dEaD.tEsT", 1);                            /* txn 5 */
    fx_port_unreachable(&r.f, 9, 0.401, &y, DEAD, 4, "WwW.dEaD.tEsT", 1);
    servfail(&r, 10, 1.5, &c, 100, "www.dead.test");
    /* an unrelated client transaction, answered */
    dm_flow o = down(CLI2, 40001), z = up_flow(&r, GOOD);
    fx_query(&r.f, 11, 2, &o, 101, "www.good.test", 1);                           /* txn 6 */
    iter_query(&r, 12, 2.001, &z, 5, "www.good.test", 1);                         /* txn 7 */
    auth_answer(&r, 13, 2.002, &z, 5, "www.good.test", 1, 0, 1, NULL);
    fx_answer(&r.f, 14, 2.003, &o, 101, "www.good.test", 1);
    fx_tick(&r.f, 15, 20);
    g_assert_false(dm_upstream_ready(r.up));
    dm_tracker_finish(r.f.tr);
    g_assert_true(dm_upstream_ready(r.up));
    g_assert_true(dm_upstream_is_resolver(r.up, fx_txn(&r.f, 1)->server));
    g_assert_false(dm_upstream_is_resolver(r.up, fx_txn(&r.f, 1)->client));
    g_assert_cmpuint(ups(&r, 1, s), ==, 4);
    g_assert_cmpstr(s->str, ==, "2,3,4,5");
    assert_cause(&r, 1, DM_UPSTREAM_FAILED);
    char *fs = failed_servers(&r, 1);
    g_assert_cmpstr(fs, ==, DEAD);
    g_free(fs);
    /* the other client's transaction overlaps none of it */
    g_assert_cmpuint(ups(&r, 6, s), ==, 1);
    g_assert_cmpstr(s->str, ==, "7");
    assert_cause(&r, 6, DM_UPSTREAM_NONE);         /* answered: no cause */
    const guint32 *dv;
    g_assert_cmpuint(dm_downstream_of(r.up, 4, &dv), ==, 1);
    g_assert_cmpuint(dv[0], ==, 1);
    g_assert_cmpuint(dm_downstream_of(r.up, 7, &dv), ==, 1);
    g_assert_cmpuint(dv[0], ==, 6);
    assert_cause(&r, 4, DM_UPSTREAM_NONE);         /* the resolver's own: not downstream */
    g_string_free(s, TRUE);
    rx_clear(&r);
}

/* SERVFAIL although the server below answered: the resolver failed by
 * itself (validation, policy). Then the same name again a second later:
 * nothing asked upstream, answered from the cache. */
static void
test_answered_and_cache(void)
{
    rx r;
    rx_init(&r);
    dm_flow c = down(CLI, 40000), u = up_flow(&r, GOOD), c2 = down(CLI, 40002);
    fx_query(&r.f, 1, 0, &c, 1, "bogus.good.test", 1);
    iter_query(&r, 2, 0.001, &u, 2, "bogus.good.test", 1);
    auth_answer(&r, 3, 0.002, &u, 2, "bogus.good.test", 1, 0, 1, NULL);
    servfail(&r, 4, 0.003, &c, 1, "bogus.good.test");
    fx_query(&r.f, 5, 1, &c2, 3, "bogus.good.test", 1);
    servfail(&r, 6, 1.001, &c2, 3, "bogus.good.test");
    dm_tracker_finish(r.f.tr);
    assert_cause(&r, 1, DM_UPSTREAM_ANSWERED);
    const guint32 *v;
    g_assert_cmpuint(dm_upstream_failed_servers(r.up, 1, &v), ==, 0);
    assert_cause(&r, 3, DM_UPSTREAM_NONE_SEEN);
    g_assert_cmpuint(dm_upstream_of(r.up, 3, &v), ==, 0);
    rx_clear(&r);
}

/* A server nobody else asks anybody: the capture does not see its upstream
 * side, so no cause at all. */
static void
test_no_guessing(void)
{
    rx r;
    rx_init(&r);
    dm_flow c = FL(DM_UDP, CLI, 40000, "203.0.113.2", 53);
    fx_query(&r.f, 1, 0, &c, 1, "www.example.test", 1);
    servfail(&r, 2, 0.1, &c, 1, "www.example.test");
    dm_tracker_finish(r.f.tr);
    g_assert_false(dm_upstream_is_resolver(r.up, fx_txn(&r.f, 1)->server));
    assert_cause(&r, 1, DM_UPSTREAM_NONE);
    rx_clear(&r);
}

/* Learned names are followed: a CNAME into another zone, the address of a
 * nameserver named in a referral (and its parents: minimised), a TCP retry
 * to a server already asked; two clients joined on one upstream question;
 * a "_" label added by minimisation is not part of the name. */
static void
test_learned_names_and_joins(void)
{
    rx r;
    rx_init(&r);
    GString *s = g_string_new("");
    dm_flow c1 = down(CLI, 40000), c2 = down(CLI2, 40001);
    fx_query(&r.f, 1, 0, &c1, 1, "www.cname.test", 1);                    /* 1 */
    fx_query(&r.f, 2, 0.001, &c2, 2, "WWW.cname.test", 1);                /* 2: joins */
    dm_flow u1 = up_flow(&r, GOOD);
    iter_query(&r, 3, 0.002, &u1, 3, "www.cname.test", 1);                /* 3 */
    auth_answer(&r, 4, 0.003, &u1, 3, "www.cname.test", 1, 0, 1, "target.other.test");
    dm_flow u2 = up_flow(&r, TLD);
    iter_query(&r, 5, 0.004, &u2, 4, "_.other.test", 1);                  /* 4 */
    referral(&r, 6, 0.005, &u2, 4, "_.other.test", 1, "ns.far.example", NULL);
    dm_flow u3 = up_flow(&r, ROOT);
    iter_query(&r, 7, 0.006, &u3, 5, "example", 2);                       /* 5: NS name's parent */
    referral(&r, 8, 0.007, &u3, 5, "example", 2, "a.example", NULL);
    dm_flow u4 = up_flow(&r, DEAD);
    iter_query(&r, 9, 0.008, &u4, 6, "ns.far.example", 1);                /* 6 */
    dm_flow t = FL(DM_TCP, RES, 31000, GOOD, 53);
    fx_tcp(&r.f, 10, 0.01, &t, TRUE, FX_SYN);                             /* a TCP retry */
    fx_tcp(&r.f, 11, 0.011, &t, FALSE, FX_RST | FX_ACK);                  /* 7: refused */
    fx_tick(&r.f, 12, 5.1);                                               /* 6 times out */
    servfail(&r, 13, 6, &c1, 1, "www.cname.test");
    servfail(&r, 14, 6.001, &c2, 2, "WWW.cname.test");
    dm_tracker_finish(r.f.tr);
    g_assert_cmpuint(ups(&r, 1, s), ==, 5);
    g_assert_cmpstr(s->str, ==, "3,4,5,6,7");
    g_assert_cmpuint(ups(&r, 2, s), ==, 5);
    const guint32 *dv;
    g_assert_cmpuint(dm_downstream_of(r.up, 3, &dv), ==, 2);
    /* the CNAME answer and the referrals are steps; the nameserver of the
     * target's zone never answered, and the TCP retry was refused */
    assert_cause(&r, 1, DM_UPSTREAM_FAILED);
    char *fs = failed_servers(&r, 1);
    g_assert_cmpstr(fs, ==, DEAD "," GOOD);
    g_free(fs);
    g_string_free(s, TRUE);
    rx_clear(&r);
}

/* A random-subdomain flood through the resolver: the cost per transaction
 * must not grow with the number of names (instructions measured by the
 * resource tests; here: it finishes and links each one to its own). */
static void
test_flood(void)
{
    rx r;
    rx_init(&r);
    char name[64];
    guint32 n = 20000;
    for (guint32 i = 0; i < n; i++) {
        double t = i * 0.0005;
        g_snprintf(name, sizeof name, "r%u.flood.test", i * 2654435761u);
        dm_flow c = down(CLI, (guint16)(1024 + i % 60000));
        dm_flow u = FL(DM_UDP, RES, (guint16)(2000 + i % 60000), DEAD, 53);
        fx_query(&r.f, 3 * i + 1, t, &c, (guint16)i, name, 1);
        iter_query(&r, 3 * i + 2, t + 0.0001, &u, (guint16)i, name, 1);
        fx_port_unreachable(&r.f, 3 * i + 3, t + 0.0002, &u, DEAD, (guint16)i, name, 1);
    }
    fx_tick(&r.f, 3 * n + 1, n * 0.0005 + 10);
    dm_tracker_finish(r.f.tr);
    const guint32 *v;
    for (guint32 i = 0; i < n; i++) {
        guint32 d = 2 * i + 1;
        g_assert_cmpuint(dm_upstream_of(r.up, d, &v), ==, 1);
        g_assert_cmpuint(v[0], ==, d + 1);
        assert_cause(&r, d, DM_UPSTREAM_FAILED);
    }
    rx_clear(&r);
}

/* A lookup that ends on a referral after trouble recovered, but has no
 * definitive answer: no definitive transaction and no delay, which its
 * readers (the expert note on its last frame, the report) must allow. */
static void
test_recovered_on_referral(void)
{
    rx r;
    rx_init(&r);
    dm_flow a = up_flow(&r, ROOT), b = up_flow(&r, TLD);
    iter_query(&r, 1, 0, &a, 1, "test", 1);
    servfail(&r, 2, 0.01, &a, 1, "test");
    iter_query(&r, 3, 0.02, &b, 2, "test", 1);
    referral(&r, 4, 0.03, &b, 2, "test", 1, "ns.test", NULL);
    dm_tracker_finish(r.f.tr);
    assert_outcome(&r.f, 1, DM_OUTCOME_SERVFAIL);
    assert_outcome(&r.f, 2, DM_OUTCOME_REFERRAL);
    g_assert_cmpuint(dm_lookups_of(r.f.ls, 1), ==, dm_lookups_of(r.f.ls, 2));
    assert_lookup(&r.f, 2, DM_LOOKUP_RECOVERED);
    const dm_lookup *l = fx_lookup_of(&r.f, 2);
    g_assert_cmpuint(l->definitive, ==, 0);
    g_assert_cmpuint(l->last_txn, ==, 2);
    dm_time delay;
    g_assert_false(dm_lookup_delay(r.f.ls, l, &delay));
    rx_clear(&r);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/upstream/referral-and-lame", test_referral_and_lame);
    g_test_add_func("/upstream/recovered-on-referral", test_recovered_on_referral);
    g_test_add_func("/upstream/failed", test_upstream_failed);
    g_test_add_func("/upstream/answered-and-cache", test_answered_and_cache);
    g_test_add_func("/upstream/no-guessing", test_no_guessing);
    g_test_add_func("/upstream/learned-names-and-joins", test_learned_names_and_joins);
    g_test_add_func("/upstream/flood", test_flood);
    return g_test_run();
}
