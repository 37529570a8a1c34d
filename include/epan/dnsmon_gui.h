/* dnsmon_gui.h — what only the Wireshark window uses (plugin/gui.c): the
 * incident report in a text window under Statistics → DNS Monitor, and
 * bringing the packet list up to date when a first pass ends.
 *
 * Nothing here does anything in tshark: every GUI action runs from the glib
 * main loop, which only the Wireshark window runs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_GUI_H
#define DNSMON_GUI_H

#include <glib.h>

/* From proto_register_dnsmon(): the report window's menu item. */
void dnsmon_gui_register(void);

/* The engine's owner finished a first pass (a file read, a reload, a live
 * capture stopping, or a redissection): schedules, in the window, one
 * refilter with the active display filter, so the filter is evaluated on
 * final verdicts and the packet list drops rows it cached while verdicts
 * were still pending. */
void dnsmon_gui_first_pass_done(gboolean redissected);

#endif
