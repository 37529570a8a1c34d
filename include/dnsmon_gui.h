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

/* From proto_register_dnsmon(): the report window's menu item and gui.c's
 * own init routine. */
void dnsmon_gui_register(void);

/* From the postseq cleanup routine (the first pass over a file, a reload or
 * a live capture has ended): schedules, in the GUI, one refilter with the
 * active display filter, so the filter is evaluated on final verdicts and
 * the packet list drops rows it cached while verdicts were still pending. */
void dnsmon_gui_first_pass_done(void);

#endif
