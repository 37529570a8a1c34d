/* dnsmon_tracker.h — DNS transaction tracker: plain C with GLib, no epan.
 *
 * The tracker is fed events in capture order (DNS queries, DNS responses,
 * ICMP/ICMPv6 errors with whatever their quote held) and keeps every DNS
 * transaction with its attempts, responses and ICMP errors. It answers, per
 * frame, which transaction each DNS message or ICMP error belongs to, and per
 * transaction, its outcome under SPEC.md. The Wireshark glue only translates
 * dissector fields into events and results into tree items.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TRACKER_H
#define DNSMON_TRACKER_H

#include <glib.h>

G_BEGIN_DECLS

/* Times are nanoseconds since the epoch (packet time, never wall clock). */
typedef gint64 dm_time;
#define DM_NS_PER_SEC G_GINT64_CONSTANT(1000000000)

typedef struct {
    guint8 family;              /* 4, 6, or 0 when unknown */
    guint8 bytes[16];           /* network order; IPv4 uses the first 4 */
} dm_addr;

typedef enum { DM_UDP = 0, DM_TCP = 1 } dm_transport;

/* Always oriented client -> server, whatever the direction of the packet. */
typedef struct {
    dm_transport transport;
    dm_addr client;
    dm_addr server;
    guint16 client_port;
    guint16 server_port;
} dm_flow;

typedef enum {
    DM_OUTCOME_PENDING = 0,
    DM_OUTCOME_ANSWERED,
    DM_OUTCOME_NODATA,
    DM_OUTCOME_NXDOMAIN,
    DM_OUTCOME_SERVFAIL,
    DM_OUTCOME_REFUSED,
    DM_OUTCOME_ERROR,
    DM_OUTCOME_REJECTED,
    DM_OUTCOME_INCOMPLETE,
    DM_OUTCOME_UNANSWERED,
    DM_OUTCOME_COUNT
} dm_outcome;

typedef enum {
    DM_ICMP_PORT_UNREACHABLE = 0,
    DM_ICMP_HOST_UNREACHABLE,
    DM_ICMP_NET_UNREACHABLE,
    DM_ICMP_ADMIN_PROHIBITED,
    DM_ICMP_TTL_EXCEEDED,
    DM_ICMP_FRAG_NEEDED,
    DM_ICMP_OTHER,
    DM_ICMP_KIND_COUNT
} dm_icmp_kind;

typedef enum {
    DM_ROLE_QUERY = 1,
    DM_ROLE_RESPONSE,
    DM_ROLE_ICMP
} dm_role;

/* Flags of one frame item (a DNS message or an ICMP error in a frame). */
enum {
    DM_F_RETRANSMISSION = 1u << 0,  /* query: attempt >= 2 */
    DM_F_DUPLICATE      = 1u << 1,  /* response: not the first one */
    DM_F_MISMATCH       = 1u << 2,  /* response: question differs */
    DM_F_UNSOLICITED    = 1u << 3,  /* response: no transaction */
    DM_F_SLOW           = 1u << 4,  /* response: rtt > slow_threshold */
    DM_F_LATE           = 1u << 5,  /* response: rtt > timeout */
    DM_F_BOUNCED        = 1u << 6,  /* ICMP: quotes a response */
    DM_F_UNMATCHED      = 1u << 7,  /* ICMP: quotes a DNS flow never seen */
    DM_F_TRUNCATED      = 1u << 8,  /* response: TC bit set */
    DM_F_NO_QUESTION    = 1u << 9,  /* query without a question: ignored */
    DM_F_SHORT_QUOTE    = 1u << 10, /* ICMP: quote lacks the DNS header */
    DM_F_VIA_NAT        = 1u << 11  /* ICMP: quotes the query as a NAT forwarded it */
};

typedef struct {
    const char *name;           /* NULL when the message had no question */
    guint16 type;
    guint16 klass;
} dm_question;

/* One DNS message as the glue read it. */
typedef struct {
    guint32 frame;
    dm_time ts;
    dm_flow flow;               /* oriented client -> server */
    guint16 id;
    dm_question q;
    guint8 rcode;               /* responses */
    guint16 ancount;            /* responses */
    gboolean tc;                /* responses: truncated */
} dm_dns_msg;

/* One ICMP/ICMPv6 error and what its quote held. */
typedef struct {
    guint32 frame;
    dm_time ts;
    guint8 version;             /* 4 or 6 */
    guint8 type, code;
    dm_addr reporter;           /* source of the ICMP packet */
    dm_transport transport;     /* of the quoted packet */
    dm_addr src, dst;           /* quoted packet's addresses */
    guint16 sport, dport;       /* quoted transport ports */
    gboolean has_id;            /* the quote holds the DNS ID */
    guint16 id;
    gboolean has_qr;            /* the quote holds the DNS flags */
    gboolean qr;                /* 1 = it quotes a response */
    dm_question q;              /* when the quote holds it */
} dm_icmp_msg;

typedef struct {
    guint32 frame;
    dm_time ts;
} dm_attempt;

typedef struct {
    guint32 frame;
    dm_time ts;
    guint8 rcode;
    guint16 ancount;
    guint flags;                /* DM_F_* of that response */
} dm_response;

typedef struct {
    guint32 frame;
    dm_time ts;
    dm_icmp_kind kind;
    guint8 version, type, code;
    dm_addr reporter;
    gboolean from_server;       /* reporter is the server the quote was sent to */
    gboolean quotes_response;
    dm_addr nat_server;         /* the quote's server when a NAT rewrote it; family 0 if not */
    guint32 quoted_frame;       /* the query attempt or response it quotes; 0 if unknown */
} dm_icmp_ref;

typedef struct dm_txn dm_txn;
struct dm_txn {
    guint32 num;                /* 1, 2, ... in capture order */
    dm_flow flow;
    guint16 id;
    dm_question q;              /* name interned in the tracker */
    GArray *attempts;           /* dm_attempt */
    GArray *responses;          /* dm_response, matching and mismatched */
    GArray *icmps;              /* dm_icmp_ref */
    gint answer;                /* index in responses of the deciding one, -1 if none */
    dm_time last_attempt;
    dm_txn *tcp_retry;          /* UDP txn answered with TC=1: its TCP retry */
    dm_txn *udp_truncated;      /* TCP txn: the UDP txn whose answer was truncated */
    GList *open_link;           /* in the tracker's queue of silent transactions */
};

/* One thing dnsmon has to say about a frame. A frame may hold several
 * (pipelined DNS over TCP). */
typedef struct {
    dm_role role;
    guint flags;
    dm_txn *txn;                /* NULL for unsolicited responses and unmatched ICMP */
    guint attempt;              /* queries: 1-based attempt number */
    guint index;                /* responses: index in txn->responses; ICMP: in txn->icmps */
    /* copies for items without a transaction */
    dm_flow flow;
    dm_question q;
    guint8 rcode;
    dm_icmp_ref icmp;           /* ICMP items: also filled when unmatched */
} dm_item;

typedef struct {
    double timeout;             /* s: no answer after this long is unanswered */
    double retransmit_window;   /* s: a repeat within this long is an attempt */
    double slow_threshold;      /* s: a response slower than this is slow */
} dm_config;

typedef struct dm_tracker dm_tracker;

dm_tracker *dm_tracker_new(const dm_config *cfg);
void dm_tracker_free(dm_tracker *tr);
const dm_config *dm_tracker_config(const dm_tracker *tr);

/* Events, in capture order. Each returns the item it recorded for the frame. */
const dm_item *dm_tracker_query(dm_tracker *tr, const dm_dns_msg *m);
const dm_item *dm_tracker_response(dm_tracker *tr, const dm_dns_msg *m);
/* Returns NULL when the ICMP error is not about DNS (nothing recorded). */
const dm_item *dm_tracker_icmp(dm_tracker *tr, const dm_icmp_msg *m);

/* Per-frame results: NULL when the frame holds nothing about DNS. */
const GPtrArray *dm_tracker_frame_items(const dm_tracker *tr, guint32 frame);
/* TRUE once the frame was fed (so a re-dissection never feeds it twice). */
gboolean dm_tracker_frame_seen(const dm_tracker *tr, guint32 frame);
void dm_tracker_mark_frame(dm_tracker *tr, guint32 frame, dm_time ts);

/* Latest packet time seen: the end of capture once the first pass is over. */
dm_time dm_tracker_end_time(const dm_tracker *tr);
guint dm_tracker_txn_count(const dm_tracker *tr);
dm_txn *dm_tracker_txn(const dm_tracker *tr, guint num);   /* 1-based */

/* Outcome of a transaction if the capture ended at the tracker's end time. */
dm_outcome dm_txn_outcome(const dm_tracker *tr, const dm_txn *t);
/* The response that decides the outcome, or NULL. */
const dm_response *dm_txn_answer(const dm_txn *t);
/* First ICMP error that quotes one of its queries, or NULL. */
const dm_icmp_ref *dm_txn_first_icmp_on_query(const dm_txn *t);
/* rtt of the transaction: first query to first deciding response; FALSE if none. */
gboolean dm_txn_rtt(const dm_txn *t, dm_time *rtt);

/* Change log: every transaction whose outcome-as-of-now may have changed is
 * appended (repeats allowed). A listener keeps a cursor into it. */
guint dm_tracker_changes(const dm_tracker *tr, dm_txn *const **log);

/* Names users see. */
const char *dm_outcome_name(dm_outcome o);
gboolean dm_outcome_is_failure(dm_outcome o);
const char *dm_icmp_kind_name(dm_icmp_kind k);
const char *dm_icmp_kind_text(dm_icmp_kind k);    /* "port unreachable" */
dm_icmp_kind dm_icmp_classify(guint8 version, guint8 type, guint8 code);
gboolean dm_icmp_is_error(guint8 version, guint8 type);
typedef struct { guint16 type; const char *name; } dm_qtype;
const char *dm_qtype_name(guint16 type);          /* "A", "AAAA", or NULL */
const char *dm_qtype_text(guint16 type, char *buf, gsize len);  /* the name, or "TYPE65280" */
const dm_qtype *dm_qtypes(gsize *n);              /* every type with a name */
const char *dm_transport_name(dm_transport t);    /* "udp" / "tcp" */
gboolean dm_addr_equal(const dm_addr *a, const dm_addr *b);
gboolean dm_addr_is_multicast(const dm_addr *a);
/* Writes "203.0.113.2" or "2001:db8::2" into buf (>= 46 bytes). */
char *dm_addr_to_str(const dm_addr *a, char *buf, gsize len);
/* "203.0.113.2:53" or "[2001:db8::2]:53"; g_free. */
char *dm_endpoint_to_str(const dm_addr *a, guint16 port);
/* "rejected: ICMP port unreachable from 203.0.113.2 (the server itself): ..." */
char *dm_icmp_cause(const dm_txn *t, const dm_icmp_ref *ic);      /* g_free */

G_END_DECLS

#endif
