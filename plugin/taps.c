/* taps.c — the "dnsmon" tap (SPEC.md "Statistics") and what its listeners
 * share; each listener lives in its own file: tap_tree.c (-z dnsmon,tree),
 * tap_failures.c (-z dnsmon,failures), tap_report.c (-z dnsmon,report and
 * -z dnsmon,log).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>

#include "dnsmon_glue.h"
#include "dnsmon_report.h"
#include "dnsmon_taps.h"

static int dnsmon_tap = -1;

int
dnsmon_tap_id(void)
{
    return dnsmon_tap;
}

void
dnsmon_taps_queue(dm_tracker *tr, packet_info *pinfo)
{
    if (!have_tap_listener(dnsmon_tap))
        return;
    guint32 first;
    guint n = dm_tracker_frame_items(tr, pinfo->num, &first);
    for (guint i = 0; i < MAX(n, 1); i++) {
        dnsmon_tap_data *d = wmem_new(pinfo->pool, dnsmon_tap_data);
        d->tr = tr;
        d->ls = dnsmon_lookups();
        d->item = n ? first + i : 0;
        tap_queue_packet(dnsmon_tap, pinfo, d);
    }
}

void
dnsmon_source_note(dnsmon_source *s, const dnsmon_tap_data *d)
{
    s->tr = d->tr;
    s->ls = d->ls;
}

gboolean
dnsmon_source_alive(const dnsmon_source *s)
{
    return s->tr && s->tr == dnsmon_tracker() && s->ls == dnsmon_lookups();
}

struct dnsmon_finisher {
    dnsmon_finisher **slot;
    void (*fn)(void *);
    void *user;
};

static tap_packet_status
finisher_packet(void *p _U_, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                const void *data _U_, tap_flags_t flags _U_)
{
    return TAP_PACKET_DONT_REDRAW;
}

static void
finisher_draw(void *p)
{
    dnsmon_finisher *f = p;
    f->fn(f->user);
}

static void
finisher_finish(void *p)
{
    dnsmon_finisher *f = p;
    if (f->slot && *f->slot == f)
        *f->slot = NULL;
    g_free(f);
}

void
dnsmon_finisher_attach(dnsmon_finisher **slot, void (*fn)(void *), void *user)
{
    if (*slot)
        return;
    dnsmon_finisher *f = g_new0(dnsmon_finisher, 1);
    f->slot = slot;
    f->fn = fn;
    f->user = user;
    GString *err = register_tap_listener("dnsmon", f, NULL, TL_REQUIRES_NOTHING, NULL,
                                         finisher_packet, finisher_draw, finisher_finish);
    if (err) {
        g_string_free(err, TRUE);
        g_free(f);
        return;
    }
    *slot = f;
}

void
dnsmon_finisher_detach(dnsmon_finisher **slot)
{
    if (*slot)
        remove_tap_listener(*slot);    /* frees it through finisher_finish */
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

void
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
