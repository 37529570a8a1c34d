/* dnsmon_describe.h — one transaction in words: why it was rejected, what
 * failed. The same sentence on the frame (expert info), in the failures
 * table and in the report.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_DESCRIBE_H
#define DNSMON_DESCRIBE_H

#include "dnsmon_tracker.h"
#include "dnsmon_upstream.h"

G_BEGIN_DECLS

/* "ICMP port unreachable from 203.0.113.2 (the server itself): no DNS
 * service listening on udp/53"; g_free. */
char *dm_icmp_cause(const dm_tracker *tr, const dm_txn *t, const dm_icmp *ic);

/* The failure detail of a transaction with outcome o: "ICMP port
 * unreachable from 203.0.113.2 (the server)", "SERVFAIL (EDE 6: DNSSEC
 * Bogus)", "no response within 5 s (3 attempts)"; g_free. */
char *dm_failure_detail(const dm_tracker *tr, const dm_txn *t, dm_outcome o);

/* How an encrypted attempt failed, in a few words: "reset", "no answer",
 * "ICMP port unreachable", "handshake alert bad_certificate (fatal, 42)";
 * g_free. */
char *dm_encrypted_failure_text(const dm_tracker *tr, const dm_txn *t);

/* Why a resolver's transaction failed below it, for each upstream server
 * that failed (at most three): "queries to 192.0.2.20 for www.dead.test
 * were answered by ICMP port unreachable" (the resolver's); g_free. The frames
 * of those queries and their ICMP errors are appended to frames (guint32)
 * when it is not NULL. */
char *dm_upstream_failure_text(const dm_tracker *tr, const dm_upstream *up, guint32 txn,
                               GArray *frames);

G_END_DECLS

#endif
