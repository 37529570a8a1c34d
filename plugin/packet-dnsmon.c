/* packet-dnsmon.c — the DNSMON protocol: registration, preferences, the
 * per-file tracker and lookups, and the post-dissector itself.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <stdio.h>

#include <epan/prefs.h>
#include <epan/tap.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"
#include "dnsmon_gui.h"

static int proto_dnsmon = -1;
static dissector_handle_t dnsmon_handle;
static dm_tracker *tracker;
static dm_lookups *lookups;

/* Preferences (SPEC.md "Preferences"). */
static guint pref_timeout = 5;                  /* s */
static guint pref_retransmit_window = 5;        /* s */
static guint pref_slow_threshold = 500;         /* ms */
static guint pref_lookup_window = 5;            /* s */
dm_pref_bool dnsmon_pref_ignore_multicast = TRUE;

dm_tracker *
dnsmon_tracker(void)
{
    return tracker;
}

dm_lookups *
dnsmon_lookups(void)
{
    return lookups;
}

static void
dnsmon_cleanup(void)
{
    /* DNSMON_MEMORY=1: what the engine held, for the benchmark (BENCHMARKS.md). */
    if (tracker && g_getenv("DNSMON_MEMORY") && dm_tracker_txn_count(tracker))
        fprintf(stderr, "dnsmon: %u transactions, %u items, %u lookups: tracker %zu B, lookups "
                "%zu B, %.1f B per transaction\n", dm_tracker_txn_count(tracker),
                dm_tracker_item_count(tracker), dm_lookups_count(lookups),
                dm_tracker_bytes(tracker), dm_lookups_bytes(lookups),
                (double)(dm_tracker_bytes(tracker) + dm_lookups_bytes(lookups)) /
                    dm_tracker_txn_count(tracker));
    dm_lookups_free(lookups);
    lookups = NULL;
    dm_tracker_free(tracker);
    tracker = NULL;
}

/* A new capture file (or a redissection after a preference change). */
static void
dnsmon_init(void)
{
    dm_config cfg;
    cfg.timeout = pref_timeout;
    cfg.retransmit_window = pref_retransmit_window;
    cfg.slow_threshold = pref_slow_threshold / 1000.0;
    cfg.lookup_window = pref_lookup_window;
    cfg.wireshark_retransmit_timer = dnsmon_wireshark_retransmission_timer();
    dnsmon_cleanup();
    tracker = dm_tracker_new(&cfg);
    lookups = dm_lookups_new(tracker, cfg.lookup_window);
}

/* The first, sequential pass over the file is over: the end of the capture
 * is known, every verdict is final from now on. */
static void
dnsmon_first_pass_done(void)
{
    if (tracker)
        dm_tracker_finish(tracker);
    dnsmon_gui_first_pass_done();   /* the packet list shows the final verdicts */
}

/* Nobody can see what this frame would draw: no tree (no filter, no -V, no
 * fields), no columns and nobody listening to expert info — tshark -q with
 * statistics only. Drawing it anyway was about a third of dnsmon's cost there. */
static gboolean
nobody_looks(packet_info *pinfo, proto_tree *tree)
{
    static int expert_tap = -1;
    if (expert_tap < 0)
        expert_tap = find_tap_id("expert");
    return !tree && !pinfo->cinfo && !(expert_tap > 0 && have_tap_listener(expert_tap));
}

static int
dissect_dnsmon(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!tracker)
        dnsmon_init();
    /* Feed the first pass only; later passes only draw. */
    if (!PINFO_FD_VISITED(pinfo))
        dnsmon_feed_frame(tracker, pinfo);
    if (!nobody_looks(pinfo, tree))
        dnsmon_render_frame(tracker, lookups, tvb, pinfo, tree);
    dnsmon_taps_queue(tracker, pinfo);
    return 0;
}

void
proto_register_dnsmon(void)
{
    proto_dnsmon = proto_register_protocol("DNS transaction monitor", "DNSMON", "dnsmon");
    dnsmon_render_register(proto_dnsmon);

    module_t *m = prefs_register_protocol(proto_dnsmon, NULL);
    prefs_register_uint_preference(m, "timeout", "Timeout (s)",
        "A query with no response this long after its last attempt is unanswered; "
        "a response later than this after the first query is late", 10, &pref_timeout);
    prefs_register_uint_preference(m, "retransmit_window", "Retransmission window (s)",
        "A repeat of an unanswered query (same client, server, ports, ID and question) "
        "at most this long after the previous attempt is a retransmission, not a new "
        "transaction", 10, &pref_retransmit_window);
    prefs_register_uint_preference(m, "slow_threshold", "Slow response threshold (ms)",
        "A response slower than this is flagged slow", 10, &pref_slow_threshold);
    prefs_register_bool_preference(m, "ignore_multicast", "Ignore multicast DNS",
        "Leave mDNS (5353) and LLMNR (5355) traffic and queries to multicast groups alone: "
        "nobody is expected to answer them", &dnsmon_pref_ignore_multicast);
    prefs_register_uint_preference(m, "lookup_window", "Lookup window (s)",
        "A transaction with the same client and question that starts at most this long "
        "after the previous one of a lookup ended belongs to that lookup (retries, other "
        "servers, TCP fallback)", 10, &pref_lookup_window);

    dnsmon_handle = register_dissector("dnsmon", dissect_dnsmon, proto_dnsmon);
    register_init_routine(dnsmon_init);
    register_cleanup_routine(dnsmon_cleanup);
    register_postseq_cleanup_routine(dnsmon_first_pass_done);
    dnsmon_taps_register();
    dnsmon_gui_register();
}

void
proto_reg_handoff_dnsmon(void)
{
    register_postdissector(dnsmon_handle);
    dnsmon_extract_init();
    set_postdissector_wanted_hfids(dnsmon_handle, dnsmon_wanted_hfids());
}
