/* dnsmon_txlog.h — the transaction log (docs/design.md, "Statistics", -z dnsmon,log):
 * one JSON object per line per transaction, final, for log stores
 * (ClickHouse JSONEachRow, Elasticsearch/OpenSearch bulk, jq). Plain C.
 *
 * Numbers are JSON numbers; times are given twice, as ISO 8601 UTC text and
 * as epoch seconds (and whole seconds plus nanoseconds, for stores without
 * sub-second time types); absent values are null.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TXLOG_H
#define DNSMON_TXLOG_H

#include <stdio.h>

#include "dnsmon_ledger.h"
#include "dnsmon_downgrade.h"
#include "dnsmon_upstream.h"

G_BEGIN_DECLS

/* Writes a line for each transaction a listener saw (all when seen is NULL). */
void dm_txlog_write(const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
                    const dm_downgrades *dg, const dm_ledger *seen, FILE *out);
/* The same for transactions from <= txn < until only (a single pass that
 * forgets writes its lines as it goes: docs/design.md, "Memory"). */
void dm_txlog_write_range(const dm_tracker *tr, const dm_lookups *ls, const dm_upstream *up,
                          const dm_downgrades *dg, const dm_ledger *seen, FILE *out,
                          guint32 from, guint32 until);
/* Appends s as a JSON string literal (quotes included). */
void dm_json_string(GString *out, const char *s);

G_END_DECLS

#endif
