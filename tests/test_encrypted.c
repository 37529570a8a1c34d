/* test_encrypted.c — encrypted DNS read without keys (docs/design.md,
 * "Encrypted DNS"): DNS over TLS and over QUIC connections as the tracker
 * decides them from what shows in the clear (tracker_tcp.c), and the
 * downgrade layer above (downgrade.c). Each packet is fed as
 * extract_encrypted.c would feed it (fx_seg).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_fixture.h"  /* counted g_assert_* checks */

#include "dnsmon_downgrade.h"

#define CLIENT "198.51.100.10"
#define SERVER "203.0.113.53"

/* What a packet shows: SEG(.flags = FX_ACK, .hello = TRUE). */
#define SEG(...) (&(fx_enc){ __VA_ARGS__ })

/* SYN, SYN-ACK, then the ClientHello: frames n, n+1, n+2, 1 ms apart. */
static void
dot_open(fx *f, const dm_flow *fl, guint32 n, double t)
{
    fx_tcp(f, n, t, fl, TRUE, FX_SYN);
    fx_tcp(f, n + 1, t + 0.001, fl, FALSE, FX_SYN | FX_ACK);
    fx_seg(f, n + 2, t + 0.002, fl, TRUE, SEG(.flags = FX_ACK, .hello = TRUE));
}

/* TLS 1.3's server flight: ServerHello, ChangeCipherSpec and four
 * encrypted handshake records (frame n), then two session tickets (n+1). */
static void
tls13_server_flight(fx *f, const dm_flow *fl, guint32 n, double t)
{
    fx_seg(f, n, t, fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE, .tls13 = TRUE, .encrypted = 4));
    fx_seg(f, n + 1, t + 0.001, fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 2));
}

/* A connection's transaction: question-less, from its first packet; sealed
 * by the packet of frame seal (0: by time, no packet), whose item is then
 * its response. */
static const dm_txn *
assert_conn(const fx *f, guint32 txn, dm_transport tp, guint32 first, guint32 seal)
{
    const dm_txn *t = fx_txn(f, txn);
    g_assert_cmpuint(t->transport, ==, tp);
    g_assert_true(t->flags & DM_T_CONNECTION);
    g_assert_true(t->flags & DM_T_NO_QUESTION);
    g_assert_cmpuint(t->name, ==, 0);
    g_assert_false(t->flags & DM_T_ANSWERED);
    g_assert_cmpuint(dm_tracker_item_frame(f->tr, t->first_item), ==, first);
    guint32 resp = dm_txn_last_response(f->tr, t);
    if (!seal) {
        g_assert_cmpuint(resp, ==, 0);
        return t;
    }
    const dm_item *it = fx_item(f, seal, 0);
    g_assert_cmpuint(it->role, ==, DM_ROLE_RESPONSE);
    g_assert_cmpuint(it->flags, ==, DM_F_SEAL);
    g_assert_cmpuint(it->txn, ==, txn);
    g_assert_cmpuint(dm_tracker_item_frame(f->tr, resp), ==, seal);
    g_assert_cmpuint(dm_txn_last_frame(f->tr, t), ==, seal);
    return t;
}

/* The words the report and the frame give a failed attempt. */
static void
assert_failure_text(const fx *f, guint32 txn, const char *want)
{
    char *s = dm_encrypted_failure_text(f->tr, fx_txn(f, txn));
    g_assert_cmpstr(s, ==, want);
    g_free(s);
}

/* ---- DNS over TLS ---------------------------------------------------------- */

/* TLS 1.2: the whole handshake is in the clear, so the server's first
 * application record means it worked, whoever sent data first. */
static void
test_dot_tls12_encrypted(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOT, CLIENT, 34195, SERVER, 853);
    dot_open(&f, &fl, 1, 0);
    fx_seg(&f, 4, 0.003, &fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE));
    /* the client's ChangeCipherSpec and Finished: handshake records */
    fx_seg(&f, 5, 0.004, &fl, TRUE, SEG(.flags = FX_ACK));
    fx_seg(&f, 6, 0.005, &fl, FALSE, SEG(.flags = FX_ACK));
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);   /* not a transaction yet */
    fx_seg(&f, 7, 0.006, &fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 1));
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 1);
    const dm_txn *t = assert_conn(&f, 1, DM_DOT, 1, 7);
    assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
    g_assert_cmpuint(dm_txn_attempts(f.tr, t), ==, 1);
    g_assert_cmpint(fx_ext(&f, 1)->closed, ==, S(0.006));
    g_assert_cmpuint(fx_txn_logged(&f, 1), ==, 1);
    /* What follows is not part of it: no item, no change. */
    fx_seg(&f, 8, 0.007, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 1));
    fx_seg(&f, 9, 0.008, &fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 1));
    fx_seg(&f, 10, 0.009, &fl, FALSE, SEG(.flags = FX_ACK | FX_RST));
    g_assert_cmpuint(fx_nitems(&f, 8) + fx_nitems(&f, 9) + fx_nitems(&f, 10), ==, 0);
    dm_tracker_finish(f.tr);
    assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 1);
    g_assert_cmpuint(fx_txn_logged(&f, 1), ==, 1);
    fx_clear(&f);
}

/* TLS 1.3 encrypts the end of its handshake: the server's records count
 * only after the client sent two (its Finished, then a query). */
static void
test_dot_tls13_encrypted(void)
{
    for (guint together = 0; together < 2; together++) {
        fx f;
        fx_init(&f);
        dm_flow fl = FL(DM_DOT, CLIENT, 54149, SERVER, 853);
        dot_open(&f, &fl, 1, 0);
        tls13_server_flight(&f, &fl, 4, 0.003);
        guint32 n = 6;
        if (together) {     /* Finished and the query in one segment */
            fx_seg(&f, n++, 0.005, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 2));
        } else {
            fx_seg(&f, n++, 0.005, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 1));
            /* session tickets after the client's Finished: still not */
            fx_seg(&f, n++, 0.006, &fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 2));
            g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
            fx_seg(&f, n++, 0.007, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 1));
        }
        g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
        fx_seg(&f, n, 0.010, &fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 1));
        assert_conn(&f, 1, DM_DOT, 1, n);
        assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
        fx_clear(&f);
    }
}

/* A TLS 1.3 client rejecting the certificate (kdig): one encrypted record
 * (its close_notify) and a reset; or the server closing after its flight. */
static void
test_dot_tls13_rejected_certificate(void)
{
    for (guint how = 0; how < 3; how++) {
        fx f;
        fx_init(&f);
        dm_flow fl = FL(DM_DOT, CLIENT, 57849, SERVER, 853);
        dot_open(&f, &fl, 1, 0);
        tls13_server_flight(&f, &fl, 4, 0.003);
        fx_seg(&f, 6, 0.005, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 1));
        g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
        static const guint close[] = { FX_ACK | FX_RST, FX_ACK | FX_FIN, FX_ACK | FX_RST };
        fx_seg(&f, 7, 0.006, &fl, how < 2, SEG(.flags = close[how]));
        assert_conn(&f, 1, DM_DOT, 1, 7);
        assert_outcome(&f, 1, DM_OUTCOME_TLS_FAILED);
        g_assert_cmpuint(fx_ext(&f, 1)->alert_level, ==, 0);
        g_assert_cmpuint(fx_ext(&f, 1)->alert_desc, ==, 0);
        assert_failure_text(&f, 1, "the connection closed during the handshake, before any DNS "
                                   "data from the server");
        fx_clear(&f);
    }
}

/* An alert in the clear ends the attempt at once, its level and
 * description kept: gnutls-cli's fatal bad_certificate (TLS 1.2), kdig's
 * close_notify warning, kresd's no_application_protocol before any
 * ServerHello, and an encrypted TLS 1.2 alert (level and description
 * unknown). */
static void
test_dot_alerts(void)
{
    static const struct {
        gboolean from_client, server_hello;
        guint8 level, desc;
        const char *text;
    } cases[] = {
        { TRUE, TRUE, 2, 42, "handshake alert bad_certificate (fatal, 42)" },
        { TRUE, TRUE, 1, 0, "handshake alert close_notify (warning, 0)" },
        { FALSE, FALSE, 2, 120, "handshake alert no_application_protocol (fatal, 120)" },
        { TRUE, TRUE, 0, 0, "the connection closed during the handshake, before any DNS data "
                            "from the server" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx f;
        fx_init(&f);
        dm_flow fl = FL(DM_DOT, CLIENT, 60508, SERVER, 853);
        dot_open(&f, &fl, 1, 0);
        if (cases[i].server_hello)
            fx_seg(&f, 4, 0.003, &fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE));
        fx_seg(&f, 5, 0.004, &fl, cases[i].from_client,
               SEG(.flags = FX_ACK, .alert = TRUE, .alert_level = cases[i].level,
                   .alert_desc = cases[i].desc));
        assert_conn(&f, 1, DM_DOT, 1, 5);
        assert_outcome(&f, 1, DM_OUTCOME_TLS_FAILED);
        g_assert_cmpuint(dm_txn_shown_outcome(f.tr, fx_txn(&f, 1)), ==, DM_OUTCOME_TLS_FAILED);
        g_assert_cmpuint(fx_ext(&f, 1)->alert_level, ==, cases[i].level);
        g_assert_cmpuint(fx_ext(&f, 1)->alert_desc, ==, cases[i].desc);
        g_assert_cmpint(fx_ext(&f, 1)->closed, ==, S(0.004));
        assert_failure_text(&f, 1, cases[i].text);
        /* FIN and RST after it change nothing */
        fx_seg(&f, 6, 0.005, &fl, TRUE, SEG(.flags = FX_ACK | FX_FIN));
        fx_seg(&f, 7, 0.006, &fl, TRUE, SEG(.flags = FX_RST));
        g_assert_cmpuint(fx_nitems(&f, 6) + fx_nitems(&f, 7), ==, 0);
        dm_tracker_finish(f.tr);
        assert_outcome(&f, 1, DM_OUTCOME_TLS_FAILED);
        g_assert_cmpuint(fx_txn_logged(&f, 1), ==, 1);
        fx_clear(&f);
    }
}

/* Closed before the server's data, without an alert: failed. */
static void
test_dot_closed_during_handshake(void)
{
    for (guint server_hello = 0; server_hello < 2; server_hello++) {
        fx f;
        fx_init(&f);
        dm_flow fl = FL(DM_DOT, CLIENT, 41000, SERVER, 853);
        dot_open(&f, &fl, 1, 0);
        if (server_hello)
            fx_seg(&f, 4, 0.003, &fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE));
        fx_seg(&f, 5, 0.004, &fl, FALSE, SEG(.flags = FX_ACK | FX_FIN));
        assert_conn(&f, 1, DM_DOT, 1, 5);
        assert_outcome(&f, 1, DM_OUTCOME_TLS_FAILED);
        fx_clear(&f);
    }
}

/* Nothing listens on 853: the kernel's reset, or an ICMP error quoting the
 * SYN, rejects the attempt. */
static void
test_dot_refused(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOT, CLIENT, 41941, "203.0.113.54", 853);
    fx_tcp(&f, 1, 0, &fl, TRUE, FX_SYN);
    fx_tcp(&f, 2, 0.0001, &fl, FALSE, FX_RST | FX_ACK);
    const dm_txn *t = assert_conn(&f, 1, DM_DOT, 1, 0);
    assert_outcome(&f, 1, DM_OUTCOME_REJECTED);
    g_assert_true(t->flags & DM_T_RESET);
    g_assert_cmpuint(dm_tracker_item_frame(f.tr, fx_ext(&f, 1)->reset_item), ==, 2);
    g_assert_cmpuint(fx_item(&f, 2, 0)->role, ==, DM_ROLE_RESET);
    assert_failure_text(&f, 1, "reset");
    fx_clear(&f);

    /* The glue gives an ICMP error the quote's wire protocol. */
    fx_init(&f);
    fx_tcp(&f, 1, 0, &fl, TRUE, FX_SYN);
    dm_flow wire = fl;
    wire.transport = DM_TCP;
    fx_icmp_opts o = { 4, 3, 13, "203.0.113.1", FALSE, -1, NULL, 0, TRUE };
    g_assert_true(fx_icmp_full(&f, 2, 0.001, &wire, &o));
    assert_conn(&f, 1, DM_DOT, 1, 0);
    assert_outcome(&f, 1, DM_OUTCOME_REJECTED);
    assert_failure_text(&f, 1, "ICMP administratively prohibited");
    fx_clear(&f);
}

/* No answer to the SYNs: unanswered once timeout has passed since the last
 * one (exactly then), incomplete when the capture ends first. */
static void
test_dot_syn_unanswered(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOT, CLIENT, 45453, "203.0.113.55", 853);
    fx_tcp(&f, 1, 0, &fl, TRUE, FX_SYN);
    fx_tcp(&f, 2, 1.019, &fl, TRUE, FX_SYN);
    f.base = -1;                            /* 1 ns before the time-out */
    fx_tick(&f, 3, 6.019);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
    f.base = 0;
    fx_tick(&f, 4, 6.019);
    const dm_txn *t = assert_conn(&f, 1, DM_DOT, 1, 0);
    assert_outcome(&f, 1, DM_OUTCOME_UNANSWERED);
    g_assert_cmpuint(dm_txn_attempts(f.tr, t), ==, 2);
    g_assert_cmpuint(fx_ext(&f, 1)->syns, ==, 2);
    g_assert_cmpuint(dm_tracker_item_frame(f.tr, dm_txn_last_item(f.tr, t)), ==, 2);
    g_assert_true(t->flags & DM_T_SETTLED);
    assert_failure_text(&f, 1, "no answer");
    fx_clear(&f);

    fx_init(&f);
    fx_tcp(&f, 1, 0, &fl, TRUE, FX_SYN);
    fx_tcp(&f, 2, 1.019, &fl, TRUE, FX_SYN);
    fx_tick(&f, 3, 2.1);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
    dm_tracker_finish(f.tr);
    t = assert_conn(&f, 1, DM_DOT, 1, 0);
    assert_outcome(&f, 1, DM_OUTCOME_INCOMPLETE);
    g_assert_true(t->flags & DM_T_CUT);
    assert_failure_text(&f, 1, "no answer");
    fx_clear(&f);
}

/* A handshake that stalls for timeout after the SYN-ACK: without a
 * ServerHello nothing answered it (unanswered); after one, the handshake
 * never completed (tls_failed). Decided by time: no seal packet. When the
 * capture ends first: incomplete. */
static void
test_dot_handshake_stalled(void)
{
    for (guint server_hello = 0; server_hello < 2; server_hello++) {
        fx f;
        fx_init(&f);
        dm_flow fl = FL(DM_DOT, CLIENT, 50000, SERVER, 853);
        dot_open(&f, &fl, 1, 0);
        double last = 0.002;
        if (server_hello) {
            fx_seg(&f, 4, 0.003, &fl, FALSE,
                   SEG(.flags = FX_ACK, .hello = TRUE, .tls13 = TRUE, .encrypted = 4));
            fx_seg(&f, 5, 1.5, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 1));
            last = 1.5;
        }
        f.base = -1;
        fx_tick(&f, 10, last + 5);
        g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
        f.base = 0;
        fx_tick(&f, 11, last + 5);
        assert_conn(&f, 1, DM_DOT, 1, 0);
        assert_outcome(&f, 1, server_hello ? DM_OUTCOME_TLS_FAILED : DM_OUTCOME_UNANSWERED);
        g_assert_cmpint(fx_ext(&f, 1)->closed, ==, S(last));
        g_assert_true(fx_txn(&f, 1)->flags & DM_T_SETTLED);
        fx_clear(&f);

        fx_init(&f);
        dot_open(&f, &fl, 1, 0);
        if (server_hello)
            fx_seg(&f, 4, 0.003, &fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE));
        fx_tick(&f, 10, 3);
        g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
        dm_tracker_finish(f.tr);
        assert_conn(&f, 1, DM_DOT, 1, 0);
        assert_outcome(&f, 1, DM_OUTCOME_INCOMPLETE);
        fx_clear(&f);
    }
}

/* The capture ends during a handshake that was still going: incomplete,
 * however long ago its SYN was (the handshake's last packet is its last
 * attempt). Events after the end let its time-out come: then unanswered,
 * logged again. */
static void
test_dot_cut_mid_handshake(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOT, CLIENT, 45269, SERVER, 853);
    dot_open(&f, &fl, 1, 0);
    tls13_server_flight(&f, &fl, 4, 0.003);
    fx_seg(&f, 6, 4.5, &fl, TRUE, SEG(.flags = FX_ACK, .encrypted = 1));
    fx_seg(&f, 7, 6, &fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 1));
    fx_tick(&f, 8, 7);
    dm_tracker_finish(f.tr);
    const dm_txn *t = assert_conn(&f, 1, DM_DOT, 1, 0);
    assert_outcome(&f, 1, DM_OUTCOME_INCOMPLETE);
    g_assert_cmpint(dm_txn_last_ts(f.tr, t), ==, S(6));
    g_assert_cmpint(fx_ext(&f, 1)->closed, ==, S(6));
    g_assert_true(t->flags & DM_T_CUT);
    g_assert_cmpuint(fx_txn_logged(&f, 1), ==, 1);
    char *s = dm_failure_detail(f.tr, t, DM_OUTCOME_INCOMPLETE);
    g_assert_cmpstr(s, ==, "the capture ended 1.000 s after the last attempt");
    g_free(s);
    fx_tick(&f, 9, 10.9);
    assert_outcome(&f, 1, DM_OUTCOME_INCOMPLETE);
    fx_tick(&f, 10, 11);
    assert_outcome(&f, 1, DM_OUTCOME_UNANSWERED);
    g_assert_cmpuint(fx_txn_logged(&f, 1), ==, 2);
    fx_clear(&f);
}

/* ---- DNS over QUIC ----------------------------------------------------------- */

/* kdig to knotd: the client's Initial; the server's Initial + Handshake +
 * 1-RTT; the client's Initial + Handshake + 1-RTT (its query); the server's
 * 1-RTT (the answer). QUIC sends 1-RTT packets before any query: only the
 * server's after the client's first one counts. */
static void
test_doq_encrypted(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOQ, CLIENT, 45269, SERVER, 853);
    fx_seg(&f, 1, 0, &fl, TRUE, SEG(.flags = FX_SYN));
    fx_seg(&f, 2, 0.002, &fl, FALSE,
           SEG(.flags = FX_SYN | FX_ACK, .hello = TRUE, .encrypted = 1));
    fx_seg(&f, 3, 0.003, &fl, FALSE, SEG(.flags = FX_SYN | FX_ACK, .encrypted = 1));
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);   /* before the client's 1-RTT */
    fx_seg(&f, 4, 0.004, &fl, TRUE, SEG(.encrypted = 1));
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
    fx_seg(&f, 5, 0.006, &fl, FALSE, SEG(.flags = FX_SYN | FX_ACK, .encrypted = 1));
    const dm_txn *t = assert_conn(&f, 1, DM_DOQ, 1, 5);
    g_assert_cmpuint(dm_txn_attempts(f.tr, t), ==, 1);
    assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
    fx_seg(&f, 6, 0.007, &fl, TRUE, SEG(.encrypted = 1));  /* CONNECTION_CLOSE */
    g_assert_cmpuint(fx_nitems(&f, 6), ==, 0);
    dm_tracker_finish(f.tr);
    assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
    fx_clear(&f);
}

/* Initials never answered: each one an attempt, unanswered after timeout;
 * an ICMP port unreachable quoting one (no DNS header in it) rejects it. */
static void
test_doq_unanswered_and_refused(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOQ, CLIENT, 50289, SERVER, 853);
    fx_seg(&f, 1, 0, &fl, TRUE, SEG(.flags = FX_SYN));
    fx_seg(&f, 2, 0.3, &fl, TRUE, SEG(.flags = FX_SYN));
    fx_seg(&f, 3, 0.9, &fl, TRUE, SEG(.flags = FX_SYN));
    fx_tick(&f, 4, 6);
    const dm_txn *t = assert_conn(&f, 1, DM_DOQ, 1, 0);
    g_assert_cmpuint(dm_txn_attempts(f.tr, t), ==, 3);
    assert_outcome(&f, 1, DM_OUTCOME_UNANSWERED);
    fx_clear(&f);

    fx_init(&f);
    fx_seg(&f, 1, 0, &fl, TRUE, SEG(.flags = FX_SYN));
    dm_flow wire = fl;
    wire.transport = DM_UDP;
    g_assert_true(fx_port_unreachable(&f, 2, 0.001, &wire, SERVER, -1, NULL, 0));
    assert_conn(&f, 1, DM_DOQ, 1, 0);
    assert_outcome(&f, 1, DM_OUTCOME_REJECTED);
    assert_failure_text(&f, 1, "ICMP port unreachable");
    fx_clear(&f);
}

/* A QUIC client acknowledges the server's Initial at once (RFC 9000
 * 13.2.1); when the server's flight spans several datagrams that ACK goes
 * alone, in an Initial packet (the glue's "syn"): part of the handshake,
 * not a second attempt. An Initial after the connection was decided is a
 * new attempt. */
static void
test_doq_client_initial_ack(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOQ, CLIENT, 57930, SERVER, 853);
    fx_seg(&f, 1, 0, &fl, TRUE, SEG(.flags = FX_SYN));
    fx_seg(&f, 2, 0.002, &fl, FALSE, SEG(.flags = FX_SYN | FX_ACK, .hello = TRUE));
    fx_seg(&f, 3, 0.003, &fl, FALSE, SEG(.flags = FX_SYN | FX_ACK, .hello = TRUE));
    fx_seg(&f, 4, 0.004, &fl, TRUE, SEG(.flags = FX_SYN));
    g_assert_cmpuint(fx_nitems(&f, 4), ==, 0);
    fx_seg(&f, 5, 0.005, &fl, TRUE, SEG(.encrypted = 1));
    fx_seg(&f, 6, 0.006, &fl, FALSE, SEG(.flags = FX_SYN | FX_ACK, .encrypted = 1));
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 1);
    const dm_txn *t = assert_conn(&f, 1, DM_DOQ, 1, 6);
    g_assert_cmpuint(dm_txn_attempts(f.tr, t), ==, 1);
    assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
    fx_seg(&f, 7, 1, &fl, TRUE, SEG(.flags = FX_SYN));
    g_assert_cmpuint(fx_item(&f, 7, 0)->role, ==, DM_ROLE_QUERY);
    fx_tick(&f, 8, 10);
    dm_tracker_finish(f.tr);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 2);
    assert_conn(&f, 2, DM_DOQ, 7, 0);
    assert_outcome(&f, 2, DM_OUTCOME_UNANSWERED);
    assert_outcome(&f, 1, DM_OUTCOME_ENCRYPTED);
    fx_clear(&f);
}

/* ---- DNS over TLS on another port: opened by ALPN "dot" ------------------------ */

/* kdig +tls -p 443 to kresd's DoH port: the ClientHello (frame 4) offers
 * ALPN "dot" and stands for the SYN; kresd's fatal no_application_protocol
 * seals it. The tracker then says which side of that flow is the client. */
static void
test_dot_other_port_opened(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOT, CLIENT, 44849, SERVER, 443);
    dm_addr c = A(CLIENT), s = A(SERVER), other = A("198.51.100.11");
    g_assert_false(dm_tracker_other_port_dot(f.tr));
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &c, 44849, &s, 443), ==, 0);
    fx_seg(&f, 4, 0.002, &fl, TRUE, SEG(.flags = FX_ACK, .hello = TRUE, .opens = TRUE));
    g_assert_true(dm_tracker_other_port_dot(f.tr));
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &c, 44849, &s, 443), ==, 1);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &s, 443, &c, 44849), ==, 2);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &c, 44850, &s, 443), ==, 0);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &other, 44849, &s, 443), ==, 0);
    const dm_item *it = fx_item(&f, 4, 0);
    g_assert_cmpuint(it->role, ==, DM_ROLE_QUERY);
    g_assert_true(it->flags & DM_F_SYN);
    /* a second hello on it opens nothing more */
    fx_seg(&f, 5, 0.003, &fl, TRUE, SEG(.flags = FX_ACK, .hello = TRUE, .opens = TRUE));
    g_assert_cmpuint(fx_nitems(&f, 5), ==, 0);
    fx_seg(&f, 6, 0.004, &fl, FALSE,
           SEG(.flags = FX_ACK, .alert = TRUE, .alert_level = 2, .alert_desc = 120));
    assert_conn(&f, 1, DM_DOT, 4, 6);
    assert_outcome(&f, 1, DM_OUTCOME_TLS_FAILED);
    g_assert_cmpuint(fx_ext(&f, 1)->alert_desc, ==, 120);
    g_assert_cmpuint(fx_txn(&f, 1)->server_port, ==, 443);
    fx_clear(&f);
}

/* A ClientHello on 443 that does not open (no ALPN "dot": the glue leaves
 * opens unset), or an "opens" from the server's side or over QUIC, is
 * never followed. */
static void
test_dot_other_port_not_opened(void)
{
    fx f;
    fx_init(&f);
    dm_flow fl = FL(DM_DOT, CLIENT, 47388, SERVER, 443);
    dm_flow quic = FL(DM_DOQ, CLIENT, 47389, SERVER, 443);
    fx_seg(&f, 1, 0, &fl, TRUE, SEG(.flags = FX_ACK, .hello = TRUE));
    fx_seg(&f, 2, 0.001, &fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE, .opens = TRUE));
    fx_seg(&f, 3, 0.002, &quic, TRUE, SEG(.hello = TRUE, .opens = TRUE));
    fx_seg(&f, 4, 0.003, &fl, FALSE,
           SEG(.flags = FX_ACK, .alert = TRUE, .alert_level = 2, .alert_desc = 40));
    fx_seg(&f, 5, 0.004, &fl, TRUE, SEG(.flags = FX_RST));
    for (guint32 n = 1; n <= 5; n++)
        g_assert_cmpuint(fx_nitems(&f, n), ==, 0);
    g_assert_false(dm_tracker_other_port_dot(f.tr));
    dm_addr c = A(CLIENT), s = A(SERVER);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &c, 47388, &s, 443), ==, 0);
    fx_tick(&f, 6, 20);
    dm_tracker_finish(f.tr);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 0);
    fx_clear(&f);
}

/* While a DoT connection on another port is followed, the glue asks
 * dm_tracker_dot_side about every other TCP segment and feeds those it
 * says are DoT as DoT, not as DNS: plain DNS over TCP must never be one. */
static void
test_dot_side_not_plain_tcp(void)
{
    fx f;
    fx_init(&f);
    dm_flow dot = FL(DM_DOT, CLIENT, 44849, SERVER, 443);
    fx_seg(&f, 1, 0, &dot, TRUE, SEG(.flags = FX_ACK, .hello = TRUE, .opens = TRUE));
    dm_flow tcp = FL(DM_TCP, CLIENT, 40001, SERVER, 53);
    fx_tcp(&f, 2, 0.1, &tcp, TRUE, FX_SYN);
    dm_addr c = A(CLIENT), s = A(SERVER);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &c, 40001, &s, 53), ==, 0);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &s, 53, &c, 40001), ==, 0);
    g_assert_cmpint(dm_tracker_dot_side(f.tr, &c, 44849, &s, 443), ==, 1);
    fx_clear(&f);
}

/* ---- downgrade: plain DNS after a failed encrypted attempt ---------------------- */

/* The transaction of the item an fx_query returned. */
static guint32
txn_of(const fx *f, guint32 item)
{
    return dm_tracker_item(f->tr, item)->txn;
}

/* The only transaction with transport tp. */
static guint32
only_txn(const fx *f, dm_transport tp)
{
    guint32 found = 0;
    for (guint32 i = 1; i <= dm_tracker_txn_count(f->tr); i++) {
        if (fx_txn(f, i)->transport == tp) {
            g_assert_cmpuint(found, ==, 0);
            found = i;
        }
    }
    g_assert_cmpuint(found, !=, 0);
    return found;
}

/* A plain UDP query by client from its own port, to server. */
static guint32
plain(fx *f, guint32 frame, double t, const char *client, guint16 cport, const char *server)
{
    dm_flow fl = FL(DM_UDP, client, cport, server, 53);
    return txn_of(f, fx_query(f, frame, t, &fl, (guint16)(0x1000 + frame), "www.example.test", 1));
}

/* A DoT attempt refused by the server's reset, rtt after its SYN: frames n, n+1. */
static void
refused_at(fx *f, guint32 n, double t, guint16 cport, double rtt)
{
    dm_flow fl = FL(DM_DOT, CLIENT, cport, SERVER, 853);
    fx_tcp(f, n, t, &fl, TRUE, FX_SYN);
    fx_tcp(f, n + 1, t + rtt, &fl, FALSE, FX_RST | FX_ACK);
}

/* A DoT attempt ended by a fatal alert 10 ms after its SYN: frames n..n+3. */
static void
alert_at(fx *f, guint32 n, double t, guint16 cport)
{
    dm_flow fl = FL(DM_DOT, CLIENT, cport, SERVER, 853);
    dot_open(f, &fl, n, t);
    fx_seg(f, n + 3, t + 0.010, &fl, TRUE,
           SEG(.flags = FX_ACK, .alert = TRUE, .alert_level = 2, .alert_desc = 42));
}

/* The window runs from the attempt's first packet to lookup_window (5 s)
 * after its end, both included; any server, UDP or TCP port 53, the same
 * client only. Decided once the capture is over. */
static void
test_downgrade_window(void)
{
    fx f;
    fx_init(&f);
    dm_downgrades *dg = dm_downgrades_new(f.tr, 5);
    guint32 before = plain(&f, 1, 0, CLIENT, 40001, SERVER);
    alert_at(&f, 2, 1, 34000);                              /* sealed at 1.010 */
    guint32 attempt = dm_tracker_txn_count(f.tr);
    assert_outcome(&f, attempt, DM_OUTCOME_TLS_FAILED);
    guint32 during = plain(&f, 10, 1.005, CLIENT, 40002, SERVER);
    guint32 other_server = plain(&f, 11, 2, CLIENT, 40003, "192.0.2.53");
    guint32 other_client = plain(&f, 12, 2.5, "198.51.100.11", 40004, SERVER);
    dm_flow tcp = FL(DM_TCP, CLIENT, 40005, SERVER, 53);
    guint32 over_tcp = txn_of(&f, fx_query(&f, 13, 3, &tcp, 0x77, "www.example.test", 1));
    dm_flow mdns = FL(DM_UDP, CLIENT, 5353, "224.0.0.251", 5353);
    guint32 not_53 = txn_of(&f, fx_query(&f, 14, 3.5, &mdns, 0, "printer.local", 1));
    guint32 at_end = plain(&f, 15, 6.010, CLIENT, 40006, SERVER);
    f.base = 1;                                             /* 1 ns later */
    guint32 after = plain(&f, 16, 6.010, CLIENT, 40007, SERVER);
    f.base = 0;
    g_assert_false(dm_downgrades_ready(dg));
    g_assert_cmpuint(dm_downgrade_of(dg, during), ==, 0);   /* not before the end */
    dm_tracker_finish(f.tr);
    g_assert_true(dm_downgrades_ready(dg));
    g_assert_cmpint(dm_encrypted_end(f.tr, fx_txn(&f, attempt)), ==, S(1.010));
    g_assert_cmpuint(dm_downgrade_of(dg, before), ==, 0);
    g_assert_cmpuint(dm_downgrade_of(dg, during), ==, attempt);
    g_assert_cmpuint(dm_downgrade_of(dg, other_server), ==, attempt);
    g_assert_cmpuint(dm_downgrade_of(dg, other_client), ==, 0);
    g_assert_cmpuint(dm_downgrade_of(dg, over_tcp), ==, attempt);
    g_assert_cmpuint(dm_downgrade_of(dg, not_53), ==, 0);
    g_assert_cmpuint(dm_downgrade_of(dg, at_end), ==, attempt);
    g_assert_cmpuint(dm_downgrade_of(dg, after), ==, 0);
    g_assert_cmpuint(dm_downgrade_of(dg, attempt), ==, 0);
    g_assert_cmpuint(dm_downgrade_of(dg, 0), ==, 0);
    g_assert_cmpuint(dm_downgrade_of(dg, 1000), ==, 0);
    /* an event after the end reopens: nothing decided until the next one */
    fx_tick(&f, 17, 7);
    g_assert_false(dm_downgrades_ready(dg));
    g_assert_cmpuint(dm_downgrade_of(dg, during), ==, 0);
    dm_tracker_finish(f.tr);
    g_assert_cmpuint(dm_downgrade_of(dg, during), ==, attempt);
    fx_clear(&f);
    dm_downgrades_free(dg);
}

/* Every way an attempt fails opens the window, from its first packet to
 * lookup_window after its end: its last SYN (unanswered, incomplete), its
 * reset (however late), its alert. */
static void
test_downgrade_failures(void)
{
    static const struct {
        const char *what;
        double end;             /* when the attempt ended */
        dm_outcome o;
    } cases[] = {
        { "unanswered", 3, DM_OUTCOME_UNANSWERED },
        { "incomplete", 3, DM_OUTCOME_INCOMPLETE },
        { "refused late", 1.5, DM_OUTCOME_REJECTED },
        { "alert", 0.010, DM_OUTCOME_TLS_FAILED },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx f;
        fx_init(&f);
        dm_downgrades *dg = dm_downgrades_new(f.tr, 5);
        dm_flow fl = FL(DM_DOT, CLIENT, 45453, SERVER, 853);
        if (i < 2) {            /* SYNs at 0, 1 and 3 */
            fx_tcp(&f, 1, 0, &fl, TRUE, FX_SYN);
            fx_tcp(&f, 2, 1, &fl, TRUE, FX_SYN);
            fx_tcp(&f, 3, 3, &fl, TRUE, FX_SYN);
        } else if (i == 2) {
            refused_at(&f, 1, 0, 45453, 1.5);
        } else {
            alert_at(&f, 1, 0, 45453);
        }
        guint32 during = plain(&f, 10, 0.001, CLIENT, 40001, SERVER);
        guint32 last = i == 1 ? 0 : plain(&f, 11, cases[i].end + 5, CLIENT, 40002, SERVER);
        if (i != 1)
            fx_tick(&f, 12, 20);
        dm_tracker_finish(f.tr);
        guint32 attempt = only_txn(&f, DM_DOT);
        if (i < 2)              /* numbered when it failed: after the first plain one */
            g_assert_cmpuint(attempt, >, during);
        g_assert_cmpstr(dm_outcome_name(fx_outcome(&f, attempt)), ==, dm_outcome_name(cases[i].o));
        g_assert_cmpint(dm_encrypted_end(f.tr, fx_txn(&f, attempt)), ==, S(cases[i].end));
        g_assert_cmpuint(dm_downgrade_of(dg, during), ==, attempt);
        if (last)
            g_assert_cmpuint(dm_downgrade_of(dg, last), ==, attempt);
        fx_clear(&f);
        dm_downgrades_free(dg);
    }
}

/* An attempt that worked is no reason to fall back: sealed encrypted
 * (no keys), or a DoT query answered (keys). Neither is one whose DNS
 * answer was an error: encryption worked, the answer is the server's (the
 * failures are the transport's own: rejected, unanswered, incomplete,
 * tls_failed). */
static void
test_downgrade_not_after_success(void)
{
    for (guint how = 0; how < 4; how++) {
        fx f;
        fx_init(&f);
        dm_downgrades *dg = dm_downgrades_new(f.tr, 5);
        if (how == 0) {
            dm_flow fl = FL(DM_DOT, CLIENT, 34195, SERVER, 853);
            dot_open(&f, &fl, 1, 0);
            fx_seg(&f, 4, 0.003, &fl, FALSE, SEG(.flags = FX_ACK, .hello = TRUE));
            fx_seg(&f, 5, 0.004, &fl, FALSE, SEG(.flags = FX_ACK, .encrypted = 1));
        } else {
            static const guint8 rcodes[] = { 0, 0, 3, 2 };
            dm_flow fl = FL(how == 1 ? DM_DOT : DM_DOH, CLIENT, 34196, SERVER,
                            how == 1 ? 853 : 443);
            fx_query(&f, 1, 0, &fl, 0, "www.example.test", 1);
            fx_response(&f, 2, 0.02, &fl, 0, "www.example.test", 1, rcodes[how],
                        rcodes[how] ? 0 : 1, FALSE);
        }
        guint32 attempt = dm_tracker_txn_count(f.tr);
        static const dm_outcome want[] = { DM_OUTCOME_ENCRYPTED, DM_OUTCOME_ANSWERED,
                                           DM_OUTCOME_NXDOMAIN, DM_OUTCOME_SERVFAIL };
        assert_outcome(&f, attempt, want[how]);
        guint32 p = plain(&f, 10, 1, CLIENT, 40001, SERVER);
        dm_tracker_finish(f.tr);
        g_assert_cmpuint(dm_downgrade_of(dg, p), ==, 0);
        fx_clear(&f);
        dm_downgrades_free(dg);
    }
}

/* With the keys, a DoH query never answered failed like a connection. */
static void
test_downgrade_doh_unanswered(void)
{
    fx f;
    fx_init(&f);
    dm_downgrades *dg = dm_downgrades_new(f.tr, 5);
    dm_flow fl = FL(DM_DOH, CLIENT, 52519, SERVER, 443);
    guint32 q = txn_of(&f, fx_query(&f, 1, 0, &fl, 0, "www.example.test", 1));
    guint32 p = plain(&f, 2, 2, CLIENT, 40001, SERVER);
    fx_tick(&f, 3, 10);
    dm_tracker_finish(f.tr);
    assert_outcome(&f, q, DM_OUTCOME_UNANSWERED);
    g_assert_cmpuint(dm_downgrade_of(dg, p), ==, q);
    fx_clear(&f);
    dm_downgrades_free(dg);
}

/* Two failed attempts: a plain transaction both windows hold links to the
 * earlier attempt (by first packet); one only the later window holds, to
 * the later one. */
static void
test_downgrade_two_attempts(void)
{
    fx f;
    fx_init(&f);
    dm_downgrades *dg = dm_downgrades_new(f.tr, 5);
    refused_at(&f, 1, 0, 41000, 0.001);                     /* ends 0.001 */
    guint32 a = dm_tracker_txn_count(f.tr);
    alert_at(&f, 3, 1, 41001);                              /* ends 1.010 */
    guint32 b = dm_tracker_txn_count(f.tr);
    g_assert_cmpuint(b, ==, a + 1);
    guint32 both = plain(&f, 10, 2, CLIENT, 40001, SERVER);
    guint32 second = plain(&f, 11, 5.5, CLIENT, 40002, SERVER);
    guint32 none = plain(&f, 12, 6.5, CLIENT, 40003, SERVER);
    dm_tracker_finish(f.tr);
    g_assert_cmpuint(dm_downgrade_of(dg, both), ==, a);
    g_assert_cmpuint(dm_downgrade_of(dg, second), ==, b);
    g_assert_cmpuint(dm_downgrade_of(dg, none), ==, 0);
    fx_clear(&f);
    dm_downgrades_free(dg);
}

/* ---- what a frame shows before the end ------------------------------------- */

/* A sealed connection shows its outcome at once (nothing later changes
 * it); an open one, and one decided by a reset or by time, is pending
 * until the capture ends, like any transaction without a response. */
static void
test_shown_outcome(void)
{
    fx f;
    fx_init(&f);
    dm_flow enc = FL(DM_DOT, CLIENT, 1001, SERVER, 853);
    dm_flow fail = FL(DM_DOT, CLIENT, 1002, SERVER, 853);
    dm_flow refused = FL(DM_DOT, CLIENT, 1003, SERVER, 853);
    dm_flow open = FL(DM_DOT, CLIENT, 1004, SERVER, 853);
    dot_open(&f, &enc, 1, 0);
    fx_seg(&f, 4, 0.01, &enc, FALSE, SEG(.flags = FX_ACK, .hello = TRUE));
    fx_seg(&f, 5, 0.02, &enc, FALSE, SEG(.flags = FX_ACK, .encrypted = 1));
    dot_open(&f, &fail, 10, 0.1);
    fx_seg(&f, 13, 0.11, &fail, FALSE, SEG(.flags = FX_ACK, .alert = TRUE, .alert_level = 2,
                                            .alert_desc = 40));
    fx_tcp(&f, 20, 0.2, &refused, TRUE, FX_SYN);
    fx_tcp(&f, 21, 0.21, &refused, FALSE, FX_RST | FX_ACK);
    dot_open(&f, &open, 30, 0.3);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 3);
    g_assert_cmpuint(dm_txn_shown_outcome(f.tr, fx_txn(&f, 1)), ==, DM_OUTCOME_ENCRYPTED);
    g_assert_cmpuint(dm_txn_shown_outcome(f.tr, fx_txn(&f, 2)), ==, DM_OUTCOME_TLS_FAILED);
    g_assert_cmpuint(dm_txn_shown_outcome(f.tr, fx_txn(&f, 3)), ==, DM_OUTCOME_PENDING);
    assert_outcome(&f, 3, DM_OUTCOME_REJECTED);
    dm_tracker_finish(f.tr);
    g_assert_cmpuint(dm_tracker_txn_count(f.tr), ==, 4);   /* the open one, at the end */
    assert_conn(&f, 4, DM_DOT, 30, 0);
    g_assert_cmpuint(dm_txn_shown_outcome(f.tr, fx_txn(&f, 3)), ==, DM_OUTCOME_REJECTED);
    g_assert_cmpuint(dm_txn_shown_outcome(f.tr, fx_txn(&f, 4)), ==, DM_OUTCOME_INCOMPLETE);
    fx_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dot/tls12-encrypted", test_dot_tls12_encrypted);
    g_test_add_func("/dot/tls13-encrypted", test_dot_tls13_encrypted);
    g_test_add_func("/dot/tls13-rejected-certificate", test_dot_tls13_rejected_certificate);
    g_test_add_func("/dot/alerts", test_dot_alerts);
    g_test_add_func("/dot/closed-during-handshake", test_dot_closed_during_handshake);
    g_test_add_func("/dot/refused", test_dot_refused);
    g_test_add_func("/dot/syn-unanswered", test_dot_syn_unanswered);
    g_test_add_func("/dot/handshake-stalled", test_dot_handshake_stalled);
    g_test_add_func("/dot/cut-mid-handshake", test_dot_cut_mid_handshake);
    g_test_add_func("/doq/encrypted", test_doq_encrypted);
    g_test_add_func("/doq/unanswered-and-refused", test_doq_unanswered_and_refused);
    g_test_add_func("/doq/client-initial-ack", test_doq_client_initial_ack);
    g_test_add_func("/dot/other-port-opened", test_dot_other_port_opened);
    g_test_add_func("/dot/other-port-not-opened", test_dot_other_port_not_opened);
    g_test_add_func("/dot/side-not-plain-tcp", test_dot_side_not_plain_tcp);
    g_test_add_func("/shown/outcome", test_shown_outcome);
    g_test_add_func("/downgrade/window", test_downgrade_window);
    g_test_add_func("/downgrade/failures", test_downgrade_failures);
    g_test_add_func("/downgrade/not-after-success", test_downgrade_not_after_success);
    g_test_add_func("/downgrade/doh-unanswered", test_downgrade_doh_unanswered);
    g_test_add_func("/downgrade/two-attempts", test_downgrade_two_attempts);
    return g_test_run();
}
