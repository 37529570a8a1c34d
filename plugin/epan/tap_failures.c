/* tap_failures.c — the failed queries table: -z dnsmon,failures;
 * Statistics → DNS Monitor → DNS Failed Queries. One row per failed
 * transaction, in transaction order, final in one pass and with -2.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include "dnsmon_describe.h"
#include "dnsmon_report.h"
#include "dnsmon_listener.h"

enum { COL_TXN, COL_FRAME, COL_TIME, COL_CLIENT, COL_CPORT, COL_SERVER, COL_TRANSPORT, COL_NAME,
       COL_TYPE, COL_ATTEMPTS, COL_OUTCOME, COL_LOOKUP, COL_UPSTREAM, COL_DETAIL, NUM_COLS };

static stat_tap_table_item failure_fields[NUM_COLS] = {
    /* The window's sort mark takes room from the first header whichever way
     * it is aligned: two spaces for it to take ("ransaction" otherwise). */
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Transaction  ", "%u" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "First frame", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Time (UTC)", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Client port", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Server", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Transport", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Name", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Type", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Attempts", "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Outcome", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Lookup outcome", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Upstream cause", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Detail", "%s" },
};

/* One table per run: its ledger, where its transactions come from, and the
 * listener that counts what is still open just before it is drawn. */
static dm_ledger *ledger;
static dnsmon_source source;
static dnsmon_drawer *drawer;
static stat_tap_table *current;
static gboolean fed;            /* the packet callback ran since the last draw */
static gboolean causes_done;    /* the upstream causes are in the rows (final only) */

static void
failures_init(stat_tap_table_ui *ui)
{
    dnsmon_engine_need_past();  /* its rows learn their causes at the end */
    if (!ledger)
        ledger = dm_ledger_new();
    dm_ledger_reset(ledger);
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
    if (ledger)
        dm_ledger_reset(ledger);
    dnsmon_source_forget(&source);
    for (guint r = 0; r < table->num_elements; r++)
        for (guint c = 0; c < table->num_fields; c++)
            failures_free_item(table, r, c, &table->elements[r][c]);
    table->num_elements = 0;
    causes_done = FALSE;
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

/* Rows stay sorted by transaction number, so finding one is a binary
 * search. Returns the row, or -1 with *at set to where it would go. */
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
remove_row(stat_tap_table *table, guint row)
{
    for (guint c = 0; c < table->num_fields; c++)
        failures_free_item(table, row, c, &table->elements[row][c]);
    g_free(table->elements[row]);
    memmove(&table->elements[row], &table->elements[row + 1],
            (table->num_elements - row - 1) * sizeof table->elements[0]);
    table->num_elements--;
}

static guint
insert_row(stat_tap_table *table, guint at)
{
    stat_tap_table_item_type items[NUM_COLS];
    memset(items, 0, sizeof items);
    for (int c = 0; c < NUM_COLS; c++)
        items[c].type = failure_fields[c].type;
    guint last = table->num_elements;
    stat_tap_init_table_row(table, last, NUM_COLS, items);
    /* Move the new row to its place (a filtered tap may see them out of order). */
    stat_tap_table_item_type *fresh = table->elements[last];
    memmove(&table->elements[at + 1], &table->elements[at], (last - at) * sizeof table->elements[0]);
    table->elements[at] = fresh;
    return at;
}

/* "upstream_failed (203.0.113.20)", "none_seen", "-" (docs/design.md,
 * "Resolvers"): known once the pass is over. */
static char *
upstream_text(const dnsmon_view *v, guint32 txn)
{
    dm_upstream_cause c = v->up ? dm_upstream_cause_of(v->up, txn) : DM_UPSTREAM_NONE;
    if (c == DM_UPSTREAM_NONE)
        return g_strdup("-");
    GString *s = g_string_new(dm_upstream_cause_name(c));
    const guint32 *servers;
    guint n = dm_upstream_failed_servers(v->up, txn, &servers);
    for (guint i = 0; i < n && i < 4; i++) {
        char a[48];
        g_string_append_printf(s, "%s%s", i ? ", " : " (",
                               dm_addr_to_str(dm_tracker_addr(v->tr, servers[i]), a, sizeof a));
    }
    if (n)
        g_string_append(s, n > 4 ? ", ...)" : ")");
    return g_string_free(s, FALSE);
}

static const char *
lookup_text(const dm_lookups *ls, guint32 txn)
{
    const dm_lookup *l = dm_lookups_get(ls, dm_lookups_of(ls, txn));
    return l ? dm_lookup_outcome_name(dm_lookup_outcome_of(ls, l)) : "-";
}

static void
txn_moved(void *user, guint32 id, int old _U_, int now)
{
    stat_tap_table *table = user;
    const dm_tracker *tr = source.v.tr;
    const dm_txn *t = dm_tracker_txn(tr, id);
    guint at = 0;
    gint row = find_row(table, id, &at);
    if (!dm_outcome_is_failure((dm_outcome)now)) {
        if (row >= 0)
            remove_row(table, (guint)row);     /* a late answer after all */
        return;
    }
    if (row < 0) {
        guint r = insert_row(table, at);
        row = (gint)r;
        set_uint(table, r, COL_TXN, id);
        set_uint(table, r, COL_FRAME, dm_tracker_item_frame(tr, t->first_item));
        set_str(table, r, COL_TIME, dnsmon_time_text_us(t->first_ts));
        char a[48], b[16];
        set_str(table, r, COL_CLIENT, g_strdup(dm_addr_to_str(dm_tracker_addr(tr, t->client), a,
                                                               sizeof a)));
        set_uint(table, r, COL_CPORT, t->client_port);
        set_str(table, r, COL_SERVER, g_strdup(dm_addr_to_str(dm_tracker_addr(tr, t->server), a,
                                                               sizeof a)));
        set_str(table, r, COL_TRANSPORT, g_strdup(dm_transport_name((dm_transport)t->transport)));
        set_str(table, r, COL_NAME, g_strdup(t->name ? dm_tracker_name(tr, t->name) : "-"));
        set_str(table, r, COL_TYPE, g_strdup(t->name ? dm_qtype_text(t->qtype, b, sizeof b) : "-"));
    }
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    guint attempts = (t->flags & DM_T_CONNECTION) && e ? e->syns : dm_txn_attempts(tr, t);
    set_uint(table, (guint)row, COL_ATTEMPTS, attempts);
    set_str(table, (guint)row, COL_OUTCOME, g_strdup(dm_outcome_name((dm_outcome)now)));
    set_str(table, (guint)row, COL_LOOKUP, g_strdup(lookup_text(source.v.ls, id)));
    set_str(table, (guint)row, COL_UPSTREAM, upstream_text(&source.v, id));
    set_str(table, (guint)row, COL_DETAIL, dm_failure_detail(tr, t, (dm_outcome)now));
}

/* A lookup changed: its transactions' rows show its outcome. */
static void
lookup_moved(void *user, guint32 id, int old _U_, int now)
{
    stat_tap_table *table = user;
    const dm_lookup *l = dm_lookups_get(source.v.ls, id);
    for (guint32 t = l->first_txn; t; t = dm_lookups_next(source.v.ls, t)) {
        guint at;
        gint row = find_row(table, t, &at);
        if (row >= 0)
            set_str(table, (guint)row, COL_LOOKUP,
                    g_strdup(dm_lookup_outcome_name((dm_lookup_outcome)now)));
    }
}

static const dm_ledger_fns fns = { txn_moved, lookup_moved };

/* Before the table is drawn: what settled since. Only what this table's
 * own packet callback was fed: the window fills a table once per retap
 * and stops drawing it, and it must not change behind the window's back. */
static void
failures_flush(void *ui_)
{
    stat_tap_table_ui *ui = ui_;
    if (!fed)
        return;
    fed = FALSE;
    gboolean alive = FALSE;
    for (guint i = 0; ui->tables && i < ui->tables->len; i++)
        alive |= g_array_index(ui->tables, stat_tap_table *, i) == current;
    if (alive && dnsmon_source_alive(&source)) {
        dm_ledger_flush(ledger, source.v.tr, source.v.ls, &fns, current);
        /* Rows that settled before the pass was over learn their cause now. */
        if (!causes_done && dm_tracker_finished(source.v.tr)) {
            causes_done = TRUE;
            for (guint r = 0; r < current->num_elements; r++)
                set_str(current, r, COL_UPSTREAM, upstream_text(
                    &source.v, current->elements[r][COL_TXN].value.uint_value));
        }
    }
}

static stat_tap_table_ui failures_ui;

static tap_packet_status
failures_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
                tap_flags_t flags _U_)
{
    stat_data_t *sd = tapdata;
    const dnsmon_tap_data *d = data;
    if (!d || !sd->stat_tap_data->tables->len)
        return TAP_PACKET_DONT_REDRAW;
    stat_tap_table *table = g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);
    if (source.v.generation != d->v.generation)
        failures_reset(table);
    dnsmon_source_note(&source, d);
    current = table;
    dnsmon_drawer_attach(&drawer, failures_flush, &failures_ui);
    fed = TRUE;
    guint before = table->num_elements;
    dm_ledger_update(ledger, d->v.tr, d->v.ls, d->item, &fns, table);
    return table->num_elements != before ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

static stat_tap_table_ui failures_ui = {
    REGISTER_PACKET_STAT_GROUP_UNSORTED, "DNS Monitor: Failed Queries", "dnsmon", "dnsmon,failures",
    failures_init, failures_packet, failures_reset, failures_free_item, NULL,
    G_N_ELEMENTS(failure_fields), failure_fields, 0, NULL, NULL, 0
};

void
dnsmon_failures_register(void)
{
    register_stat_tap_table_ui(&failures_ui);
}

void
dnsmon_failures_shutdown(void)
{
    dnsmon_drawer_detach(&drawer);
    dm_ledger_free(ledger);
    ledger = NULL;
}
