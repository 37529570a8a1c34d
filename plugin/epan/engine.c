/* engine.c — the one owner of the engine; see dnsmon_engine.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include <epan/packet.h>
#include <epan/plugin_if.h>
#include <epan/tap.h>

#include "dnsmon_engine.h"
#include "dnsmon_extract.h"
#include "dnsmon_frame.h"

static dm_tracker *tracker;
static dm_lookups *lookups;
static dm_upstream *upstream;
static dm_downgrades *downgrades;
static dnsmon_settings settings;
static gboolean have_settings;
static guint generation;
static void (*pass_over_hook)(gboolean redissected);
/* Sessions (below): closed by a session reset, waiting for the next open. */
static gboolean parked;
static guint32 session_frames;  /* the latest frame number of this session */
static guint32 earlier_frames;  /* frames of the sessions before it */

/* ---- where the frames come from ----------------------------------------- */

/* The window lends a post-dissector its capture file; tshark does not. */
typedef struct {
    gboolean read_done;         /* the file is read (not loading, not capturing) */
    guint32 count;              /* frames in it */
} read_state;

static void *
file_state_get(capture_file *cf, void *user)
{
    read_state *st = user;
    st->read_done = cf->state == FILE_READ_DONE;
    st->count = cf->count;
    return st;
}

static gboolean
in_window(read_state *st)
{
    st->read_done = FALSE;
    st->count = 0;
    return plugin_if_get_capture_file(file_state_get, st) != NULL;
}

/* ---- the end of a first pass -------------------------------------------- */

static void
finish(gboolean redissected)
{
    if (!tracker || dm_tracker_finished(tracker))
        return;
    dm_tracker_finish(tracker);
    if (pass_over_hook)
        pass_over_hook(redissected);
}

void
dnsmon_engine_pass_over(void)
{
    finish(FALSE);
}

void
dnsmon_engine_on_pass_over(void (*fn)(gboolean redissected))
{
    pass_over_hook = fn;
}

/* tshark's single pass calls no postseq routine: the statistics drawn at
 * its end are its end. taps.c tells us before any dnsmon listener is drawn
 * (each listener's drawer is drawn before the listener itself). Only in
 * tshark: the window draws its statistics while a capture still runs, and
 * ends its passes with postseq. */
static gboolean forcing_draw;   /* the test hook below is drawing, not tshark's end */

void
dnsmon_engine_statistics_drawn(void)
{
    read_state st;
    if (!forcing_draw && !in_window(&st))
        finish(FALSE);
}

/* A test hook (DNSMON_DRAW_EVERY_FRAME=1, tshark only): every statistics
 * listener is drawn before each frame of the first pass, as a window that
 * is open all the time would; the verdicts must come out the same. */
static gboolean draw_every_frame;

static void
draw_all_now(void)
{
    forcing_draw = TRUE;
    draw_tap_listeners(TRUE);
    forcing_draw = FALSE;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void
close_engine(void)
{
    /* DNSMON_MEMORY=1: what the engine held, for the benchmark (BENCHMARKS.md). */
    if (tracker && g_getenv("DNSMON_MEMORY") && dm_tracker_txn_count(tracker))
        fprintf(stderr, "dnsmon: %u transactions, %u items, %u lookups: tracker %zu B, lookups "
                "%zu B, %.1f B per transaction\n", dm_tracker_txn_count(tracker),
                dm_tracker_item_count(tracker), dm_lookups_count(lookups),
                dm_tracker_bytes(tracker), dm_lookups_bytes(lookups),
                (double)(dm_tracker_bytes(tracker) + dm_lookups_bytes(lookups)) /
                    dm_tracker_txn_count(tracker));
    dm_downgrades_free(downgrades);
    downgrades = NULL;
    dm_upstream_free(upstream);
    upstream = NULL;
    dm_lookups_free(lookups);
    lookups = NULL;
    dm_tracker_free(tracker);
    tracker = NULL;
    parked = FALSE;
}

/* tshark ends its epan session and starts another in the middle of a pass:
 * every N packets with -M (its session reset), and at each new file of a
 * live capture (-b). Its cleanup and init routines run then as for a new
 * file, but the frames go on: the engine is carried across, with what is
 * still open, and the frame numbers it gives go on from the last one of the
 * session before (Wireshark's restart at 1). In tshark the end of the pass
 * (postseq, or the statistics drawn) comes before its last cleanup, so a
 * cleanup before the end is a reset; in the window a cleanup is always a
 * file closed or a redissection. */
void
dnsmon_engine_close(void)
{
    read_state st;
    if (tracker && !dm_tracker_finished(tracker) && !in_window(&st)) {
        parked = TRUE;
        return;
    }
    close_engine();
}

static gboolean
same_settings(const dnsmon_settings *a, const dnsmon_settings *b)
{
    return a->core.timeout == b->core.timeout &&
           a->core.retransmit_window == b->core.retransmit_window &&
           a->core.slow_threshold == b->core.slow_threshold &&
           a->core.lookup_window == b->core.lookup_window &&
           a->core.wireshark_retransmit_timer == b->core.wireshark_retransmit_timer &&
           !a->ignore_multicast == !b->ignore_multicast;
}

void
dnsmon_engine_open(const dnsmon_settings *s)
{
    if (parked && tracker && same_settings(s, &settings)) {
        parked = FALSE;
        earlier_frames = session_frames <= G_MAXUINT32 - earlier_frames
                             ? earlier_frames + session_frames : G_MAXUINT32;
        session_frames = 0;
        dnsmon_frame_set_offset(earlier_frames);
        return;
    }
    close_engine();
    session_frames = earlier_frames = 0;
    dnsmon_frame_set_offset(0);
    settings = *s;
    have_settings = TRUE;
    tracker = dm_tracker_new(&settings.core);
    lookups = dm_lookups_new(tracker, settings.core.lookup_window);
    upstream = dm_upstream_new(tracker);
    downgrades = dm_downgrades_new(tracker, settings.core.lookup_window);
    generation++;
    draw_every_frame = g_strcmp0(g_getenv("DNSMON_DRAW_EVERY_FRAME"), "1") == 0;
}

void
dnsmon_engine_frame(packet_info *pinfo)
{
    if (!tracker && have_settings)
        dnsmon_engine_open(&settings);     /* a frame after the file was closed */
    if (!tracker || PINFO_FD_VISITED(pinfo))
        return;                 /* later passes only read */
    read_state st;
    gboolean window = in_window(&st);
    session_frames = MAX(session_frames, pinfo->num);
    if (!window && draw_every_frame && dm_tracker_item_count(tracker))
        draw_all_now();
    dnsmon_feed_frame(tracker, pinfo, settings.ignore_multicast);
    /* A redissection in the window (a preference changed) dissects every
     * frame of a file already read, and calls no postseq: its last frame
     * ends it. */
    if (window && st.read_done && st.count && pinfo->num >= st.count)
        finish(TRUE);
}

dnsmon_view
dnsmon_engine_view(void)
{
    dnsmon_view v = { tracker, lookups, upstream, downgrades, generation };
    return v;
}

gboolean
dnsmon_engine_alive(guint gen)
{
    return tracker && gen == generation;
}
