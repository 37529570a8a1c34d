/* packet-dnsmon.c — the DNSMON protocol: registration, preferences, the
 * per-file tracker and the post-dissector itself.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/prefs.h>

#include "dnsmon_compat.h"
#include "dnsmon_glue.h"

static int proto_dnsmon = -1;
static dissector_handle_t dnsmon_handle;
static dm_tracker *tracker;

/* Preferences (SPEC.md "Preferences"). */
static guint pref_timeout = 5;                  /* s */
static guint pref_retransmit_window = 5;        /* s */
static guint pref_slow_threshold = 500;         /* ms */
dm_pref_bool dnsmon_pref_ignore_multicast = TRUE;

dm_tracker *
dnsmon_tracker(void)
{
    return tracker;
}

/* A new capture file (or a redissection after a preference change). */
static void
dnsmon_init(void)
{
    dm_config cfg;
    cfg.timeout = pref_timeout;
    cfg.retransmit_window = pref_retransmit_window;
    cfg.slow_threshold = pref_slow_threshold / 1000.0;
    dm_tracker_free(tracker);
    tracker = dm_tracker_new(&cfg);
}

static void
dnsmon_cleanup(void)
{
    dm_tracker_free(tracker);
    tracker = NULL;
}

static int
dissect_dnsmon(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!tracker)
        dnsmon_init();
    /* Other dissectors' fields exist only on the first pass: feed then. */
    if (!PINFO_FD_VISITED(pinfo) && !dm_tracker_frame_seen(tracker, pinfo->num))
        dnsmon_feed_frame(tracker, pinfo, tree);
    dnsmon_render_frame(tracker, tvb, pinfo, tree);
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

    dnsmon_handle = register_dissector("dnsmon", dissect_dnsmon, proto_dnsmon);
    register_init_routine(dnsmon_init);
    register_cleanup_routine(dnsmon_cleanup);
    dnsmon_taps_register();
}

void
proto_reg_handoff_dnsmon(void)
{
    register_postdissector(dnsmon_handle);
    dnsmon_extract_init();
    set_postdissector_wanted_hfids(dnsmon_handle, dnsmon_wanted_hfids());
}
