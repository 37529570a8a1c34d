/* tap_report.c — the listeners that write text when drawn: the incident
 * report (-z dnsmon,report) and the transaction log (-z dnsmon,log).
 * Each keeps a ledger of the transactions whose frames passed its filter.
 * The log writes as it goes when the engine forgets (a single pass nothing
 * revisits: docs/design.md, "Memory"): the lines of what is about to go,
 * in transaction order, then the rest when drawn; the report reads the
 * whole capture, so the engine forgets nothing while there is one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include "dnsmon_report.h"
#include "dnsmon_listener.h"
#include "dnsmon_txlog.h"

typedef struct {
    dm_ledger *seen;
    dnsmon_source src;
    dnsmon_drawer *drawer;      /* catches up just before it is drawn */
    guint32 written;            /* the log: transactions below this one are written */
    void (*write)(const dnsmon_view *, const dm_ledger *, guint32 from);
} text_tap;

static const dm_ledger_fns no_fns = { NULL, NULL };

/* What settled since the last frame it was shown (in tshark the engine's
 * owner finished the pass just before). */
static void
text_catch_up(void *tapdata)
{
    text_tap *tt = tapdata;
    if (dnsmon_source_alive(&tt->src))
        dm_ledger_flush(tt->seen, tt->src.v.tr, tt->src.v.ls, &no_fns, NULL);
}

static tap_packet_status
text_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
            tap_flags_t flags _U_)
{
    text_tap *tt = tapdata;
    const dnsmon_tap_data *d = data;
    if (!d)
        return TAP_PACKET_DONT_REDRAW;
    if (tt->src.v.generation != d->v.generation) {
        dm_ledger_reset(tt->seen);
        tt->written = 0;
    }
    dnsmon_source_note(&tt->src, d);
    dnsmon_drawer_attach(&tt->drawer, text_catch_up, tt);
    dm_ledger_update(tt->seen, d->v.tr, d->v.ls, d->item, &no_fns, NULL);
    return TAP_PACKET_DONT_REDRAW;
}

static void
text_reset(void *tapdata)
{
    text_tap *tt = tapdata;
    dm_ledger_reset(tt->seen);
    dnsmon_source_forget(&tt->src);
    tt->written = 0;
}

static void
write_report(const dnsmon_view *v, const dm_ledger *seen, guint32 from _U_)
{
    GString *out = g_string_new(NULL);
    if (v)
        dm_report_write(v->tr, v->ls, v->up, v->dg, seen, out);
    else
        /* The Wireshark GUI draws -z listeners only after closing the capture. */
        g_string_append(out, "dnsmon incident report\nNo capture to report on (in Wireshark: "
                              "Statistics → DNS Monitor → DNS Incident Report).\n");
    printf("\n%s\n", out->str);
    g_string_free(out, TRUE);
}

static void
write_log(const dnsmon_view *v, const dm_ledger *seen, guint32 from)
{
    if (v)
        dm_txlog_write_range(v->tr, v->ls, v->up, v->dg, seen, stdout, from,
                             dm_tracker_txn_count(v->tr) + 1);
    fflush(stdout);
}

static void
text_draw(void *tapdata)
{
    text_tap *tt = tapdata;
    tt->write(dnsmon_source_alive(&tt->src) ? &tt->src.v : NULL, tt->seen, tt->written);
}

/* The engine is about to forget the transactions below `until`: their
 * lines now (what this log's frames reached, in transaction order). */
static void
log_forget(void *user, const dnsmon_view *v, guint32 until)
{
    text_tap *tt = user;
    if (tt->src.v.generation != v->generation) {
        dm_ledger_reset(tt->seen);
        tt->written = 0;
    }
    tt->src.v = *v;
    dm_ledger_flush(tt->seen, v->tr, v->ls, &no_fns, NULL);
    dm_txlog_write_range(v->tr, v->ls, v->up, v->dg, tt->seen, stdout, tt->written, until);
    tt->written = MAX(tt->written, until);
}

static void
text_finish(void *tapdata)
{
    text_tap *tt = tapdata;
    dnsmon_engine_off_forget(log_forget, tt);
    dnsmon_drawer_detach(&tt->drawer);
    dm_ledger_free(tt->seen);
    g_free(tt);
}

static void
text_register(const char *name, const char *opt_arg,
              void (*write)(const dnsmon_view *, const dm_ledger *, guint32 from))
{
    text_tap *tt = g_new0(text_tap, 1);
    tt->seen = dm_ledger_new();
    tt->write = write;
    if (write == write_log)
        dnsmon_engine_on_forget(log_forget, tt);
    else
        dnsmon_engine_need_past();
    GString *err = register_tap_listener("dnsmon", tt, dnsmon_tap_filter(opt_arg, name),
                                         TL_REQUIRES_NOTHING, text_reset, text_packet, text_draw,
                                         text_finish);
    if (err) {
        fprintf(stderr, "tshark: couldn't register dnsmon,%s tap: %s\n", name, err->str);
        g_string_free(err, TRUE);
        text_finish(tt);
        exit(1);
    }
}

static DM_STAT_INIT_RET
report_init(const char *opt_arg, void *userdata _U_)
{
    text_register("report", opt_arg, write_report);
    return DM_STAT_INIT_OK;
}

static DM_STAT_INIT_RET
log_init(const char *opt_arg, void *userdata _U_)
{
    text_register("log", opt_arg, write_log);
    return DM_STAT_INIT_OK;
}

void
dnsmon_report_register(void)
{
    static stat_tap_ui report = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, "DNS Incident Report", "dnsmon,report", report_init,
        0, NULL
    };
    register_stat_tap_ui(&report, NULL);
}

void
dnsmon_log_register(void)
{
    static stat_tap_ui log = {
        REGISTER_PACKET_STAT_GROUP_UNSORTED, "DNS Transaction Log", "dnsmon,log", log_init, 0, NULL
    };
    register_stat_tap_ui(&log, NULL);
}
