/* fuzz_tracker.c — libFuzzer target for the engine: the tracker's event API
 * with the lookups layer attached, then every read API, two statistics
 * ledgers (one fed frame by frame as a single pass's tap, one as a second
 * pass's), the incident report and the transaction log.
 *
 * The input is a little program (fuzz/README.md has the byte layout, and
 * fuzz/make-seeds.py writes it): a 4-byte configuration, then operations —
 * start a frame (its number repeated, +1 or jumping; its time the same,
 * forwards, backwards, far away or saturated), a DNS query or response, an
 * ICMP/ICMPv6 error with a full or short quote, a TCP segment, finish, flush
 * (a statistics draw mid-capture), forget (a single pass letting go of what
 * is done), report, read-all, retap. Addresses, ports,
 * IDs and names come from small pools so keys collide and get reused; any of
 * them may also be taken raw from the input.
 *
 * What the glue guarantees is kept (extract.c): frame numbers never go down;
 * every event carries the frame just begun and its time; a frame holds one
 * ICMP error and nothing else, or at most one TCP segment followed by DNS
 * messages; TCP segments have the server on port 53; names are what
 * dm_parse_name writes (printable ASCII, escapes), EDE text printable.
 *
 * Besides ASan/UBSan/LSan reports it aborts on broken invariants: items of a
 * frame belong to it and are not ghosts; ids in range; linked lists end;
 * the shown outcome is pending or the outcome; and, after the end, every
 * transaction and lookup a ledger counted is counted under its final outcome
 * (docs/design.md, "Statistics": the same numbers in one pass and with -2).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmon_describe.h"
#include "dnsmon_downgrade.h"
#include "dnsmon_forget.h"
#include "dnsmon_upstream.h"
#include "dnsmon_parse.h"
#include "dnsmon_report.h"
#include "dnsmon_txlog.h"

#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "fuzz_tracker: check failed at %s:%d: %s\n", __FILE__, \
                    __LINE__, #c);                                                 \
            abort();                                                               \
        }                                                                          \
    } while (0)

#define MAX_OPS 20000

/* DNSMON_FUZZ_TRACE=1 in the environment: every event on stderr (to read
 * a reproducer). */
static gboolean tracing;
#define TRACE(...) do { if (tracing) fprintf(stderr, __VA_ARGS__); } while (0)

static const char *
addr_text(const dm_addr *a)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    if (!a->family)
        return "-";
    return dm_addr_to_str(a, buf[k], sizeof buf[k]);
}

static void
trace_flow(const char *what, const dm_flow *f)
{
    TRACE("%s %s %s:%u -> %s:%u", what, f->transport == DM_TCP ? "tcp" : "udp",
          addr_text(&f->client), f->client_port, addr_text(&f->server), f->server_port);
}
#define MAX_HEAVY 6             /* reports, read-alls, retaps per input */

/* ---- reading the input ------------------------------------------------- */

typedef struct {
    const guint8 *p;
    gsize len, off;
} rd;

static gboolean
more(const rd *r)
{
    return r->off < r->len;
}

static guint8
u8(rd *r)
{
    return r->off < r->len ? r->p[r->off++] : 0;
}

static guint16
u16(rd *r)
{
    guint16 hi = u8(r);
    return (guint16)((hi << 8) | u8(r));
}

static guint32
u32(rd *r)
{
    guint32 hi = u16(r);
    return (hi << 16) | u16(r);
}

static guint64
u64(rd *r)
{
    guint64 hi = u32(r);
    return (hi << 32) | u32(r);
}

/* ---- pools ------------------------------------------------------------- */

static const char *const v4s[] = { "\xc0\x00\x02\x0a", "\xc0\x00\x02\x14", "\xcb\x00\x71\x02",
                                   "\xe0\x00\x00\xfb" };
static const char *const routers4[] = { "\xc6\x33\x64\x01", "\xc0\x00\x02\x01" };
static const guint8 v6base[16] = { 0x20, 0x01, 0x0d, 0xb8 };
static const guint8 v6last[] = { 0x10, 0x20, 0x53, 0xfb };
static const guint16 cports[16] = { 52444, 33333, 1024, 53, 5353, 5355, 0, 65535,
                                    40000, 40001, 40002, 40003, 12345, 853, 1, 0 };
static const guint16 sports[16] = { 53, 53, 53, 53, 53, 53, 5353, 5355,
                                    853, 0, 65535, 1053, 52444, 33333, 54, 0 };
static const guint16 ids[8] = { 0x890c, 0x0001, 0x0000, 0xffff, 0x1234, 0x1235, 0xabcd, 0x0002 };
static const guint16 qtypes[7] = { 1, 28, 1, 252, 251, 255, 0 };
#define NAMES 12
static const char *names[NAMES] = {
    "www.example.com", "WWW.EXAMPLE.COM", "example.com", "yummyrecipesforme.com", "<Root>",
    "www\\.example.com", "a", "Www.Example.Com", "xn--bcher-kva.example", NULL /* long */,
    "\\000\\255.example", "_dmarc.example.org",
};
static char long_name[300];

static dm_addr
pool_addr(guint family, guint idx)
{
    dm_addr a;
    memset(&a, 0, sizeof a);
    if (family == 4) {
        a.family = 4;
        memcpy(a.bytes, v4s[idx & 3], 4);
    } else {
        a.family = 6;
        memcpy(a.bytes, v6base, 16);
        a.bytes[15] = v6last[idx & 3];
        if ((idx & 3) == 3) {       /* ff02::fb: mDNS */
            memset(a.bytes, 0, 16);
            a.bytes[0] = 0xff;
            a.bytes[1] = 0x02;
            a.bytes[15] = 0xfb;
        }
    }
    return a;
}

static dm_addr
router_addr(guint family, guint idx)
{
    dm_addr a;
    memset(&a, 0, sizeof a);
    a.family = (guint8)family;
    if (family == 4) {
        memcpy(a.bytes, routers4[idx & 1], 4);
    } else {
        a.bytes[0] = (idx & 1) ? 0x20 : 0xfe;
        a.bytes[1] = (idx & 1) ? 0x01 : 0x80;
        a.bytes[15] = 1;
    }
    return a;
}

/* ---- state ------------------------------------------------------------- */

typedef struct {
    dm_tracker *tr;
    dm_lookups *ls;
    dm_upstream *up;            /* resolvers: what each asked below */
    dm_downgrades *dg;          /* encrypted attempts and their plain fallbacks */
    dm_ledger *tap;             /* a single pass's listener, fed frame by frame */
    GArray *tap_txn, *tap_lookup;   /* int: what its callbacks said, per id */
    guint32 frame;
    dm_time ts;
    gboolean begun;
    gboolean has_icmp, has_tcp, has_dns, skip_tap;
    gboolean ended;             /* the current frame was rendered and tapped */
    GArray *frames;             /* guint32: frames begun, for a second pass */
    dm_flow last_flow;          /* of the latest DNS message or segment */
    guint16 last_id;
    char last_name[DM_NAME_MAX];
    gboolean have_last_name;
    guint heavy;
    gboolean finished_once;     /* a FINISH op ran */
    gboolean forgot;            /* a FORGET op let something go: no retaps from then on */
    FILE *devnull;
    char namebuf[DM_NAME_MAX];
    char edebuf[DM_EDE_TEXT_MAX];
} st;

static dm_time
sat_add(dm_time a, gint64 b)
{
    dm_time r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? G_MAXINT64 : G_MININT64;
    return r;
}

/* ---- ledger callbacks: the sequence of moves must be consistent -------- */

static int *
shadow(GArray *a, guint32 id)
{
    if (a->len < id) {
        guint old = a->len;
        g_array_set_size(a, id);
        for (guint i = old; i < id; i++)
            g_array_index(a, int, i) = DM_NOT_COUNTED;
    }
    return &g_array_index(a, int, id - 1);
}

static void
tap_txn_moved(void *user, guint32 txn, int old, int now)
{
    st *s = user;
    CHECK(txn >= 1 && txn <= dm_tracker_txn_count(s->tr));
    CHECK(now >= 0 && now < DM_OUTCOME_COUNT && now != old);
    int *v = shadow(s->tap_txn, txn);
    TRACE("    tap: txn %u counted %s (was %s)\n", txn, dm_outcome_name((dm_outcome)now),
          old < 0 ? "-" : dm_outcome_name((dm_outcome)old));
    CHECK(*v == old);
    *v = now;
}

static void
tap_lookup_moved(void *user, guint32 id, int old, int now)
{
    st *s = user;
    CHECK(id >= 1 && id <= dm_lookups_count(s->ls));
    CHECK(now >= 0 && now < DM_LOOKUP_COUNT && now != old);
    int *v = shadow(s->tap_lookup, id);
    TRACE("    tap: lookup %u counted %s (was %s)\n", id,
          dm_lookup_outcome_name((dm_lookup_outcome)now),
          old < 0 ? "-" : dm_lookup_outcome_name((dm_lookup_outcome)old));
    CHECK(*v == old);
    *v = now;
}

static const dm_ledger_fns tap_fns = { tap_txn_moved, tap_lookup_moved };
static const dm_ledger_fns no_fns = { NULL, NULL };

/* ---- reading everything, as render.c, the taps and the report do -------- */

static void
text(char *s)
{
    CHECK(s != NULL);
    g_free(s);
}

/* Walks of linked lists: at most MAX_LINKS per frame, as render.c does;
 * whole (and checked to end) when reading everything. */
#define MAX_LINKS 32

static void
read_lookup(const st *s, guint32 txn, gboolean whole)
{
    guint32 id = dm_lookups_of(s->ls, txn);
    if (!id)
        return;
    CHECK(id <= dm_lookups_count(s->ls));
    const dm_lookup *l = dm_lookups_get(s->ls, id);
    CHECK(l != NULL);
    dm_lookup_outcome o = dm_lookup_outcome_of(s->ls, l);
    dm_lookup_outcome so = dm_lookup_shown_outcome(s->ls, l);
    CHECK(o < DM_LOOKUP_COUNT && so < DM_LOOKUP_COUNT);
    CHECK(dm_lookup_outcome_name(o) != NULL);
    dm_time delay;
    if (dm_lookup_delay(s->ls, l, &delay))
        text(dm_duration_text(delay));
    CHECK(l->first_txn >= 1 && l->first_txn <= dm_tracker_txn_count(s->tr));
    CHECK(l->definitive <= dm_tracker_txn_count(s->tr));
    if (l->first_txn < dm_tracker_first(s->tr)) {
        CHECK(l->sealed);       /* its first transactions are forgotten */
        return;
    }
    /* The chain of its transactions ends, and holds only its own. */
    guint32 n = 0;
    for (guint32 t = l->first_txn; t && (whole || n < MAX_LINKS); t = dm_lookups_next(s->ls, t)) {
        CHECK(t <= dm_tracker_txn_count(s->tr));
        CHECK(dm_lookups_of(s->ls, t) == id);
        CHECK(++n <= dm_tracker_txn_count(s->tr));
    }
    if (whole)
        CHECK(n == l->txns);
    if (l->servers)
        CHECK(dm_tracker_addr(s->tr, l->server) != NULL);
}

static void
read_txn(const st *s, guint32 num, gboolean whole)
{
    const dm_tracker *tr = s->tr;
    const dm_txn *t = dm_tracker_txn(tr, num);
    CHECK(t != NULL);
    dm_outcome o = dm_txn_outcome(tr, t), so = dm_txn_shown_outcome(tr, t);
    CHECK(o > DM_OUTCOME_PENDING && o < DM_OUTCOME_COUNT);
    CHECK(so == DM_OUTCOME_PENDING || so == o);
    CHECK(dm_outcome_name(o) && dm_outcome_text(o));
    (void)dm_outcome_is_failure(o);
    dm_time rtt;
    if (dm_txn_rtt(tr, t, &rtt))
        text(dm_duration_text(rtt));
    dm_flow f;
    dm_txn_flow(tr, t, &f);
    char buf[64];
    CHECK(dm_addr_to_str(&f.client, buf, sizeof buf) != NULL);
    text(dm_endpoint_to_str(&f.server, f.server_port));
    (void)dm_transport_name(f.transport);
    dm_question q = dm_txn_question(tr, t);
    text(dm_question_text(&q));
    (void)dm_qtype_text(t->qtype, buf, sizeof buf);
    if (t->name) {
        CHECK(dm_tracker_name(tr, t->name) != NULL);
        CHECK(dm_tracker_name(tr, dm_tracker_name_folded(tr, t->name)) != NULL);
    }
    guint32 items = dm_tracker_item_count(tr);
    guint32 last_resp = dm_txn_last_response(tr, t);
    CHECK(t->first_item <= items && dm_txn_last_item(tr, t) <= items &&
          dm_txn_answer_item(tr, t) <= items && last_resp <= items);
    (void)dm_tracker_item_frame(tr, t->first_item);
    (void)dm_tracker_item_frame(tr, dm_txn_last_item(tr, t));
    (void)dm_tracker_item_frame(tr, dm_txn_answer_item(tr, t));
    (void)dm_tracker_item_frame(tr, last_resp);
    const dm_icmp *ic = dm_txn_icmp_on_query(tr, t);
    if (ic)
        text(dm_icmp_cause(tr, t, ic));
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    if (e) {
        CHECK(e->wrong_item <= items && e->reset_item <= items);
        (void)dm_tracker_item_frame(tr, e->wrong_item);
        (void)dm_tracker_item_frame(tr, e->reset_item);
        if (e->wrong_from)
            CHECK(dm_tracker_addr(tr, e->wrong_from) != NULL);
        CHECK(e->fallback_of <= dm_tracker_txn_count(tr) &&
              e->fallback_in <= dm_tracker_txn_count(tr));
        if (t->flags & DM_T_EDE)
            (void)dm_ede_name(e->ede_code);
        guint32 n = 0;
        for (guint32 i = e->first_icmp; i && (whole || n < MAX_LINKS); ) {
            const dm_icmp *c = dm_tracker_icmp_ref(tr, i);
            CHECK(c != NULL);
            CHECK(c->quoted <= items);
            (void)dm_tracker_item_frame(tr, c->quoted);
            (void)dm_icmp_kind_text((dm_icmp_kind)c->kind);
            (void)dm_reporter_text((dm_reporter)c->who);
            CHECK(dm_tracker_addr(tr, c->reporter) != NULL);
            text(dm_icmp_cause(tr, t, c));
            CHECK(++n <= items);
            i = c->next;
        }
    }
    read_lookup(s, num, whole);
}

/* What render.c reads for one frame: its items and everything they link. */
static void
read_frame(const st *s, guint32 frame)
{
    const dm_tracker *tr = s->tr;
    guint32 first = 0;
    guint n = dm_tracker_frame_items(tr, frame, &first);
    for (guint i = 0; i < n; i++) {
        guint32 id = first + i;
        const dm_item *it = dm_tracker_item(tr, id);
        CHECK(it != NULL);
        CHECK(it->frame == frame && !(it->flags & DM_F_GHOST));
        CHECK(dm_tracker_item_frame(tr, id) == frame);
        CHECK(it->role >= DM_ROLE_QUERY && it->role <= DM_ROLE_RESET);
        CHECK(it->txn <= dm_tracker_txn_count(tr));
        if (it->txn && dm_upstream_ready(s->up)) {
            const guint32 *links;
            guint k = dm_upstream_of(s->up, it->txn, &links);
            for (guint j = 0; j < k; j++)
                CHECK(links[j] >= 1 && links[j] <= dm_tracker_txn_count(tr));
            k = dm_downstream_of(s->up, it->txn, &links);
            for (guint j = 0; j < k; j++)
                CHECK(links[j] >= 1 && links[j] <= dm_tracker_txn_count(tr));
            GArray *fr = g_array_new(FALSE, FALSE, sizeof(guint32));
            g_free(dm_upstream_failure_text(tr, s->up, it->txn, fr));
            for (guint j = 0; j < fr->len; j++)
                CHECK(g_array_index(fr, guint32, j) <= s->frame);
            g_array_free(fr, TRUE);
            g_free(dm_encrypted_failure_text(tr, dm_tracker_txn(tr, it->txn)));
        }
        if (it->txn && dm_downgrades_ready(s->dg)) {
            guint32 of = dm_downgrade_of(s->dg, it->txn);
            CHECK(of < it->txn || (of > it->txn && of <= dm_tracker_txn_count(tr)) || of == 0);
        }
        if (it->role == DM_ROLE_ICMP) {
            const dm_icmp *ic = dm_tracker_icmp_ref(tr, dm_item_ref(tr, it));
            CHECK(ic != NULL && ic->item == id);
            (void)dm_tracker_item_frame(tr, ic->quoted);
            if (ic->note) {
                const dm_note *nt = dm_tracker_note(tr, ic->note);
                CHECK(nt != NULL);
                text(dm_endpoint_to_str(&nt->flow.server, nt->flow.server_port));
                if (nt->name)
                    CHECK(dm_tracker_name(tr, nt->name) != NULL);
            }
            if (ic->nat_server)
                CHECK(dm_tracker_addr(tr, ic->nat_server) != NULL);
        } else if (it->role == DM_ROLE_RESPONSE && dm_item_ref(tr, it)) {
            const dm_note *nt = dm_tracker_note(tr, dm_item_ref(tr, it));
            CHECK(nt != NULL);
            if (nt->name)
                CHECK(dm_tracker_name(tr, nt->name) != NULL);
        }
        if (it->txn)
            read_txn(s, it->txn, FALSE);
    }
}

static void
read_all(const st *s)
{
    guint32 n = dm_tracker_txn_count(s->tr);
    for (guint32 i = 1; i < dm_tracker_first(s->tr); i++)
        CHECK(dm_tracker_txn(s->tr, i) == NULL);     /* forgotten */
    for (guint32 i = dm_tracker_first(s->tr); i <= n; i++)
        read_txn(s, i, TRUE);
    const guint32 *log;
    guint32 k = dm_tracker_settled(s->tr, &log);
    for (guint32 i = 0; i < k; i++)
        CHECK(log[i] >= dm_tracker_first(s->tr) && log[i] <= n);
    guint32 nl = dm_lookups_count(s->ls);
    k = dm_lookups_settled(s->ls, &log);
    for (guint32 i = 0; i < k; i++)
        CHECK(log[i] >= dm_lookups_first(s->ls) && log[i] <= nl);
    for (guint32 i = dm_lookups_first(s->ls); i <= nl; i++) {
        const dm_lookup *l = dm_lookups_get(s->ls, i);
        CHECK(l != NULL);
        CHECK(l->first_txn < dm_tracker_first(s->tr) || dm_lookups_of(s->ls, l->first_txn) == i);
    }
    (void)dm_tracker_bytes(s->tr);
    (void)dm_lookups_bytes(s->ls);
}

enum { OUT_REPORT = 1, OUT_TXLOG = 2 };

static void
write_outputs(const st *s, const dm_ledger *seen, guint what)
{
    if (what & OUT_REPORT) {
        GString *out = g_string_new(NULL);
        dm_report_write(s->tr, s->ls, s->up, s->dg, seen, out);
        CHECK(strlen(out->str) == out->len);
        g_string_free(out, TRUE);
    }
    if (what & OUT_TXLOG)
        dm_txlog_write(s->tr, s->ls, s->up, s->dg, seen, s->devnull);
}

/* fuzz/crashes/fuzz_tracker/ holds the reproducers of two bugs this check
 * found, fixed since: a lookup settled and counted, then reopened by a
 * retransmission at exactly the time-out, was never logged again
 * (lookups.c on_activity); a transaction that dm_tracker_finish settled as
 * incomplete, then timed out by later events, was never logged again
 * (tracker.c DM_T_CUT). */
/* Every counted transaction and lookup is counted under its outcome now. */
static void
check_ledger(const st *s, const dm_ledger *l, GArray *txn_shadow, GArray *lookup_shadow)
{
    guint32 n = dm_tracker_txn_count(s->tr), first = dm_tracker_first(s->tr);
    if (tracing) {
        for (guint32 i = first; i <= n; i++) {
            const dm_txn *t = dm_tracker_txn(s->tr, i);
            int c = dm_ledger_counted(l, i);
            TRACE("txn %u: %s, attempts %u, lookup %u, %s, counted %s\n", i,
                  dm_outcome_name(dm_txn_outcome(s->tr, t)), dm_txn_attempts(s->tr, t),
                  dm_lookups_of(s->ls, i), (t->flags & DM_T_SETTLED) ? "settled" : "open",
                  c < 0 ? "-" : dm_outcome_name((dm_outcome)c));
        }
        for (guint32 i = dm_lookups_first(s->ls); i <= dm_lookups_count(s->ls); i++) {
            const dm_lookup *lk = dm_lookups_get(s->ls, i);
            int c = dm_ledger_lookup_counted(l, i);
            TRACE("lookup %u: %s, txns %u, %s, counted %s\n", i,
                  dm_lookup_outcome_name(dm_lookup_outcome_of(s->ls, lk)), lk->txns,
                  lk->settled ? "settled" : "open",
                  c < 0 ? "-" : dm_lookup_outcome_name((dm_lookup_outcome)c));
        }
    }
    for (guint32 i = first; i <= n; i++) {
        int c = dm_ledger_counted(l, i);
        int o = (int)dm_txn_outcome(s->tr, dm_tracker_txn(s->tr, i));
        if (dm_ledger_seen(l, i) && c != o)
            fprintf(stderr, "fuzz_tracker: transaction %u counted as %s, outcome %s\n", i,
                    c < 0 ? "(not counted)" : dm_outcome_name((dm_outcome)c),
                    dm_outcome_name((dm_outcome)o));
        if (dm_ledger_seen(l, i))
            CHECK(c == o);
        if (txn_shadow)
            CHECK(c == (i <= txn_shadow->len ? g_array_index(txn_shadow, int, i - 1)
                                             : DM_NOT_COUNTED));
    }
    guint32 nl = dm_lookups_count(s->ls);
    for (guint32 i = dm_lookups_first(s->ls); i <= nl; i++) {
        int c = dm_ledger_lookup_counted(l, i);
        int o = (int)dm_lookup_outcome_of(s->ls, dm_lookups_get(s->ls, i));
        if (c != DM_NOT_COUNTED && c != o)
            fprintf(stderr, "fuzz_tracker: lookup %u counted as %s, outcome %s\n", i,
                    dm_lookup_outcome_name((dm_lookup_outcome)c),
                    dm_lookup_outcome_name((dm_lookup_outcome)o));
        if (c != DM_NOT_COUNTED)
            CHECK(c == o);
        if (lookup_shadow)
            CHECK(c == (i <= lookup_shadow->len ? g_array_index(lookup_shadow, int, i - 1)
                                                : DM_NOT_COUNTED));
    }
}

/* A second pass: a fresh listener sees every frame again. */
static dm_ledger *
retap(const st *s)
{
    dm_ledger *l = dm_ledger_new();
    guint32 prev = 0;
    for (guint i = 0; i < s->frames->len; i++) {
        guint32 f = g_array_index(s->frames, guint32, i);
        if (i && f == prev)
            continue;
        prev = f;
        guint32 first = 0;
        guint n = dm_tracker_frame_items(s->tr, f, &first);
        for (guint k = 0; k < MAX(n, 1u); k++)
            dm_ledger_update(l, s->tr, s->ls, n ? first + k : 0, &no_fns, NULL);
    }
    dm_ledger_flush(l, s->tr, s->ls, &no_fns, NULL);
    return l;
}

/* ---- events ------------------------------------------------------------ */

/* The frame just dissected: render reads it, the tap listener gets it. */
static void
end_frame(st *s)
{
    if (!s->begun || s->ended)
        return;
    s->ended = TRUE;
    read_frame(s, s->frame);
    if (s->skip_tap)
        return;
    guint32 first = 0;
    guint n = dm_tracker_frame_items(s->tr, s->frame, &first);
    for (guint k = 0; k < MAX(n, 1u); k++)
        dm_ledger_update(s->tap, s->tr, s->ls, n ? first + k : 0, &tap_fns, s);
}

static void
begin(st *s, guint32 frame, dm_time ts, gboolean skip_tap)
{
    end_frame(s);
    s->frame = frame;
    s->ts = ts;
    s->begun = TRUE;
    s->has_icmp = s->has_tcp = s->has_dns = FALSE;
    s->ended = FALSE;
    s->skip_tap = skip_tap;
    g_array_append_val(s->frames, frame);
    TRACE("frame %u ts %" G_GINT64_FORMAT "%s\n", frame, ts, skip_tap ? " (tap skips it)" : "");
    dm_tracker_begin_frame(s->tr, frame, ts);
}

static guint32
next_frame(const st *s, guint32 delta)
{
    if (!s->begun)
        return delta ? delta : 1;
    return s->frame > G_MAXUINT32 - delta ? G_MAXUINT32 : s->frame + delta;
}

static void
op_frame(st *s, rd *r)
{
    guint8 m = u8(r);
    guint32 frame;
    switch (m & 3) {
    case 0: frame = s->begun ? s->frame : 1; break;     /* the number again: a ghost */
    case 1: frame = next_frame(s, 1); break;
    case 2: frame = next_frame(s, 1u + u8(r)); break;
    default: frame = next_frame(s, u32(r)); break;
    }
    dm_time ts = s->ts;
    switch ((m >> 2) & 7) {
    case 0: break;
    case 1: ts = sat_add(ts, (gint64)u16(r) * 1000000); break;             /* ms */
    case 2: ts = sat_add(ts, (gint64)u8(r) * DM_NS_PER_SEC); break;
    case 3: ts = sat_add(ts, -(gint64)u16(r) * 1000000); break;            /* backwards */
    case 4: ts = sat_add(ts, -(gint64)u8(r) * DM_NS_PER_SEC); break;
    case 5: ts = sat_add(ts, (gint64)u16(r) * 3600 * DM_NS_PER_SEC); break;
    case 6: {
        gint64 secs = (gint64)u64(r);
        ts = dm_time_from(secs, (gint32)(u32(r) % 1000000000u));
        break;
    }
    default: {
        static const dm_time extremes[] = { G_MAXINT64, G_MININT64, 0, -1,
                                            G_MAXINT64 - 1, G_MININT64 + 1 };
        ts = extremes[u8(r) % G_N_ELEMENTS(extremes)];
        break;
    }
    }
    begin(s, frame, ts, (m & 0x20) != 0);
}

/* The glue never mixes an ICMP error with anything in one frame, and puts
 * a frame's TCP segment before its DNS messages. */
static void
need_frame(st *s, gboolean icmp, gboolean tcp)
{
    /* After a FINISH (or a frame already tapped), events need a new frame. */
    gboolean fresh = !s->begun || s->ended;
    if (!fresh) {
        if (icmp)
            fresh = s->has_icmp || s->has_tcp || s->has_dns;
        else if (tcp)
            fresh = s->has_icmp || s->has_tcp || s->has_dns;
        else
            fresh = s->has_icmp;
    }
    if (fresh)
        begin(s, next_frame(s, 1), s->ts, FALSE);
}

static void
read_flow(rd *r, dm_flow *f, const st *s)
{
    guint8 b = u8(r);
    if (b & 0x40) {             /* the latest flow again */
        *f = s->last_flow;
        if (b & 0x80)
            f->transport = (dm_transport)(b & 1);
        return;
    }
    memset(f, 0, sizeof *f);
    guint fam = (b & 2) ? 6 : 4;
    f->transport = (b & 1) ? DM_TCP : DM_UDP;
    f->client = pool_addr(fam, (b >> 2) & 3);
    f->server = pool_addr(fam, (b >> 4) & 3);
    if (b & 0x80) {             /* raw addresses */
        for (int k = 0; k < (fam == 4 ? 4 : 16); k++)
            f->server.bytes[k] = u8(r);
    }
    guint8 p = u8(r);
    f->client_port = (p & 15) == 15 ? u16(r) : cports[p & 15];
    f->server_port = (p >> 4) == 15 ? u16(r) : sports[p >> 4];
}

static guint16
read_id(rd *r, const st *s)
{
    guint8 b = u8(r);
    if (b & 0x80)
        return u16(r);
    if (b & 0x40)
        return s->last_id;
    return ids[b & 7];
}

/* A question as the glue hands it: name (or NULL), bad_question. */
static void
read_question(rd *r, st *s, dm_question *q, gboolean *bad)
{
    guint8 b = u8(r);
    q->name = NULL;
    q->type = q->klass = 0;
    *bad = FALSE;
    guint m = b & 15;
    if (m < NAMES) {
        q->name = names[m];
    } else if (m == 12) {
        return;                 /* qdcount 0 */
    } else if (m == 13) {
        *bad = TRUE;
        return;
    } else if (m == 14) {
        /* Wire bytes from the input, read as the glue would. */
        guint8 len = u8(r);
        guint8 wire[256];
        gsize n = 0;
        while (n < len && more(r))
            wire[n++] = u8(r);
        if (!dm_parse_name(wire, n, 0, s->namebuf, sizeof s->namebuf)) {
            *bad = TRUE;
            return;
        }
        q->name = s->namebuf;
    } else {
        q->name = s->have_last_name ? s->last_name : names[0];
    }
    guint t = (b >> 4) & 7;
    q->type = t == 7 ? u16(r) : qtypes[t];
    q->klass = (b & 0x80) ? u16(r) : 1;
}

static void
remember(st *s, const dm_flow *f, guint16 id, const dm_question *q)
{
    s->last_flow = *f;
    s->last_id = id;
    if (q && q->name && q->name != s->last_name) {
        g_strlcpy(s->last_name, q->name, sizeof s->last_name);
        s->have_last_name = TRUE;
    }
}

static void
op_dns(st *s, rd *r, gboolean response)
{
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    read_flow(r, &m.flow, s);
    m.id = read_id(r, s);
    read_question(r, s, &m.q, &m.bad_question);
    guint8 f = u8(r);
    if (response) {
        m.rcode = f & 15;
        m.tc = (f & 0x10) != 0;
        static const guint16 an[] = { 0, 1, 2, 65535 };
        m.ancount = an[f >> 6];
        guint8 g = u8(r);
        m.opcode = (g >> 1) & 15;
        if (g & 1) {
            m.has_ede = TRUE;
            m.ede_code = u16(r);
            guint8 len = u8(r) % DM_EDE_TEXT_MAX;
            gsize n = 0;
            for (; n < len && more(r); n++) {
                guint8 c = u8(r);
                s->edebuf[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
            }
            s->edebuf[n] = '\0';
            m.ede_text = (g & 0x20) ? NULL : s->edebuf;
        }
    } else {
        m.opcode = (f >> 1) & 15;
    }
    need_frame(s, FALSE, FALSE);
    s->has_dns = TRUE;
    m.frame = s->frame;
    m.ts = s->ts;
    if (tracing) {
        trace_flow(response ? "  response" : "  query", &m.flow);
        TRACE(" id %u q %s/%u/%u%s rcode %u an %u tc %d ede %d/%u\n", m.id,
              m.q.name ? m.q.name : "(none)", m.q.type, m.q.klass, m.bad_question ? " bad" : "",
              m.rcode, m.ancount, m.tc, m.has_ede, m.ede_code);
    }
    if (response)
        dm_tracker_response(s->tr, &m);
    else
        dm_tracker_query(s->tr, &m);
    remember(s, &m.flow, m.id, &m.q);
}

static void
op_icmp(st *s, rd *r)
{
    static const guint8 tc4[8][2] = { { 3, 3 }, { 3, 1 }, { 3, 0 }, { 3, 13 },
                                      { 11, 0 }, { 3, 4 }, { 4, 0 }, { 12, 0 } };
    static const guint8 tc6[8][2] = { { 1, 4 }, { 1, 3 }, { 1, 0 }, { 1, 1 },
                                      { 3, 0 }, { 2, 0 }, { 4, 0 }, { 1, 6 } };
    dm_icmp_msg m;
    memset(&m, 0, sizeof m);
    guint8 b = u8(r);
    m.version = (b & 1) ? 6 : 4;
    guint k = (b >> 1) & 7;
    m.type = m.version == 4 ? tc4[k][0] : tc6[k][0];
    m.code = m.version == 4 ? tc4[k][1] : tc6[k][1];
    if (b & 0x10) {
        m.type = u8(r);
        m.code = u8(r);
    }
    /* The quoted packet: the latest flow (a query, or with bit 6 its
     * response), or one of its own. */
    dm_flow f;
    gboolean response = (b & 0x40) != 0;
    if (b & 0x20) {
        f = s->last_flow;
    } else {
        read_flow(r, &f, s);
        f.transport = (b & 0x80) ? DM_TCP : DM_UDP;
    }
    if (f.client.family == 0) {
        f.client = pool_addr(4, 0);
        f.server = pool_addr(4, 2);
        f.server_port = 53;
    }
    m.transport = f.transport;
    m.src = response ? f.server : f.client;
    m.dst = response ? f.client : f.server;
    m.sport = response ? f.server_port : f.client_port;
    m.dport = response ? f.client_port : f.server_port;
    guint8 w = u8(r);
    switch (w & 3) {
    case 0: m.reporter = m.dst; break;
    case 1: m.reporter = m.src; break;
    case 2: m.reporter = router_addr(m.dst.family, (w >> 2) & 1); break;
    default: m.reporter = router_addr(m.version, (w >> 2) & 1); break;
    }
    guint8 c = u8(r);
    m.tcp_syn = m.transport == DM_TCP && (c & 4);
    if (c & 3) {
        m.has_id = TRUE;
        m.qr = response ^ ((c & 8) != 0);
        m.id = (c & 0x10) ? u16(r) : s->last_id;
        if ((c & 3) == 1 && s->have_last_name) {
            m.q.name = s->last_name;
            m.q.type = (c & 0x20) ? u16(r) : 1;
            m.q.klass = 1;
        } else if ((c & 3) == 3) {
            gboolean bad;
            read_question(r, s, &m.q, &bad);
        }
    }
    need_frame(s, TRUE, FALSE);
    s->has_icmp = TRUE;
    m.frame = s->frame;
    m.ts = s->ts;
    gboolean took = dm_tracker_icmp(s->tr, &m);
    TRACE("  icmpv%u %u/%u from %s quotes %s %s:%u -> %s:%u syn %d id %s%u qr %d q %s -> %s\n",
          m.version, m.type, m.code, addr_text(&m.reporter),
          m.transport == DM_TCP ? "tcp" : "udp", addr_text(&m.src), m.sport, addr_text(&m.dst),
          m.dport, m.tcp_syn, m.has_id ? "" : "(none) ", m.id, m.qr,
          m.q.name ? m.q.name : "(none)", took ? "recorded" : "ignored");
}

static void
op_tcp(st *s, rd *r)
{
    dm_tcp_seg g;
    memset(&g, 0, sizeof g);
    guint8 b = u8(r);
    if (b & 0x20) {
        g.flow = s->last_flow;
        if (g.flow.client.family == 0)
            g.flow.client = pool_addr(4, 0), g.flow.server = pool_addr(4, 2);
    } else {
        read_flow(r, &g.flow, s);
    }
    /* The top bits: plain TCP, DNS over TLS or DNS over QUIC, and what the
     * handshake shows in the clear. */
    guint8 h = (b & 0xc0) ? u8(r) : 0;
    g.flow.transport = (b & 0xc0) == 0xc0 ? DM_DOQ : (b & 0xc0) ? DM_DOT : DM_TCP;
    g.flow.server_port = g.flow.transport == DM_TCP ? 53 : 853;
    g.from_client = (b & 1) != 0 || g.flow.client_port == g.flow.server_port;
    g.syn = (b & 2) != 0;
    g.ack = (b & 4) != 0;
    g.rst = (b & 8) != 0;
    g.fin = (b & 16) != 0;
    g.hello = (h & 1) != 0;
    g.tls13 = (h & 2) != 0;
    g.alert = (h & 4) != 0;
    g.alert_level = (h & 8) ? 2 : 1;
    g.alert_desc = (guint8)(h & 0x30) * 2;
    g.encrypted = (guint8)(h >> 6);
    need_frame(s, FALSE, TRUE);
    s->has_tcp = TRUE;
    g.frame = s->frame;
    g.ts = s->ts;
    if (tracing) {
        trace_flow("  tcp", &g.flow);
        TRACE(" %s syn %d ack %d rst %d fin %d\n", g.from_client ? "from client" : "from server",
              g.syn, g.ack, g.rst, g.fin);
    }
    dm_tracker_tcp(s->tr, &g);
    s->last_flow = g.flow;
}

static double
cfg_value(guint8 b, double unit)
{
    if (b == 0xff)
        return 4294967295.0 * unit;     /* the largest preference */
    return (double)(b % 32) * unit;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* 63 labels of 3 + the last: 253 characters. */
    GString *n = g_string_new(NULL);
    while (n->len + 4 < 250)
        g_string_append(n, "abc.");
    g_string_append(n, "xyz");
    g_strlcpy(long_name, n->str, sizeof long_name);
    g_string_free(n, TRUE);
    names[9] = long_name;
    tracing = getenv("DNSMON_FUZZ_TRACE") != NULL;
    return 0;
}

/* A single pass that nothing revisits lets go of what is done, as the
 * engine's owner does (engine.c): the listener took everything, the log
 * writes what goes, every layer forgets. */
static void
op_forget(st *s)
{
    guint32 first = dm_tracker_first(s->tr), until = dm_forget_point(s->tr, s->ls);
    TRACE("forget below %u (first %u)\n", until, first);
    if (until <= first)
        return;
    for (guint32 i = first; i < until; i++)
        CHECK(dm_tracker_txn_done(s->tr, i) && dm_lookups_txn_final(s->ls, i));
    dm_forget_decide(s->up, s->dg);
    dm_txlog_write_range(s->tr, s->ls, s->up, s->dg, s->tap, s->devnull, first, until);
    dm_forget(s->tr, s->ls, s->up, s->dg, until);
    CHECK(dm_tracker_first(s->tr) == until);
    CHECK(dm_tracker_txn(s->tr, until - 1) == NULL);
    s->forgot = TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = { data, size, 0 };
    dm_config cfg;
    cfg.timeout = cfg_value(u8(&r), 1);
    cfg.retransmit_window = cfg_value(u8(&r), 1);
    guint8 slow = u8(&r);
    cfg.slow_threshold = cfg_value(slow, 0.1);
    cfg.lookup_window = cfg_value(u8(&r), 1);
    /* Wireshark's own DNS retransmission timer: the slow byte's top bits,
     * 0-7 s (0: Wireshark never flags). */
    cfg.wireshark_retransmit_timer = slow == 0xff ? 4294967295.0 : (double)(slow >> 5);

    static st s;
    memset(&s, 0, sizeof s);
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    s.devnull = devnull;
    s.tr = dm_tracker_new(&cfg);
    s.ls = dm_lookups_new(s.tr, cfg.lookup_window);
    s.up = dm_upstream_new(s.tr);
    s.dg = dm_downgrades_new(s.tr, cfg.lookup_window);
    s.tap = dm_ledger_new();
    s.tap_txn = g_array_new(FALSE, FALSE, sizeof(int));
    s.tap_lookup = g_array_new(FALSE, FALSE, sizeof(int));
    s.frames = g_array_new(FALSE, FALSE, sizeof(guint32));
    s.ts = dm_time_from(1715693072, 192571000);

    for (guint ops = 0; more(&r) && ops < MAX_OPS; ops++) {
        guint8 op = u8(&r);
        switch (op & 15) {
        case 0: case 1: op_frame(&s, &r); break;
        case 2: case 3: case 4: op_dns(&s, &r, FALSE); break;
        case 5: case 6: case 7: op_dns(&s, &r, TRUE); break;
        case 8: case 9: op_icmp(&s, &r); break;
        case 10: case 11: op_tcp(&s, &r); break;
        case 12:
            /* The first pass is over (a later event reopens). */
            end_frame(&s);
            TRACE("finish\n");
            s.finished_once = TRUE;
            dm_tracker_finish(s.tr);
            CHECK(dm_tracker_finished(s.tr));
            break;
        case 13:
            /* A statistics draw mid-capture. */
            TRACE("flush (a statistics draw)\n");
            dm_ledger_flush(s.tap, s.tr, s.ls, &tap_fns, &s);
            if ((op & 0x10) && !dm_tracker_finished(s.tr))
                op_forget(&s);
            break;
        case 14:
            if (s.heavy++ < MAX_HEAVY) {
                read_all(&s);
                /* A draw mid-capture: the GUI's report window. */
                write_outputs(&s, (op & 0x10) ? s.tap : NULL, OUT_REPORT);
            }
            break;
        default:
            if (!s.forgot && s.heavy++ < MAX_HEAVY) {
                /* The GUI retaps: a listener reset mid-capture. */
                dm_ledger *l = retap(&s);
                dm_ledger_free(l);
            }
            break;
        }
    }

    /* The end of the capture, then a second pass. */
    end_frame(&s);
    TRACE("end of capture\n");
    dm_tracker_finish(s.tr);
    dm_tracker_finish(s.tr);    /* idempotent */
    dm_ledger_flush(s.tap, s.tr, s.ls, &tap_fns, &s);
    read_all(&s);
    check_ledger(&s, s.tap, s.tap_txn, s.tap_lookup);
    dm_ledger *second = retap(&s);
    if (!s.forgot)
        check_ledger(&s, second, NULL, NULL);
    for (guint i = 0; i < s.frames->len; i++)
        read_frame(&s, g_array_index(s.frames, guint32, i));
    /* -z dnsmon,report and -z dnsmon,log of either pass. */
    write_outputs(&s, (size & 1) ? s.tap : second, OUT_REPORT | OUT_TXLOG);
    write_outputs(&s, NULL, OUT_REPORT);

    /* Text helpers on what the capture's times and frames were. */
    text(dm_time_text(s.ts));
    text(dm_time_text(dm_tracker_end_time(s.tr)));
    GArray *frames = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_array_append_vals(frames, s.frames->data, s.frames->len);
    GString *ranges = g_string_new(NULL);
    dm_frames_to_ranges(frames, 1 + (size % 8), ranges);
    g_string_free(ranges, TRUE);
    g_array_free(frames, TRUE);

    dm_ledger_free(second);
    dm_ledger_free(s.tap);
    g_array_free(s.tap_txn, TRUE);
    g_array_free(s.tap_lookup, TRUE);
    g_array_free(s.frames, TRUE);
    dm_downgrades_free(s.dg);
    dm_upstream_free(s.up);
    dm_lookups_free(s.ls);
    dm_tracker_free(s.tr);
    return 0;
}
