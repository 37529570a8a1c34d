/* downgrade.c — see dnsmon_downgrade.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "dnsmon_downgrade.h"

struct dm_downgrades {
    dm_tracker *tr;
    dm_time window;
    gboolean ready;
    guint32 base;               /* what was decided: transactions base+1 .. (forgotten below) */
    GArray *of;                 /* guint32 per transaction (index id - base - 1), when any */
};

static gboolean
encrypted(dm_transport t)
{
    return t == DM_DOT || t == DM_DOH || t == DM_DOQ;
}

/* The encrypted transport itself failed. An error answer read with the
 * keys (nxdomain, servfail, ...) came over a working encrypted channel:
 * no reason to fall back. */
static gboolean
attempt_failed(dm_outcome o)
{
    return o == DM_OUTCOME_REJECTED || o == DM_OUTCOME_UNANSWERED ||
           o == DM_OUTCOME_INCOMPLETE || o == DM_OUTCOME_TLS_FAILED;
}

dm_time
dm_encrypted_end(const dm_tracker *tr, const dm_txn *t)
{
    const dm_txn_ext *e = dm_tracker_ext(tr, t);
    dm_time end = MAX(t->first_ts, dm_txn_last_ts(tr, t));
    if (e && e->closed)
        end = MAX(end, e->closed);
    const dm_icmp *ic = dm_txn_icmp_on_query(tr, t);
    if (ic)
        end = MAX(end, ic->ts);
    return end;
}

typedef struct {
    guint32 client;
    dm_time at;
    guint32 id;
} entry;

static gint
cmp_entry(gconstpointer a, gconstpointer b)
{
    const entry *x = a, *y = b;
    if (x->client != y->client)
        return x->client < y->client ? -1 : 1;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void
decide(dm_downgrades *dg)
{
    const dm_tracker *tr = dg->tr;
    guint32 n = dm_tracker_txn_count(tr);
    dg->base = dm_tracker_first(tr) - 1;
    GArray *failed = g_array_new(FALSE, FALSE, sizeof(entry));
    GArray *plain = g_array_new(FALSE, FALSE, sizeof(entry));
    for (guint32 id = dg->base + 1; id <= n; id++) {
        const dm_txn *t = dm_tracker_txn(tr, id);
        entry e = { t->client, t->first_ts, id };
        if (encrypted((dm_transport)t->transport)) {
            if (attempt_failed(dm_txn_outcome(tr, t)))
                g_array_append_val(failed, e);
        } else if (t->server_port == 53) {
            g_array_append_val(plain, e);
        }
    }
    dg->ready = TRUE;
    if (failed->len && plain->len) {
        g_array_sort(failed, cmp_entry);
        g_array_sort(plain, cmp_entry);
        g_array_set_size(dg->of, n - dg->base);
        memset(dg->of->data, 0, (n - dg->base) * sizeof(guint32));
        /* Each client's attempts in time order; a cursor that only moves
         * forward through its plain transactions: each looked at once. */
        guint j = 0;
        for (guint i = 0; i < failed->len; i++) {
            const entry *e = &g_array_index(failed, entry, i);
            dm_time until = dm_time_add(dm_encrypted_end(tr, dm_tracker_txn(tr, e->id)),
                                        dg->window);
            while (j < plain->len && cmp_entry(&g_array_index(plain, entry, j), e) < 0)
                j++;
            for (guint k = j; k < plain->len; k++) {
                const entry *p = &g_array_index(plain, entry, k);
                if (p->client != e->client || p->at > until)
                    break;
                guint32 *of = &g_array_index(dg->of, guint32, p->id - dg->base - 1);
                if (!*of)
                    *of = e->id;
                j = k + 1;
            }
        }
    }
    g_array_free(failed, TRUE);
    g_array_free(plain, TRUE);
}

static void
observe(void *user, dm_event ev, guint32 txn, dm_time ts)
{
    dm_downgrades *dg = user;
    (void)txn;
    (void)ts;
    if (ev == DM_EV_FINISH) {
        g_array_set_size(dg->of, 0);
        decide(dg);
    } else if (ev != DM_EV_TIME && dg->ready) {
        dg->ready = FALSE;      /* an event after the end reopens the capture */
        g_array_set_size(dg->of, 0);
    }
}

dm_downgrades *
dm_downgrades_new(dm_tracker *tr, double lookup_window)
{
    dm_downgrades *dg = g_new0(dm_downgrades, 1);
    dg->tr = tr;
    dg->window = dm_time_secs(lookup_window);
    dg->of = g_array_new(FALSE, FALSE, sizeof(guint32));
    dm_tracker_observe(tr, observe, dg);
    return dg;
}

void
dm_downgrades_free(dm_downgrades *dg)
{
    if (!dg)
        return;
    g_array_free(dg->of, TRUE);
    g_free(dg);
}

gboolean
dm_downgrades_ready(const dm_downgrades *dg)
{
    return dg->ready;
}

guint32
dm_downgrade_of(const dm_downgrades *dg, guint32 txn)
{
    return dg->ready && txn > dg->base && txn - dg->base <= dg->of->len
               ? g_array_index(dg->of, guint32, txn - dg->base - 1) : 0;
}

gsize
dm_downgrades_bytes(const dm_downgrades *dg)
{
    return sizeof *dg + dg->of->len * sizeof(guint32);
}

void
dm_downgrades_decide_now(dm_downgrades *dg)
{
    g_array_set_size(dg->of, 0);
    decide(dg);
}

void
dm_downgrades_forget(dm_downgrades *dg)
{
    dg->ready = FALSE;
    g_array_set_size(dg->of, 0);
}
