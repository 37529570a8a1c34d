/* dnsmon_names.h — the one vocabulary: every name a field, a filter, a
 * statistic or the log shows for an outcome, a lookup outcome, an ICMP kind,
 * a transport or a DNS type is defined here (names.c), and the words that go
 * with them. A test holds the README's field table, scripts/dnsmon-load's
 * enumerations and `tshark -G fields` to these lists.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_NAMES_H
#define DNSMON_NAMES_H

#include "dnsmon_types.h"

G_BEGIN_DECLS

/* Outcomes of a transaction: the filter value ("wrong_source") and words. */
const char *dm_outcome_name(dm_outcome o);
const char *dm_outcome_text(dm_outcome o);        /* "answered from the wrong address" */
gboolean dm_outcome_is_failure(dm_outcome o);

/* Outcomes of a lookup. */
const char *dm_lookup_outcome_name(dm_lookup_outcome o);

/* Upstream causes: "upstream_failed", "upstream_answered", "none_seen". */
const char *dm_upstream_cause_name(dm_upstream_cause c);
const char *const *dm_upstream_cause_names(gsize *n);   /* from DM_UPSTREAM_FAILED on */

/* ICMP: which errors dnsmon follows, their kinds and what each means. */
gboolean dm_icmp_is_error(guint8 version, guint8 type);   /* not echo, not redirect */
dm_icmp_kind dm_icmp_classify(guint8 version, guint8 type, guint8 code);
const char *dm_icmp_kind_name(dm_icmp_kind k);            /* "port_unreachable" */
const char *dm_icmp_kind_text(dm_icmp_kind k);            /* "port unreachable" */
const char *dm_icmp_kind_meaning(dm_icmp_kind k);         /* its likely cause, or NULL */
const char *dm_reporter_name(dm_reporter r);              /* "server", "client", "router" */
const char *dm_reporter_text(dm_reporter r);              /* "the server", ... */

const char *dm_transport_name(dm_transport t);            /* "udp", "tcp", "dot", ... */
const char *dm_transport_text(dm_transport t);            /* "DNS over TLS" */
const char *dm_connection_text(dm_transport t);           /* "QUIC connection attempt" */
const char *dm_opening_packet_text(dm_transport t, guint n); /* "SYNs", "Initial packet" */
const char *dm_tls_alert_name(guint8 desc);               /* "handshake_failure", or NULL */

/* DNS types and Extended DNS Errors. */
typedef struct { guint16 type; const char *name; } dm_qtype;
const char *dm_qtype_name(guint16 type);          /* "A", "AAAA", or NULL */
const char *dm_qtype_text(guint16 type, char *buf, gsize len);  /* the name, or "TYPE65280" */
const dm_qtype *dm_qtypes(gsize *n);              /* every type with a name */
const char *dm_ede_name(guint16 code);            /* "DNSSEC Bogus", or NULL */
const char *dm_rcode_name(guint8 rcode);          /* "SERVFAIL", or NULL */

/* Every name of an enumeration, in order (for the vocabulary test and the
 * log's consumers): *n names. */
const char *const *dm_outcome_names(gsize *n);
const char *const *dm_lookup_outcome_names(gsize *n);
const char *const *dm_icmp_kind_names(gsize *n);
const char *const *dm_transport_names(gsize *n);

/* Addresses. */
gboolean dm_addr_equal(const dm_addr *a, const dm_addr *b);
gboolean dm_addr_is_multicast(const dm_addr *a);
/* Writes "203.0.113.2" or "2001:db8::2" into buf (>= 46 bytes). */
char *dm_addr_to_str(const dm_addr *a, char *buf, gsize len);
/* "203.0.113.2:53" or "[2001:db8::2]:53"; g_free. */
char *dm_endpoint_to_str(const dm_addr *a, guint16 port);

/* Durations and questions in words; g_free. */
char *dm_duration_text(dm_time ns);               /* "1.674 s", "12 ms", "400 µs", "7 ns" */
/* ns in the unit dm_duration_text() gives `like`: two values in one line
 * read in one unit ("median 0.648 ms, max 12 ms"). */
char *dm_duration_text_like(dm_time ns, dm_time like);
/* "the capture ended 12 ms after the last attempt" (or "with the last attempt"). */
char *dm_capture_end_text(dm_time gap);
char *dm_question_text(const dm_question *q);     /* "A yummyrecipesforme.com" */

G_END_DECLS

#endif
