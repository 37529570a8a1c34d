/* packet-dnsmon.c — the DNSMON protocol: registration, preferences and the
 * post-dissector, which hands every frame to the engine's owner
 * (engine.c), then draws what the engine says about it (render.c) and
 * passes it to the statistics (taps.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tap.h>

#include "dnsmon_compat.h"
#include "dnsmon_engine.h"
#include "dnsmon_extract.h"
#include "dnsmon_gui.h"
#include "dnsmon_protocol.h"
#include "dnsmon_render.h"
#include "dnsmon_taps.h"

static int proto_dnsmon = -1;
static dissector_handle_t dnsmon_handle;

/* Preferences (docs/design.md, "Preferences"). */
static guint pref_timeout = 5;                  /* s */
static guint pref_retransmit_window = 5;        /* s */
static guint pref_slow_threshold = 500;         /* ms */
static guint pref_lookup_window = 5;            /* s */
static dm_pref_bool pref_ignore_multicast = TRUE;
static dm_pref_bool pref_doq_port = TRUE;

/* A new capture file (or a redissection after a preference change). */
static void
dnsmon_init(void)
{
    dnsmon_settings s;
    s.core.timeout = pref_timeout;
    s.core.retransmit_window = pref_retransmit_window;
    s.core.slow_threshold = pref_slow_threshold / 1000.0;
    s.core.lookup_window = pref_lookup_window;
    s.core.wireshark_retransmit_timer = dnsmon_wireshark_retransmission_timer();
    s.ignore_multicast = pref_ignore_multicast ? TRUE : FALSE;
    dnsmon_engine_open(&s);
}

static void
dnsmon_cleanup(void)
{
    dnsmon_engine_close();
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
    gboolean drawn = !nobody_looks(pinfo, tree);
    dnsmon_engine_frame(pinfo, drawn);
    dnsmon_view v = dnsmon_engine_view();
    if (v.tr && drawn)
        dnsmon_render_frame(&v, tvb, pinfo, tree);
    dnsmon_taps_queue(&v, pinfo);
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
        "nobody is expected to answer them", &pref_ignore_multicast);
    prefs_register_bool_preference(m, "doq_port", "DNS over QUIC on UDP port 853",
        "Decode UDP port 853 as QUIC (DNS over QUIC, RFC 9250), as Wireshark 4.6 does by "
        "itself; 4.0 and 4.4 take it for DTLS and decrypt nothing there", &pref_doq_port);
    prefs_register_uint_preference(m, "lookup_window", "Lookup window (s)",
        "A transaction with the same client and question that starts at most this long "
        "after the previous one of a lookup ended belongs to that lookup (retries, other "
        "servers, TCP fallback)", 10, &pref_lookup_window);

    dnsmon_handle = register_dissector("dnsmon", dissect_dnsmon, proto_dnsmon);
    register_init_routine(dnsmon_init);
    register_cleanup_routine(dnsmon_cleanup);
    register_postseq_cleanup_routine(dnsmon_engine_pass_over);
    /* When a first pass ends the window shows the final verdicts. */
    dnsmon_engine_on_pass_over(dnsmon_gui_first_pass_done);
    dnsmon_taps_register();
    dnsmon_gui_register();
}

void
proto_reg_handoff_dnsmon(void)
{
    register_postdissector(dnsmon_handle);
    dnsmon_extract_init();
    /* DNS over QUIC's port (docs/design.md, "Encrypted DNS"). */
    dissector_handle_t quic = find_dissector("quic");
    if (pref_doq_port && quic)
        dissector_add_uint("udp.port", 853, quic);
    /* No wanted fields: dnsmon reads packet_info and the bytes, so no
     * protocol tree is built on the first pass because of it (extract.c). */
}
