/* gui.c — dnsmon in the Wireshark window (docs/gui-notes.md).
 *
 * 1. The incident report in a text window (the funnel text window Lua's
 *    TextWindow uses), under Statistics, redrawn whenever the packets are
 *    tapped again (retap, reload, redissection, live capture). It reads the
 *    engine through the tap, like every listener.
 *
 * 2. Final verdicts on the packet list. A query says "pending" in a first
 *    pass; the packet list caches the text of every row it drew during that
 *    pass (a live capture draws each row as it arrives, a redissection
 *    redraws them), and a display filter active during a first pass is
 *    evaluated on those pending verdicts. When the engine's owner says a
 *    first pass is over (engine.c: postseq, or the last frame of a
 *    redissection) we refilter once, with the active filter (or none),
 *    exactly as pressing Enter in the filter bar does: every row is
 *    dissected again (visited, final verdicts) and the filter sees them.
 *    The refilter runs from an idle callback of the glib main loop (which
 *    only the window runs), once the file is no longer being read; a
 *    refilter starts no first pass, so it does not loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/funnel.h>
#include <epan/plugin_if.h>

#include "dnsmon_compat.h"
#include "dnsmon_gui.h"
#include "dnsmon_report.h"
#include "dnsmon_listener.h"

/* Wireshark 4.0 to 4.6 cannot put a funnel item into a plugin submenu: the
 * name is used literally, next to "DNS Monitor: Failed Queries". */
#define REPORT_MENU "DNS Monitor: Incident Report"
#define REPORT_TITLE "DNS Monitor: Incident Report"

/* ---- the incident report window ---------------------------------------- */

typedef struct {
    funnel_text_window_t *tw;
    dnsmon_source src;
} report_window;

static void
report_window_show(report_window *w, const char *text)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (ops && ops->set_text)
        ops->set_text(w->tw, text);
}

static void
report_window_reset(void *data)
{
    report_window *w = data;
    dnsmon_source_forget(&w->src);
}

static tap_packet_status
report_window_packet(void *data, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                     const void *d, tap_flags_t flags _U_)
{
    report_window *w = data;
    if (d)
        dnsmon_source_note(&w->src, d);
    return TAP_PACKET_REDRAW;
}

static void
report_window_draw(void *data)
{
    report_window *w = data;
    if (!dnsmon_source_alive(&w->src)) {
        report_window_show(w, "dnsmon incident report\nNo capture file is open.\n");
        return;
    }
    GString *out = g_string_new(NULL);
    dm_report_write(w->src.v.tr, w->src.v.ls, w->src.v.up, w->src.v.dg, NULL, out);
    report_window_show(w, out->str);
    g_string_free(out, TRUE);
}

static void
report_window_closed(void *data)
{
    remove_tap_listener(data);
    g_free(data);
}

static void
report_menu_cb(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (!ops || !ops->new_text_window)
        return;
    report_window *w = g_new0(report_window, 1);
    w->tw = ops->new_text_window(ops->ops_id, REPORT_TITLE);
    GString *err = register_tap_listener("dnsmon", w, NULL, TL_REQUIRES_NOTHING,
                                         report_window_reset, report_window_packet,
                                         report_window_draw, NULL);
    if (err) {
        ops->set_text(w->tw, err->str);
        g_string_free(err, TRUE);
        g_free(w);
        return;
    }
    ops->set_close_cb(w->tw, report_window_closed, w);
    report_window_show(w, "dnsmon incident report\nReading the capture...\n");
    /* The funnel's retap flag is not acted on by the Qt GUI: retap ourselves. */
    if (ops->retap_packets)
        ops->retap_packets(ops->ops_id);
}

/* ---- final verdicts on the packet list ---------------------------------- */

typedef struct {
    gboolean done;              /* read finished, nothing being (re)dissected */
    gboolean live;              /* the file is a capture's temporary file */
    gboolean capturing;         /* still being read (a live capture) */
    char *filter;               /* the applied display filter, or NULL */
} file_view;

static void *
file_view_get(capture_file *cf, void *user)
{
    file_view *v = user;
    v->done = cf->state == FILE_READ_DONE && !cf->read_lock && !cf->redissecting;
    v->capturing = cf->state == FILE_READ_IN_PROGRESS;
    v->live = cf->is_tempfile ? TRUE : FALSE;
    v->filter = g_strdup(cf->dfilter && *cf->dfilter ? cf->dfilter : NULL);
    return v;
}

static gboolean stale_rows;             /* rows were drawn while verdicts were pending */
static guint refilter_source;
static guint refilter_tries;

static gboolean refilter_idle(gpointer data);

static void
refilter_schedule(guint delay_ms)
{
    if (refilter_source)
        return;
    refilter_source = delay_ms ? g_timeout_add(delay_ms, refilter_idle, NULL)
                               : g_idle_add(refilter_idle, NULL);
}

static gboolean
refilter_idle(gpointer data _U_)
{
    refilter_source = 0;
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    file_view v = { FALSE, FALSE, FALSE, NULL };
    if (!ops || !ops->apply_filter || !ops->set_filter ||
        !plugin_if_get_capture_file(file_view_get, &v))
        return G_SOURCE_REMOVE;                 /* tshark, or no file open */
    if (!v.done) {
        /* The read or the redissection is finishing: look again shortly. */
        if (++refilter_tries <= 100)
            refilter_schedule(100);
        g_free(v.filter);
        return G_SOURCE_REMOVE;
    }
    refilter_tries = 0;
    /* Rows drawn during the pass (a live capture, a redissection) hold
     * pending verdicts; a filter applied during it saw pending verdicts. A
     * file read draws its rows only now: without a filter nothing is stale. */
    gboolean needed = v.filter || v.live || stale_rows;
    stale_rows = FALSE;
    if (needed) {
        ops->set_filter(ops->ops_id, v.filter ? v.filter : "");
        ops->apply_filter(ops->ops_id);
    }
    g_free(v.filter);
    return G_SOURCE_REMOVE;
}

void
dnsmon_gui_first_pass_done(gboolean redissected)
{
    /* tshark has funnel ops too but no main loop: the source never runs. */
    if (!funnel_get_funnel_ops())
        return;
    stale_rows |= redissected;
    refilter_tries = 0;
    refilter_schedule(0);
}

static void
gui_cleanup(void)
{
    if (refilter_source) {
        g_source_remove(refilter_source);
        refilter_source = 0;
    }
}

/* ---- registration ------------------------------------------------------- */

void
dnsmon_gui_register(void)
{
    funnel_register_menu(REPORT_MENU, REGISTER_PACKET_STAT_GROUP_UNSORTED, report_menu_cb,
                         NULL, NULL, TRUE);
    register_cleanup_routine(gui_cleanup);
}
