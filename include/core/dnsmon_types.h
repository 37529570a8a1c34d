/* dnsmon_types.h — the values every layer of the engine shares: time,
 * addresses, flows, questions, and the enumerations users see by name
 * (their words are in dnsmon_names.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TYPES_H
#define DNSMON_TYPES_H

#include <glib.h>

G_BEGIN_DECLS

/* ---- time --------------------------------------------------------------
 * Nanoseconds since the epoch (packet time, never wall clock). Packet times
 * are the attacker's to choose: every sum and difference saturates. */
typedef gint64 dm_time;
#define DM_NS_PER_SEC G_GINT64_CONSTANT(1000000000)

/* Seconds and nanoseconds, saturating far outside 1678..2262. */
static inline dm_time
dm_time_from(gint64 secs, gint32 nsecs)
{
    const gint64 max_secs = G_MAXINT64 / DM_NS_PER_SEC - 1;
    if (secs > max_secs)
        return G_MAXINT64;
    if (secs < -max_secs)
        return G_MININT64;
    return secs * DM_NS_PER_SEC + nsecs;
}

/* A preference in seconds as a duration: 0 for none, at most 10^9 s. */
static inline dm_time
dm_time_secs(double s)
{
    if (!(s > 0))
        return 0;
    if (s > 1e9)
        s = 1e9;
    return (dm_time)(s * (double)DM_NS_PER_SEC + 0.5);
}

static inline dm_time
dm_time_add(dm_time a, dm_time b)
{
    dm_time d;
    if (__builtin_add_overflow(a, b, &d))
        return b > 0 ? G_MAXINT64 : G_MININT64;
    return d;
}

/* a - b */
static inline dm_time
dm_time_diff(dm_time a, dm_time b)
{
    dm_time d;
    if (__builtin_sub_overflow(a, b, &d))
        return a > b ? G_MAXINT64 : G_MININT64;
    return d;
}

/* ---- addresses and flows ----------------------------------------------- */

typedef struct {
    guint8 family;              /* 4, 6, or 0 when unknown */
    guint8 bytes[16];           /* network order; IPv4 uses the first 4 */
} dm_addr;

/* How a DNS message travelled. The key of a transaction uses the wire
 * protocol (UDP or TCP: what an ICMP error quotes); DNS over TLS, HTTPS and
 * QUIC are a transaction's transport as users see it (docs/design.md,
 * "Encrypted DNS"). */
typedef enum {
    DM_UDP = 0,
    DM_TCP = 1,
    DM_DOT = 2,                 /* DNS over TLS (TCP 853) */
    DM_DOH = 3,                 /* DNS over HTTPS (HTTP/2) */
    DM_DOQ = 4,                 /* DNS over QUIC (UDP 853) */
    DM_TRANSPORT_COUNT
} dm_transport;

/* The wire protocol under a transport. */
static inline dm_transport
dm_wire(dm_transport t)
{
    return t == DM_UDP || t == DM_DOQ ? DM_UDP : DM_TCP;
}

/* Always oriented client -> server, whatever the direction of the packet. */
typedef struct {
    dm_transport transport;
    dm_addr client;
    dm_addr server;
    guint16 client_port;
    guint16 server_port;
} dm_flow;

typedef struct {
    const char *name;           /* presentation form ("www.example.com"), NULL if none */
    guint16 type;
    guint16 klass;
} dm_question;

/* ---- what users see by name (docs/design.md, "Outcomes") ---------------- */

typedef enum {
    DM_OUTCOME_PENDING = 0,
    DM_OUTCOME_ANSWERED,
    DM_OUTCOME_NODATA,
    DM_OUTCOME_TRUNCATED,
    DM_OUTCOME_NXDOMAIN,
    DM_OUTCOME_SERVFAIL,
    DM_OUTCOME_REFUSED,
    DM_OUTCOME_ERROR,
    DM_OUTCOME_REJECTED,
    DM_OUTCOME_WRONG_SOURCE,
    DM_OUTCOME_INCOMPLETE,
    DM_OUTCOME_UNANSWERED,
    /* Later additions keep the numbers above (the log's consumers store them). */
    DM_OUTCOME_REFERRAL,        /* a delegation: a resolver's normal step */
    DM_OUTCOME_LAME,            /* not authoritative for what it was delegated */
    DM_OUTCOME_ENCRYPTED,       /* encrypted DNS that worked, unread (no keys) */
    DM_OUTCOME_TLS_FAILED,      /* encrypted DNS whose handshake failed */
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

/* Who sent an ICMP error, seen from the transaction it is about. */
typedef enum {
    DM_REPORTER_ROUTER = 0,     /* a router or firewall on the path */
    DM_REPORTER_SERVER,         /* the server's own host */
    DM_REPORTER_CLIENT,         /* the client itself (a response bounced) */
    DM_REPORTER_COUNT
} dm_reporter;

/* Outcomes of a lookup (docs/design.md, "Lookups"). */
typedef enum {
    DM_LOOKUP_PENDING = 0,
    DM_LOOKUP_RESOLVED,         /* its first transaction gave the definitive answer */
    DM_LOOKUP_RECOVERED,        /* a later one did, after failed or truncated ones */
    DM_LOOKUP_FAILED,           /* every transaction decided, none definitive */
    DM_LOOKUP_INCOMPLETE,       /* none definitive, one still incomplete */
    DM_LOOKUP_COUNT
} dm_lookup_outcome;

/* Why a resolver's transaction failed (docs/design.md, "Resolvers"). */
typedef enum {
    DM_UPSTREAM_NONE = 0,       /* not a failed transaction of a resolver seen asking upstream */
    DM_UPSTREAM_FAILED,         /* everything it asked below failed */
    DM_UPSTREAM_ANSWERED,       /* something below answered: the resolver failed by itself */
    DM_UPSTREAM_NONE_SEEN,      /* it asks upstream, but nothing related then: its cache */
    DM_UPSTREAM_COUNT
} dm_upstream_cause;

G_END_DECLS

#endif
