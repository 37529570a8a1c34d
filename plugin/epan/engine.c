/* engine.c — the one owner of the engine; see dnsmon_engine.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <malloc.h>

#include <epan/packet.h>
#include <epan/plugin_if.h>
#include <epan/tap.h>

#include "dnsmon_engine.h"
#include "dnsmon_extract.h"
#include "dnsmon_forget.h"
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

/* Asked only where it is rare (a session's start and end, a statistics
 * draw) and once per engine for the frames (below): Wireshark 4.0's
 * plugin_if_get_capture_file leaks the keys of the table it builds for each
 * call (~100 bytes), which a call per frame would turn into tshark's heap
 * growing with the capture. Never remembered across engines: the window
 * may lend no file before its first one is open. */
static gboolean
in_window(read_state *st)
{
    st->read_done = FALSE;
    st->count = 0;
    return plugin_if_get_capture_file(file_state_get, st) != NULL;
}

/* The same, asked once per engine: whether this is the window does not
 * change, and neither does a redissection's file (read and counted before
 * it starts). */
static struct {
    guint generation;
    gboolean window;
    read_state st;
} asked;

static gboolean
in_window_once(read_state *st, guint gen)
{
    if (asked.generation != gen) {
        asked.window = in_window(&asked.st);
        asked.generation = gen;
    }
    *st = asked.st;
    return asked.window;
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

/* DNSMON_MEMORY=1: what the engine holds, by its own accounting, at the end
 * and each time it forgets (BENCHMARKS.md); DNSMON_MEMORY=2: by part too. */
static void
print_memory(const char *when)
{
    guint32 held = dm_tracker_txn_count(tracker) + 1 - dm_tracker_first(tracker);
    gsize t = dm_tracker_bytes(tracker), l = dm_lookups_bytes(lookups);
    gsize u = dm_upstream_bytes(upstream), d = dm_downgrades_bytes(downgrades);
    fprintf(stderr, "dnsmon: memory %s: %u transactions (%u held), %u items, %u lookups: tracker "
            "%zu B, lookups %zu B, upstream %zu B, downgrades %zu B, %.1f B per transaction "
            "held\n", when, dm_tracker_txn_count(tracker), held, dm_tracker_item_count(tracker),
            dm_lookups_count(lookups), t, l, u, d, (double)(t + l + u + d) / MAX(held, 1));
    if (g_strcmp0(g_getenv("DNSMON_MEMORY"), "2") == 0) {
        /* by part, per transaction held */
        dm_memory_part parts[2 * DM_MEMORY_PARTS];
        guint n = dm_tracker_memory(tracker, parts, DM_MEMORY_PARTS);
        n += dm_lookups_memory(lookups, parts + n, DM_MEMORY_PARTS);
        GString *s = g_string_new("dnsmon: memory by part:");
        for (guint i = 0; i < n; i++) {
            g_string_append_printf(s, "%s %s %zu B", i ? "," : "", parts[i].what, parts[i].bytes);
            if (parts[i].count)
                g_string_append_printf(s, " (%u)", parts[i].count);
            g_string_append_printf(s, " = %.1f", (double)parts[i].bytes / MAX(held, 1));
        }
        fprintf(stderr, "%s\n", s->str);
        g_string_free(s, TRUE);
    }
    if (g_getenv("DNSMON_MALLINFO")) {
        struct mallinfo2 mi = mallinfo2();
        fprintf(stderr, "malloc: arena %zu in use %zu mmap %zu free %zu\n", mi.arena, mi.uordblks, mi.hblkhd, mi.fordblks);
    }
}

/* ---- a single pass nothing will revisit -------------------------------- */

/* What the engine may forget (docs/design.md, "Memory"): in tshark's single
 * pass no frame is dissected again, so what is done (settled, past the
 * horizon) can go once every listener took it. Nothing goes in the window,
 * with -2 (tshark keeps every frame for its second pass), once a frame of
 * the first pass is drawn (a tree for a filter, -V or fields, columns,
 * expert info: what it shows reaches back), or while a listener that reads
 * the whole capture when drawn is registered (-z dnsmon,tree, failures,
 * report). tshark runs its tap listeners in the first pass only when it
 * makes one (with -2 it taps the second pass only): a listener of the
 * engine's own on the dnsmon tap, a dissector helper (it makes tshark
 * dissect nothing it would not), tells. */
static gboolean probe_registered;
static guint32 fed_num;             /* the first-pass frame fed last (Wireshark's number) */
static gboolean first_pass_tapped;  /* this engine's first pass reaches the taps */
static gboolean first_pass_drawn;   /* a frame of its first pass was drawn */
static gboolean past_needed;        /* a listener reads the whole capture when drawn */
static guint32 forget_checked;      /* transactions when it last looked */
static GArray *forget_hooks;        /* forget_hook */

typedef struct {
    dnsmon_forget_fn fn;
    void *user;
} forget_hook;

/* Taps run after the frame's dissection (which marks it visited). */
static tap_packet_status
probe_packet(void *p _U_, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data _U_,
             tap_flags_t flags _U_)
{
    if (tracker && !dm_tracker_finished(tracker) && pinfo->num == fed_num)
        first_pass_tapped = TRUE;
    return TAP_PACKET_DONT_REDRAW;
}

static void
register_probe(void)
{
    static int marker;
    if (probe_registered)
        return;
    GString *err = register_tap_listener("dnsmon", &marker, NULL,
                                         TL_IS_DISSECTOR_HELPER | TL_REQUIRES_NOTHING, NULL,
                                         probe_packet, NULL, NULL);
    if (err)
        g_string_free(err, TRUE);
    else
        probe_registered = TRUE;
}

void
dnsmon_engine_need_past(void)
{
    past_needed = TRUE;
}

void
dnsmon_engine_on_forget(dnsmon_forget_fn fn, void *user)
{
    if (!forget_hooks)
        forget_hooks = g_array_new(FALSE, FALSE, sizeof(forget_hook));
    forget_hook h = { fn, user };
    g_array_append_val(forget_hooks, h);
}

void
dnsmon_engine_off_forget(dnsmon_forget_fn fn, void *user)
{
    for (guint i = 0; forget_hooks && i < forget_hooks->len; i++) {
        forget_hook *h = &g_array_index(forget_hooks, forget_hook, i);
        if (h->fn == fn && h->user == user) {
            g_array_remove_index(forget_hooks, i);
            return;
        }
    }
}

gboolean
dnsmon_engine_forgets(void)
{
    return tracker && first_pass_tapped && !first_pass_drawn && !past_needed &&
           !draw_every_frame && !dm_tracker_finished(tracker);
}

/* Every few thousand transactions, what is done goes, if that is a good
 * share of what is held. The listeners write and count it first. */
static void
forget_done(void)
{
    guint32 n = dm_tracker_txn_count(tracker);
    if (n < forget_checked + 4096)
        return;
    forget_checked = n;
    guint32 until = dm_forget_point(tracker, lookups);
    if (!dm_forget_worth(tracker, until))
        return;
    dnsmon_view v = dnsmon_engine_view();
    if (forget_hooks && forget_hooks->len) {
        dm_forget_decide(upstream, downgrades);
        for (guint i = 0; i < forget_hooks->len; i++) {
            forget_hook *h = &g_array_index(forget_hooks, forget_hook, i);
            h->fn(h->user, &v, until);
        }
    }
    dm_forget(tracker, lookups, upstream, downgrades, until);
    if (g_getenv("DNSMON_MEMORY"))
        print_memory("forgot");
}

/* ---- lifecycle ---------------------------------------------------------- */

static void
close_engine(void)
{
    if (tracker && g_getenv("DNSMON_MEMORY") && dm_tracker_txn_count(tracker))
        print_memory("at the end");
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
    first_pass_tapped = first_pass_drawn = FALSE;
    forget_checked = 0;
    read_state st;
    if (!in_window(&st))
        register_probe();
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
dnsmon_engine_frame(packet_info *pinfo, gboolean drawn)
{
    if (!tracker && have_settings)
        dnsmon_engine_open(&settings);     /* a frame after the file was closed */
    if (!tracker || PINFO_FD_VISITED(pinfo))
        return;                 /* later passes only read */
    read_state st;
    gboolean window = in_window_once(&st, generation);
    session_frames = MAX(session_frames, pinfo->num);
    fed_num = pinfo->num;
    first_pass_drawn |= drawn;
    if (!window && dnsmon_engine_forgets())
        forget_done();
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
