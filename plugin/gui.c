/* gui.c — dnsmon in the Wireshark window (docs/gui-notes.md).
 *
 * 1. The incident report in a text window (the funnel text window Lua's
 *    TextWindow uses), under Statistics → DNS Monitor, redrawn whenever the
 *    packets are tapped again (retap, reload, redissection, live capture).
 *
 * 2. Final verdicts on the packet list. A query says "pending" in a first
 *    pass; the packet list caches the text of every row it drew during that
 *    pass (a live capture draws each row as it arrives), and a display filter
 *    active during a first pass is evaluated on those pending verdicts. When
 *    a first pass ends we refilter once, with the active filter (or none),
 *    exactly as pressing Enter in the filter bar does: every row is dissected
 *    again (visited, final verdicts) and the filter sees final verdicts.
 *
 *    A first pass ends at postseq (file read, reload, end of a live capture:
 *    dnsmon_gui_first_pass_done()) or, after a redissection (a preference
 *    changed), where Wireshark calls no postseq, when the taps are drawn after
 *    our init routine ran. The refilter runs from an idle callback of the
 *    glib main loop (which only the GUI runs), once the capture file is no
 *    longer being read; a refilter starts no first pass, so it does not loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/funnel.h>
#include <epan/plugin_if.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"
#include "dnsmon_gui.h"
#include "dnsmon_report.h"

/* ---- the incident report window ---------------------------------------- */

typedef struct {
    funnel_text_window_t *tw;
} report_window;

static void
report_window_fill(report_window *w)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    dm_tracker *tr = dnsmon_tracker();
    GString *out = g_string_new(NULL);
    if (tr)
        dm_report_write(tr, dnsmon_lookups(), NULL, out);
    else
        g_string_append(out, "dnsmon incident report\nNo capture file is open.\n");
    if (ops && ops->set_text)
        ops->set_text(w->tw, out->str);
    g_string_free(out, TRUE);
}

static void
report_window_reset(void *data _U_)
{
}

static tap_packet_status
report_window_packet(void *data _U_, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                     const void *item _U_, tap_flags_t flags _U_)
{
    return TAP_PACKET_REDRAW;
}

static void
report_window_draw(void *data)
{
    report_window_fill(data);
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
    w->tw = ops->new_text_window(ops->ops_id, DM_GUI_REPORT_TITLE);
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
    /* What the tracker already knows, then the same once retapped (the
     * funnel's retap flag is not acted on by the Qt GUI: retap ourselves). */
    report_window_fill(w);
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

static gboolean first_pass_started;     /* our init routine ran since the last refilter */
static gboolean after_postseq;          /* the pass that ended was a read or a capture */
static guint refilter_source;
static guint refilter_tries;
static gboolean watching;               /* the listener below is registered */
static int watch_token;                 /* its tap listener data */

static gboolean refilter_idle(gpointer data);

static void
refilter_schedule(guint delay_ms)
{
    if (refilter_source)
        return;
    refilter_source = delay_ms ? g_timeout_add(delay_ms, refilter_idle, NULL)
                               : g_idle_add(refilter_idle, NULL);
}

/* Draw of a listener on the dnsmon tap, registered from the first refilter
 * on (so only in the GUI): taps are drawn after every pass, and after a
 * redissection that is the only sign that its first pass ended. */
static void
watch_reset(void *data _U_)
{
}

static tap_packet_status
watch_packet(void *data _U_, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
             const void *item _U_, tap_flags_t flags _U_)
{
    return TAP_PACKET_REDRAW;
}

static void
watch_draw(void *data _U_)
{
    if (first_pass_started)
        refilter_schedule(0);
}

static void
watch_start(void)
{
    if (watching)
        return;
    GString *err = register_tap_listener("dnsmon", &watch_token, NULL, TL_REQUIRES_NOTHING,
                                         watch_reset, watch_packet, watch_draw, NULL);
    if (err) {
        g_string_free(err, TRUE);
        return;
    }
    watching = TRUE;
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
    watch_start();
    if (!v.done) {
        /* Still reading: a live capture goes on (its end calls postseq), or
         * the read or a redissection is finishing: look again shortly. */
        if ((!v.capturing || after_postseq) && ++refilter_tries <= 100)
            refilter_schedule(100);
        g_free(v.filter);
        return G_SOURCE_REMOVE;
    }
    refilter_tries = 0;
    /* After a redissection no postseq said the pass was over: it is now
     * (the capture file is read), so every verdict is final. */
    dm_tracker *tr = dnsmon_tracker();
    if (!after_postseq && tr && !dm_tracker_finished(tr))
        dm_tracker_finish(tr);
    /* Rows drawn during the pass (a live capture, a redissection) hold
     * pending verdicts; a filter applied during it saw pending verdicts. A
     * file read draws its rows only now: without a filter nothing is stale. */
    gboolean needed = v.filter || v.live || !after_postseq;
    first_pass_started = FALSE;
    after_postseq = FALSE;
    if (needed) {
        ops->set_filter(ops->ops_id, v.filter ? v.filter : "");
        ops->apply_filter(ops->ops_id);
    }
    g_free(v.filter);
    return G_SOURCE_REMOVE;
}

void
dnsmon_gui_first_pass_done(void)
{
    /* tshark has funnel ops too but no main loop: the source never runs. */
    if (!funnel_get_funnel_ops())
        return;
    after_postseq = TRUE;
    refilter_tries = 0;
    refilter_schedule(0);
}

static void
gui_init(void)
{
    first_pass_started = TRUE;
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
    funnel_register_menu(DM_GUI_REPORT_MENU, REGISTER_PACKET_STAT_GROUP_UNSORTED, report_menu_cb,
                         NULL, NULL, TRUE);
    register_init_routine(gui_init);
    register_cleanup_routine(gui_cleanup);
}
