/* taps.c — the "dnsmon" tap and what listens to it (SPEC.md "Statistics"):
 * the stats tree (-z dnsmon,tree; Statistics → DNS Transactions), the failed
 * queries table (-z dnsmon,failures; Statistics → DNS Failed Queries) and
 * the incident report (-z dnsmon,report).
 *
 * Every frame is queued (with no item when it holds nothing about DNS) so a
 * listener sees time pass: a transaction still open when a single pass ends
 * is decided by the same rule as in tshark -2.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"
#include "dnsmon_ledger.h"
#include "dnsmon_report.h"

static int dnsmon_tap = -1;

void
dnsmon_taps_queue(dm_tracker *tr, packet_info *pinfo)
{
    if (!have_tap_listener(dnsmon_tap))
        return;
    const GPtrArray *items = dm_tracker_frame_items(tr, pinfo->num);
    guint n = items ? items->len : 0;
    for (guint i = 0; i < MAX(n, 1); i++)
        tap_queue_packet(dnsmon_tap, pinfo, n ? g_ptr_array_index(items, i) : NULL);
}

static const dm_txn *
tap_txn(const void *data)
{
    const dm_item *it = data;
    return it ? it->txn : NULL;
}

/* "203.0.113.2:53/udp" */
static char *
server_text(const dm_flow *f)
{
    char *e = dm_endpoint_to_str(&f->server, f->server_port);
    char *s = g_strdup_printf("%s/%s", e, dm_transport_name(f->transport));
    g_free(e);
    return s;
}

/* ---- stats tree -------------------------------------------------------- */

#define ST_TXNS "Transactions"
#define ST_FAILED "Failed transactions"
#define ST_SERVERS "By server"
#define ST_CLIENTS "By client"
#define ST_NAMES "Failing names"
#define ST_ICMP "ICMP errors about DNS"
#define ST_ICMP_KIND "By kind"
#define ST_ICMP_REPORTER "By reporter"
#define ST_QUERIES "Queries sent"
#define ST_RTX "Retransmissions"
#define ST_RTT "Response time (ms)"
#define ST_RTT_BUCKETS "Response time buckets (ms)"

static dm_ledger *tree_ledger;
static int st_txns, st_failed, st_servers, st_clients, st_names, st_icmp, st_icmp_kind,
    st_icmp_reporter, st_queries;

static void
tree_init(stats_tree *st)
{
    if (!tree_ledger)
        tree_ledger = dm_ledger_new();
    dm_ledger_reset(tree_ledger);
    st_txns = stats_tree_create_node(st, ST_TXNS, 0, STAT_DT_INT, TRUE);
    for (int o = DM_OUTCOME_ANSWERED; o < DM_OUTCOME_COUNT; o++)
        stats_tree_create_node(st, dm_outcome_name((dm_outcome)o), st_txns, STAT_DT_INT, FALSE);
    st_failed = stats_tree_create_node(st, ST_FAILED, 0, STAT_DT_INT, FALSE);
    st_servers = stats_tree_create_node(st, ST_SERVERS, 0, STAT_DT_INT, TRUE);
    st_clients = stats_tree_create_node(st, ST_CLIENTS, 0, STAT_DT_INT, TRUE);
    st_names = stats_tree_create_node(st, ST_NAMES, 0, STAT_DT_INT, TRUE);
    st_icmp = stats_tree_create_node(st, ST_ICMP, 0, STAT_DT_INT, TRUE);
    st_icmp_kind = stats_tree_create_node(st, ST_ICMP_KIND, st_icmp, STAT_DT_INT, TRUE);
    st_icmp_reporter = stats_tree_create_node(st, ST_ICMP_REPORTER, st_icmp, STAT_DT_INT, TRUE);
    st_queries = stats_tree_create_node(st, ST_QUERIES, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, ST_RTX, st_queries, STAT_DT_INT, FALSE);
    stats_tree_create_node(st, ST_RTT, 0, STAT_DT_FLOAT, FALSE);
    stats_tree_create_range_node(st, ST_RTT_BUCKETS, 0, "0-9", "10-99", "100-499", "500-999",
                                 "1000-4999", "5000-", NULL);
}

/* Move one transaction from its old outcome to its new one, everywhere. */
static void
tree_move(stats_tree *st, const dm_txn *t, int old, dm_outcome now, int sign)
{
    int o = sign > 0 ? (int)now : old;
    if (o == DM_NOT_COUNTED)
        return;
    const char *name = dm_outcome_name((dm_outcome)o);
    increase_stat_node(st, ST_TXNS, 0, TRUE, sign);
    increase_stat_node(st, name, st_txns, FALSE, sign);
    char *srv = server_text(&t->flow);
    increase_stat_node(st, ST_SERVERS, 0, TRUE, sign);
    int id = increase_stat_node(st, srv, st_servers, TRUE, sign);
    increase_stat_node(st, name, id, FALSE, sign);
    g_free(srv);
    char cl[48];
    increase_stat_node(st, ST_CLIENTS, 0, TRUE, sign);
    id = increase_stat_node(st, dm_addr_to_str(&t->flow.client, cl, sizeof cl), st_clients, TRUE,
                            sign);
    increase_stat_node(st, name, id, FALSE, sign);
    if (dm_outcome_is_failure((dm_outcome)o)) {
        increase_stat_node(st, ST_FAILED, 0, FALSE, sign);
        if (t->q.name) {
            char b[16];
            char *n = g_strdup_printf("%s %s", t->q.name, dm_qtype_text(t->q.type, b, sizeof b));
            increase_stat_node(st, ST_NAMES, 0, TRUE, sign);
            increase_stat_node(st, n, st_names, FALSE, sign);
            g_free(n);
        }
    }
}

static void
tree_changed(void *user, const dm_txn *t, int old, dm_outcome now)
{
    if (old == (int)now)
        return;
    tree_move(user, t, old, now, -1);
    tree_move(user, t, old, now, +1);
}

static tap_packet_status
tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
            tap_flags_t flags _U_)
{
    const dm_item *it = data;
    dm_tracker *tr = dnsmon_tracker();
    if (!tr)
        return TAP_PACKET_DONT_REDRAW;
    dm_ledger_update(tree_ledger, tr, tap_txn(data), tree_changed, st);
    if (!it || !it->txn) {
        if (it && it->role == DM_ROLE_ICMP)
            tick_stat_node(st, ST_ICMP, 0, TRUE);
        return TAP_PACKET_REDRAW;
    }
    if (it->role == DM_ROLE_QUERY) {
        tick_stat_node(st, ST_QUERIES, 0, TRUE);
        if (it->attempt > 1)
            tick_stat_node(st, ST_RTX, st_queries, FALSE);
    } else if (it->role == DM_ROLE_ICMP) {
        char a[48];
        tick_stat_node(st, ST_ICMP, 0, TRUE);
        tick_stat_node(st, ST_ICMP_KIND, st_icmp, TRUE);
        tick_stat_node(st, ST_ICMP_REPORTER, st_icmp, TRUE);
        tick_stat_node(st, dm_icmp_kind_name(it->icmp.kind), st_icmp_kind, FALSE);
        char *r = g_strdup_printf("%s (%s)", dm_addr_to_str(&it->icmp.reporter, a, sizeof a),
                                  it->icmp.from_server ? "the server" : "router or firewall");
        tick_stat_node(st, r, st_icmp_reporter, FALSE);
        g_free(r);
    } else if (dm_txn_answer(it->txn) ==
               &g_array_index(it->txn->responses, dm_response, it->index)) {
        dm_time rtt;
        if (dm_txn_rtt(it->txn, &rtt)) {
            double ms = (double)rtt / 1e6;
            avg_stat_node_add_value_float(st, ST_RTT, 0, FALSE, (float)ms);
            stats_tree_tick_range(st, ST_RTT_BUCKETS, 0, (int)ms);
        }
    }
    return TAP_PACKET_REDRAW;
}

/* ---- failed queries table ---------------------------------------------- */

enum { COL_TXN, COL_FRAME, COL_TIME, COL_CLIENT, COL_SERVER, COL_TRANSPORT, COL_NAME, COL_TYPE,
       COL_ATTEMPTS, COL_OUTCOME, COL_DETAIL, NUM_COLS };

static stat_tap_table_item failure_fields[NUM_COLS] = {
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Txn", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "First frame", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Time (UTC)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Server", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Transport", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Name", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Type", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Attempts", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Outcome", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Detail", "%s" },
};

static dm_ledger *table_ledger;

static void
failures_init(stat_tap_table_ui *ui)
{
    if (!table_ledger)
        table_ledger = dm_ledger_new();
    dm_ledger_reset(table_ledger);
    if (stat_tap_find_table(ui, ui->title))
        return;
    stat_tap_table *table = stat_tap_init_table(ui->title, NUM_COLS, 0, "dnsmon.txn==%d");
    stat_tap_add_table(ui, table);
}

static void
failures_free_item(stat_tap_table *table _U_, guint row _U_, guint column _U_,
                   stat_tap_table_item_type *field)
{
    if (field->type == TABLE_ITEM_STRING)
        g_free((char *)field->value.string_value);
}

static void
failures_reset(stat_tap_table *table)
{
    if (table_ledger)
        dm_ledger_reset(table_ledger);
    for (guint r = 0; r < table->num_elements; r++)
        for (guint c = 0; c < table->num_fields; c++)
            failures_free_item(table, r, c, &table->elements[r][c]);
    table->num_elements = 0;
}

/* "ICMP port unreachable from 203.0.113.2 (the server itself)", "SERVFAIL", ... */
static char *
failure_detail(const dm_tracker *tr, const dm_txn *t, dm_outcome o)
{
    char a[48];
    const dm_response *r = dm_txn_answer(t);
    const dm_icmp_ref *ic = dm_txn_first_icmp_on_query(t);
    switch (o) {
    case DM_OUTCOME_REJECTED:
        return g_strdup_printf("ICMP%s %s from %s (%s)", ic->version == 6 ? "v6" : "",
                               dm_icmp_kind_text(ic->kind),
                               dm_addr_to_str(&ic->reporter, a, sizeof a),
                               ic->from_server ? "the server itself" : "router or firewall");
    case DM_OUTCOME_UNANSWERED:
        return g_strdup_printf("no response within %g s", dm_tracker_config(tr)->timeout);
    case DM_OUTCOME_INCOMPLETE:
        return g_strdup_printf("capture ended %.1f s after the last attempt",
                               (double)(dm_tracker_end_time(tr) - t->last_attempt) / 1e9);
    default:
        return g_strdup_printf("rcode %u", r ? r->rcode : 0);
    }
}

static void
set_str(stat_tap_table *table, guint row, guint col, char *s)
{
    stat_tap_table_item_type *f = stat_tap_get_field_data(table, row, col);
    if (f->type == TABLE_ITEM_STRING)
        g_free((char *)f->value.string_value);
    f->type = TABLE_ITEM_STRING;
    f->value.string_value = s;
    stat_tap_set_field_data(table, row, col, f);
}

static void
set_uint(stat_tap_table *table, guint row, guint col, guint v)
{
    stat_tap_table_item_type *f = stat_tap_get_field_data(table, row, col);
    f->type = TABLE_ITEM_UINT;
    f->value.uint_value = v;
    stat_tap_set_field_data(table, row, col, f);
}

/* Rows stay sorted by transaction number, so finding one is a binary search:
 * this runs on every change of every transaction. Returns the row, or -1
 * with *at set to where it would go. */
static gint
find_row(const stat_tap_table *table, guint num, guint *at)
{
    guint lo = 0, hi = table->num_elements;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        guint v = table->elements[mid][COL_TXN].value.uint_value;
        if (v == num)
            return (gint)mid;
        if (v < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return -1;
}

static void
failures_changed(void *user, const dm_txn *t, int old _U_, dm_outcome now)
{
    stat_tap_table *table = user;
    const dm_tracker *tr = dnsmon_tracker();
    guint at = 0;
    gint row = find_row(table, t->num, &at);
    if (!dm_outcome_is_failure(now)) {
        if (row < 0)
            return;
        /* No longer failed (single pass: an answer came after all). */
        for (guint c = 0; c < table->num_fields; c++)
            failures_free_item(table, (guint)row, c, &table->elements[row][c]);
        g_free(table->elements[row]);
        memmove(&table->elements[row], &table->elements[row + 1],
                (table->num_elements - (guint)row - 1) * sizeof table->elements[0]);
        table->num_elements--;
        return;
    }
    if (row < 0) {
        stat_tap_table_item_type items[NUM_COLS];
        memset(items, 0, sizeof items);
        for (int c = 0; c < NUM_COLS; c++)
            items[c].type = failure_fields[c].type;
        guint last = table->num_elements;
        stat_tap_init_table_row(table, last, NUM_COLS, items);
        /* Move the new row to its place (a filtered tap may see them out of order). */
        stat_tap_table_item_type *fresh = table->elements[last];
        memmove(&table->elements[at + 1], &table->elements[at],
                (last - at) * sizeof table->elements[0]);
        table->elements[at] = fresh;
        row = (gint)at;
        const dm_attempt *first = &g_array_index(t->attempts, dm_attempt, 0);
        set_uint(table, (guint)row, COL_TXN, t->num);
        set_uint(table, (guint)row, COL_FRAME, first->frame);
        char *when = dm_time_text(first->ts);
        set_str(table, (guint)row, COL_TIME, g_strdup_printf("%s.%06d", when,
                                                             (int)(first->ts % DM_NS_PER_SEC / 1000)));
        g_free(when);
        char a[48], b[16];
        set_str(table, (guint)row, COL_CLIENT, g_strdup(dm_addr_to_str(&t->flow.client, a, sizeof a)));
        set_str(table, (guint)row, COL_SERVER, g_strdup(dm_addr_to_str(&t->flow.server, a, sizeof a)));
        set_str(table, (guint)row, COL_TRANSPORT, g_strdup(dm_transport_name(t->flow.transport)));
        set_str(table, (guint)row, COL_NAME, g_strdup(t->q.name ? t->q.name : "-"));
        set_str(table, (guint)row, COL_TYPE,
                g_strdup(t->q.name ? dm_qtype_text(t->q.type, b, sizeof b) : "-"));
    }
    set_uint(table, (guint)row, COL_ATTEMPTS, t->attempts->len);
    set_str(table, (guint)row, COL_OUTCOME, g_strdup(dm_outcome_name(now)));
    set_str(table, (guint)row, COL_DETAIL, failure_detail(tr, t, now));
}

static tap_packet_status
failures_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
                tap_flags_t flags _U_)
{
    stat_data_t *sd = tapdata;
    dm_tracker *tr = dnsmon_tracker();
    if (!tr || !sd->stat_tap_data->tables->len)
        return TAP_PACKET_DONT_REDRAW;
    stat_tap_table *table = g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);
    guint before = table->num_elements;
    dm_ledger_update(table_ledger, tr, tap_txn(data), failures_changed, table);
    return table->num_elements != before ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

/* ---- incident report --------------------------------------------------- */

typedef struct {
    dm_ledger *seen;
    const dm_tracker *tracker;  /* the capture its frames came from */
} report_ctx;

static void
report_noop(void *user _U_, const dm_txn *t _U_, int old _U_, dm_outcome now _U_)
{
}

static tap_packet_status
report_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
              tap_flags_t flags _U_)
{
    report_ctx *rc = tapdata;
    dm_tracker *tr = dnsmon_tracker();
    if (tr)
        dm_ledger_update(rc->seen, tr, tap_txn(data), report_noop, NULL);
    rc->tracker = tr;
    return TAP_PACKET_DONT_REDRAW;
}

static void
report_reset(void *tapdata)
{
    report_ctx *rc = tapdata;
    dm_ledger_reset(rc->seen);
    rc->tracker = NULL;
}

static void
report_draw(void *tapdata)
{
    report_ctx *rc = tapdata;
    dm_tracker *tr = dnsmon_tracker();
    GString *out = g_string_new(NULL);
    /* The Wireshark GUI draws -z listeners only after closing the capture. */
    if (tr && tr == rc->tracker)
        dm_report_write(tr, rc->seen, out);
    else
        g_string_append(out, "dnsmon incident report\nNo capture to report on (the report is "
                             "a tshark tap: tshark -2 -q -z dnsmon,report -r FILE).\n");
    printf("\n%s\n", out->str);
    g_string_free(out, TRUE);
}

static void
report_finish(void *tapdata)
{
    report_ctx *rc = tapdata;
    dm_ledger_free(rc->seen);
    g_free(rc);
}

/* The stats tree and the table keep their ledgers for the whole run. */
static void
taps_shutdown(void)
{
    dm_ledger_free(tree_ledger);
    tree_ledger = NULL;
    dm_ledger_free(table_ledger);
    table_ledger = NULL;
}

static DM_STAT_INIT_RET
report_init(const char *opt_arg, void *userdata _U_)
{
    const char *filter = NULL;
    if (opt_arg && g_str_has_prefix(opt_arg, "dnsmon,report,"))
        filter = opt_arg + strlen("dnsmon,report,");
    report_ctx *rc = g_new0(report_ctx, 1);
    rc->seen = dm_ledger_new();
    GString *err = register_tap_listener("dnsmon", rc, filter, TL_REQUIRES_NOTHING, report_reset,
                                         report_packet, report_draw, report_finish);
    if (err) {
        fprintf(stderr, "tshark: couldn't register dnsmon,report tap: %s\n", err->str);
        g_string_free(err, TRUE);
        report_finish(rc);
        exit(1);
    }
    return DM_STAT_INIT_OK;
}

/* ---- registration ------------------------------------------------------ */

void
dnsmon_taps_register(void)
{
    dnsmon_tap = register_tap("dnsmon");
    register_shutdown_routine(taps_shutdown);

    DM_STATS_TREE_REGISTER("dnsmon", "dnsmon", "DNS Transactions", 0, tree_packet, tree_init,
                           "Transactions / Item");

    static stat_tap_table_ui failures = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, "DNS Failed Queries", "dnsmon", "dnsmon,failures",
        failures_init, failures_packet, failures_reset, failures_free_item, NULL,
        G_N_ELEMENTS(failure_fields), failure_fields, 0, NULL, NULL, 0
    };
    register_stat_tap_table_ui(&failures);

    static stat_tap_ui report = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, "DNS Incident Report", "dnsmon,report", report_init, 0, NULL
    };
    register_stat_tap_ui(&report, NULL);
}
