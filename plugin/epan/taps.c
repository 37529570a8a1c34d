/* taps.c — the "dnsmon" tap (docs/design.md, "Statistics") and what its listeners
 * share; each listener lives in its own file: tap_tree.c (-z dnsmon,tree),
 * tap_failures.c (-z dnsmon,failures), tap_report.c (-z dnsmon,report and
 * -z dnsmon,log).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_frame.h"
#include "dnsmon_report.h"
#include "dnsmon_taps.h"

static int dnsmon_tap = -1;

void
dnsmon_taps_queue(const dnsmon_view *v, packet_info *pinfo)
{
    if (!v->tr || !have_tap_listener(dnsmon_tap))
        return;
    guint32 first;
    guint n = dm_tracker_frame_items(v->tr, dnsmon_frame_num(pinfo), &first);
    for (guint i = 0; i < MAX(n, 1); i++) {
        dnsmon_tap_data *d = wmem_new(pinfo->pool, dnsmon_tap_data);
        d->v = *v;
        d->item = n ? first + i : 0;
        tap_queue_packet(dnsmon_tap, pinfo, d);
    }
}

gboolean
dnsmon_source_note(dnsmon_source *s, const dnsmon_tap_data *d)
{
    gboolean other = s->v.generation != d->v.generation;
    s->v = d->v;
    return other;
}

gboolean
dnsmon_source_alive(const dnsmon_source *s)
{
    return s->v.tr && dnsmon_engine_alive(s->v.generation);
}

void
dnsmon_source_forget(dnsmon_source *s)
{
    memset(s, 0, sizeof *s);
}

struct dnsmon_drawer {
    dnsmon_drawer **slot;
    void (*fn)(void *);
    void *user;
};

static tap_packet_status
drawer_packet(void *p _U_, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                const void *data _U_, tap_flags_t flags _U_)
{
    return TAP_PACKET_DONT_REDRAW;
}

static void
drawer_draw(void *p)
{
    dnsmon_drawer *f = p;
    /* The engine's owner first (in tshark the end of its pass), then the
     * listener catches up, reading only. */
    dnsmon_engine_statistics_drawn();
    f->fn(f->user);
}

static void
drawer_finish(void *p)
{
    dnsmon_drawer *f = p;
    if (f->slot && *f->slot == f)
        *f->slot = NULL;
    g_free(f);
}

void
dnsmon_drawer_attach(dnsmon_drawer **slot, void (*fn)(void *), void *user)
{
    if (*slot)
        return;
    dnsmon_drawer *f = g_new0(dnsmon_drawer, 1);
    f->slot = slot;
    f->fn = fn;
    f->user = user;
    GString *err = register_tap_listener("dnsmon", f, NULL, TL_REQUIRES_NOTHING, NULL,
                                         drawer_packet, drawer_draw, drawer_finish);
    if (err) {
        g_string_free(err, TRUE);
        g_free(f);
        return;
    }
    *slot = f;
}

void
dnsmon_drawer_detach(dnsmon_drawer **slot)
{
    if (*slot)
        remove_tap_listener(*slot);    /* frees it through drawer_finish */
    *slot = NULL;
}

char *
dnsmon_server_text(const dm_tracker *tr, const dm_txn *t)
{
    char *e = dm_endpoint_to_str(dm_tracker_addr(tr, t->server), t->server_port);
    char *s = g_strdup_printf("%s/%s", e, dm_transport_name((dm_transport)t->transport));
    g_free(e);
    return s;
}

char *
dnsmon_time_text_us(dm_time t)
{
    char *when = dm_time_text(t);
    gint64 us = (t % DM_NS_PER_SEC + DM_NS_PER_SEC) % DM_NS_PER_SEC / 1000;
    char *s = g_strdup_printf("%s.%06d", when, (int)us);
    g_free(when);
    return s;
}

const char *
dnsmon_tap_filter(const char *opt_arg, const char *name)
{
    char *prefix = g_strdup_printf("dnsmon,%s,", name);
    const char *f = NULL;
    if (opt_arg && g_str_has_prefix(opt_arg, prefix))
        f = opt_arg + strlen(prefix);
    g_free(prefix);
    return f;
}

static void
dnsmon_taps_shutdown(void)
{
    dnsmon_failures_shutdown();
    dnsmon_tree_shutdown();
}

void
dnsmon_taps_register(void)
{
    dnsmon_tap = register_tap("dnsmon");
    register_shutdown_routine(dnsmon_taps_shutdown);
    dnsmon_tree_register();
    dnsmon_failures_register();
    dnsmon_report_register();
    dnsmon_log_register();
}
