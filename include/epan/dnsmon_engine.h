/* dnsmon_engine.h — the one owner of the engine (plugin/epan/engine.c).
 *
 * Only the dissector side advances or finishes the tracker and its lookups:
 * a new file (or redissection) opens a fresh engine, the first pass feeds
 * it frame by frame, the end of that pass finishes it. Everybody else —
 * the fields, the statistics listeners, the window — reads it through a
 * const view, and tells one capture from the next by its generation, so no
 * redraw, window or redissection can change a verdict (docs/design.md,
 * "One owner").
 *
 * The end of a first pass is:
 *   - Wireshark's postseq routine (tshark -2, a file read in the window, a
 *     live capture stopping);
 *   - in tshark's single pass, the drawing of the statistics at its end
 *     (tshark calls no postseq then): taps.c tells before any listener is
 *     drawn (dnsmon_engine_statistics_drawn);
 *   - in the window, the last frame of a redissection (no postseq either).
 *
 * tshark's session resets (-M, a live capture's new ring file) run the
 * cleanup and init routines mid-pass: the engine is carried across them,
 * and numbers frames on (docs/design.md, "Sessions").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_ENGINE_H
#define DNSMON_ENGINE_H

#include <epan/packet.h>

#include "dnsmon_downgrade.h"
#include "dnsmon_lookups.h"
#include "dnsmon_tracker.h"
#include "dnsmon_upstream.h"

/* What the engine reads the frames with (the preferences). */
typedef struct {
    dm_config core;
    gboolean ignore_multicast;  /* leave mDNS, LLMNR and multicast groups alone */
} dnsmon_settings;

/* The engine as everybody but its owner sees it. */
typedef struct {
    const dm_tracker *tr;       /* NULL between files */
    const dm_lookups *ls;
    const dm_upstream *up;
    const dm_downgrades *dg;
    guint generation;           /* 1, 2, ...: one per engine opened */
} dnsmon_view;

/* A new capture file, or a redissection: a fresh engine (after a session
 * reset, the engine carried across). */
void dnsmon_engine_open(const dnsmon_settings *s);
/* The file is closed (in tshark before the end of its pass: a session reset). */
void dnsmon_engine_close(void);
/* Wireshark's postseq routine: the first pass is over. */
void dnsmon_engine_pass_over(void);
/* Called when a first pass ends, once the engine is finished (the window
 * then brings its packet list up to date); redissected: that pass was a
 * redissection, whose rows were drawn while it ran. */
void dnsmon_engine_on_pass_over(void (*fn)(gboolean redissected));
/* The statistics are about to be drawn (taps.c, before any listener): in
 * tshark that is the end of its single pass. */
void dnsmon_engine_statistics_drawn(void);
/* Every frame, every pass: feeds the first pass, and sees a pass end.
 * drawn: what dnsmon says about it will be drawn (a tree, columns, expert
 * info), so the engine keeps what that reaches back to. */
void dnsmon_engine_frame(packet_info *pinfo, gboolean drawn);

dnsmon_view dnsmon_engine_view(void);

/* ---- a single pass nothing will revisit (docs/design.md, "Memory") ------ */

/* A listener that reads the whole capture when it is drawn (the tree, the
 * failures table, the report) is registered: nothing is forgotten. */
void dnsmon_engine_need_past(void);
/* A listener that writes as it goes (the log) is told before the engine
 * forgets transactions below `until`: it counts and writes them then. */
typedef void (*dnsmon_forget_fn)(void *user, const dnsmon_view *v, guint32 until);
void dnsmon_engine_on_forget(dnsmon_forget_fn fn, void *user);
void dnsmon_engine_off_forget(dnsmon_forget_fn fn, void *user);
/* Whether the engine forgets what is done (tshark's single pass, nothing
 * drawn, no listener needing the past). */
gboolean dnsmon_engine_forgets(void);
/* Whether the engine of that generation is still the current one (a
 * listener drawn after its file was closed must not read it). */
gboolean dnsmon_engine_alive(guint generation);

#endif
