/* dnsmon_report.h — the incident report (docs/design.md, "Statistics"): plain
 * words. First what the users felt (lookups that failed for good, lookups
 * that recovered and at what delay), then one finding per affected server,
 * most affected first, then a line on healthy traffic. Plain C with GLib,
 * built from the tracker and the lookups alone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_REPORT_H
#define DNSMON_REPORT_H

#include "dnsmon_ledger.h"
#include "dnsmon_downgrade.h"
#include "dnsmon_upstream.h"

G_BEGIN_DECLS

/* Writes the report on the transactions a listener saw (all of them when
 * seen is NULL), with outcomes as of the tracker's end time. */
void dm_report_write(const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
                     const dm_downgrades *dg, const dm_ledger *seen,
                     GString *out);

/* "1-6", "1-3,7,9-10": sorted frame numbers, runs folded; at most max_runs
 * runs, then "and N more frames". */
void dm_frames_to_ranges(GArray *frames /* guint32, sorted in place */, guint max_runs,
                         GString *out);

/* "2024-03-14 13:24:32" (UTC). */
char *dm_time_text(dm_time t);

G_END_DECLS

#endif
