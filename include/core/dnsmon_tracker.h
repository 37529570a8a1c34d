/* dnsmon_tracker.h — DNS transaction tracker: plain C with GLib, no epan.
 *
 * The tracker is fed events in capture order — the start of every frame of
 * the first pass, DNS queries and responses, ICMP/ICMPv6 errors with what
 * their quote held, TCP segments to or from port 53 — and keeps every DNS
 * transaction (docs/design.md, "Transactions", "Outcome of a transaction"). It
 * answers, per frame, what dnsmon has to say about it (its items), and per
 * transaction, its outcome. Lookups (what the user felt) are a layer above,
 * in dnsmon_lookups.h, fed through the observer below.
 *
 * Memory is flat: transactions, frame items and ICMP errors live in arrays
 * and refer to each other by 1-based ids (0 = none); addresses and names are
 * interned; every lookup structure hashes under a random per-process key
 * (dnsmon_hash.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TRACKER_H
#define DNSMON_TRACKER_H

#include "dnsmon_names.h"
#include "dnsmon_types.h"

G_BEGIN_DECLS

typedef enum {
    DM_ROLE_QUERY = 1,          /* a DNS query, or a SYN of a connection attempt */
    DM_ROLE_RESPONSE,
    DM_ROLE_ICMP,
    DM_ROLE_RESET               /* a TCP reset of a transaction's connection */
} dm_role;

/* Flags of one frame item. */
enum {
    DM_F_RETRANSMISSION = 1u << 0,  /* query: attempt >= 2 */
    DM_F_DUPLICATE      = 1u << 1,  /* response: not the first one */
    DM_F_MISMATCH       = 1u << 2,  /* response: question differs */
    DM_F_UNSOLICITED    = 1u << 3,  /* response: no transaction */
    DM_F_WRONG_SOURCE   = 1u << 4,  /* response: from another address or port */
    DM_F_BOUNCED        = 1u << 5,  /* ICMP: quotes a response */
    DM_F_UNMATCHED      = 1u << 6,  /* ICMP: quotes a DNS flow never seen */
    DM_F_TRUNCATED      = 1u << 7,  /* response: TC bit set */
    DM_F_NO_QUESTION    = 1u << 8,  /* query without a (valid) question */
    DM_F_SHORT_QUOTE    = 1u << 9,  /* ICMP: quote lacks the DNS header */
    DM_F_VIA_NAT        = 1u << 10, /* ICMP: quotes the query as a NAT forwarded it */
    DM_F_SYN            = 1u << 11, /* query role: a TCP SYN, not a DNS message */
    DM_F_MORE           = 1u << 12, /* response: a further message of a zone transfer */
    DM_F_WS_SAID        = 1u << 13, /* Wireshark's DNS dissector already says it repeats */
    DM_F_SEAL           = 1u << 14, /* response role: the packet that decided an encrypted
                                       connection read without keys (alert, close, data) */
    DM_F_GHOST          = 1u << 15  /* dropped by a read filter: never shown or linked */
};

/* Flags of a transaction. */
enum {
    DM_T_ANSWERED     = 1u << 0,    /* a deciding DNS response exists */
    DM_T_RECORDS      = 1u << 1,    /* ... with answer records */
    DM_T_TC           = 1u << 2,    /* ... with TC=1 */
    DM_T_ICMP_QUERY   = 1u << 3,    /* an ICMP error quotes one of its queries */
    DM_T_RESET        = 1u << 4,    /* its connection was reset by the server */
    DM_T_WRONG_SOURCE = 1u << 5,    /* a response came from another address */
    DM_T_NO_QUESTION  = 1u << 6,
    DM_T_CONNECTION   = 1u << 7,    /* a TCP connection attempt (no DNS ID yet) */
    DM_T_SLOW         = 1u << 8,
    DM_T_LATE         = 1u << 9,
    DM_T_SETTLED      = 1u << 10,   /* its outcome can only change by a late response */
    DM_T_MULTI        = 1u << 11,   /* AXFR/IXFR: several response messages */
    DM_T_EDE          = 1u << 12,   /* the deciding response carries an EDE */
    DM_T_BOUNCED      = 1u << 13,   /* an ICMP error quotes one of its responses */
    DM_T_CUT          = 1u << 14,   /* settled incomplete by dm_tracker_finish */
    DM_T_QCLASS       = 1u << 15    /* its question's class is not IN (1; 0 without one): in ext */
};

/* What a transaction's messages said beyond the RCODE (dm_txn.dns). */
enum {
    DM_D_RD           = 1u << 0,    /* its first query asked for recursion */
    DM_D_AA           = 1u << 1,    /* the deciding response is authoritative */
    DM_D_NS           = 1u << 2,    /* ... and has NS records in its authority section */
    DM_D_LEARNED      = 1u << 3,    /* ... and taught names (CNAME targets, nameservers) */
    DM_D_CNAME        = 1u << 4,    /* ... whose answers are CNAMEs only: a step to their target */
    /* An encrypted connection read without its keys: */
    DM_D_ENCRYPTED    = 1u << 5,    /* the server sent application data */
    DM_D_TLS_FAILED   = 1u << 6     /* an alert, or closed before the server's data */
};

/* Names a response teaches (CNAME targets, a referral's nameservers) that
 * the tracker keeps per transaction. */
#define DM_LEARNED_MAX 8

/* One DNS message as the glue read it. */
typedef struct {
    guint32 frame;
    dm_time ts;
    dm_flow flow;               /* oriented client -> server */
    guint16 id;
    dm_question q;
    gboolean bad_question;      /* qdcount > 0 but the question did not parse */
    guint8 opcode;
    guint8 rcode;               /* responses */
    guint16 ancount;            /* responses */
    gboolean tc;                /* responses: truncated */
    gboolean has_ede;           /* responses: Extended DNS Error (RFC 8914) */
    guint16 ede_code;
    const char *ede_text;       /* may be NULL */
    gboolean rd;                /* queries: recursion desired */
    gboolean aa;                /* responses: authoritative answer */
    gboolean ns_in_authority;   /* responses: NS records in the authority section */
    gboolean cname_only;        /* responses: every answer record is a CNAME */
    guint n_learned;            /* responses: CNAME targets and nameserver names */
    const char *learned[DM_LEARNED_MAX];
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
    gboolean tcp_syn;           /* the quote is a TCP segment with SYN set */
    gboolean has_id;            /* the quote holds the DNS header */
    guint16 id;
    gboolean qr;                /* with has_id: 1 = it quotes a response */
    dm_question q;              /* when the quote holds it */
} dm_icmp_msg;

/* A packet of a connection: TCP to or from port 53 (flow.transport tcp),
 * DNS over TLS on TCP 853 (dot) or DNS over QUIC on UDP 853 (doq). The
 * server is the side on the DNS port. For QUIC, syn is a client Initial
 * packet and ack any packet from the server. What an encrypted connection
 * shows in the clear (docs/design.md, "Encrypted DNS"): */
typedef struct {
    guint32 frame;
    dm_time ts;
    dm_flow flow;               /* oriented client -> server */
    gboolean from_client;
    gboolean syn, ack, rst, fin;
    gboolean hello;             /* a ClientHello (client) or ServerHello (server) */
    gboolean tls13;             /* the ServerHello chose TLS 1.3 */
    gboolean alert;             /* a TLS alert in the clear */
    guint8 alert_level, alert_desc;
    guint8 encrypted;           /* encrypted records (TLS 23) or 1-RTT QUIC packets in it */
    gboolean opens;             /* a ClientHello offering ALPN "dot" on another port than 853:
                                   it opens a DNS-over-TLS connection attempt */
} dm_tcp_seg;

/* One thing dnsmon says about a frame; a frame may hold several (pipelined
 * DNS over TCP). Items of a frame are contiguous. 12 bytes: its reference
 * (read it with dm_item_ref) is inline when small, as attempt numbers are,
 * and kept beside the items when not (ICMP and note ids). */
typedef struct {
    guint32 frame;
    guint32 txn;                /* 0 for orphans (unsolicited, unmatched) */
    guint16 flags;              /* DM_F_* */
    guint8 role;                /* dm_role */
    guint8 ref8;                /* the reference below DM_REF_FAR; DM_REF_FAR: kept apart */
} dm_item;

#define DM_REF_FAR 255

typedef struct {
    guint32 frame;              /* the ICMP error's own frame */
    guint32 item;               /* its item */
    guint32 txn;                /* 0 when unmatched */
    guint32 next;               /* next ICMP id of the same transaction, 0 = last */
    guint32 quoted;             /* item it quotes (query attempt, SYN or response), 0 if not in the capture */
    guint32 note;               /* unmatched: what the quote said */
    guint32 reporter;           /* interned address */
    guint32 nat_server;         /* interned address of the quote's server when a NAT rewrote it, 0 if not */
    dm_time ts;
    guint8 version, type, code;
    guint8 kind;                /* dm_icmp_kind */
    guint8 who;                 /* dm_reporter */
    guint8 quotes_response;
} dm_icmp;

/* A transaction: 56 bytes (docs/design.md, "Memory"). What does not fit
 * (times before its first attempt or 4.29 s or more after it, items before
 * its first or 65,535 or more after it, 3 attempts or more, a class other
 * than IN) is in its side record: read those through dm_txn_last_ts(),
 * dm_txn_answer_ts(), dm_txn_last_item(), dm_txn_answer_item(),
 * dm_txn_attempts() and dm_txn_qclass(). */
typedef struct {
    dm_time first_ts;           /* first attempt */
    guint32 last_dt;            /* latest attempt: ns after first_ts (DM_DT_EXT: in ext) */
    guint32 answer_dt;          /* the deciding response, when DM_T_ANSWERED: likewise */
    guint32 client, server;     /* interned addresses */
    guint32 name;               /* interned question name, 0 = none */
    guint32 first_item;         /* first attempt */
    guint32 ext;                /* rarely needed data, 0 = none */
    guint32 touched;            /* the tracker's clock at its latest event (dm_tracker_clock) */
    guint16 client_port, server_port;
    guint16 id, qtype;
    guint16 flags;              /* DM_T_* */
    guint16 last_d;             /* latest attempt's item after first_item (DM_D16_EXT: in ext) */
    guint16 answer_d;           /* deciding response's item after first_item, 0 none (likewise) */
    guint16 rcode : 4;          /* of the deciding response (the header's) */
    guint16 transport : 3;      /* dm_transport */
    guint16 attempts2 : 2;      /* attempts, 0-2 (DM_ATTEMPTS_EXT: in ext) */
    guint16 dns : 7;            /* DM_D_* */
} dm_txn;

#define DM_DT_EXT G_MAXUINT32
#define DM_D16_EXT G_MAXUINT16
#define DM_ATTEMPTS_EXT 3

/* What only some transactions need. */
typedef struct {
    guint32 wrong_item;         /* first response from the wrong address */
    guint32 wrong_from;         /* interned address it came from */
    guint16 wrong_port;
    guint16 ede_code;
    guint32 reset_item;         /* the TCP reset */
    guint32 fallback_of;        /* TCP txn: the truncated UDP txn it retries */
    guint32 fallback_in;        /* truncated UDP txn: its TCP retry */
    guint32 syns;               /* SYNs of its TCP connection attempt */
    guint32 mismatches;         /* responses with another question */
    guint32 last_resp;          /* latest response item, when not the deciding one */
    guint32 first_icmp, last_icmp;  /* its ICMP errors, a list through dm_icmp.next */
    guint32 query_icmp;         /* the first one quoting a query */
    guint32 learned;            /* names the deciding response taught: see dm_txn_learned */
    guint32 attempts;           /* what does not fit its transaction (dm_txn) */
    dm_time closed;             /* an encrypted connection: when its fate was sealed */
    guint8 alert_level, alert_desc;     /* its TLS alert, when DM_D_TLS_FAILED by one */
    guint16 qclass;             /* what does not fit its transaction */
    guint32 txn;                /* whose it is */
    dm_time last_ts, answer_ts; /* what does not fit its transaction */
    guint32 last_item, answer_item;
    char *ede_text;
} dm_txn_ext;

/* A response or ICMP error that needs more than its item says. */
typedef struct {
    dm_flow flow;               /* orphans: what the packet said */
    guint32 name;               /* its question (mismatches, orphans) */
    guint16 qtype;
    guint8 rcode;
    guint8 pad;
} dm_note;

typedef struct {
    double timeout;             /* s: no answer this long after the last attempt is unanswered */
    double retransmit_window;   /* s: a repeat within this long is an attempt */
    double slow_threshold;      /* s: a response slower than this is slow */
    double lookup_window;       /* s: TC fallback window (and the lookups layer's) */
    double wireshark_retransmit_timer;  /* s: Wireshark's DNS dissector flags repeats itself
                                           within this long of the first query (0: never) */
} dm_config;

typedef struct dm_tracker dm_tracker;

dm_tracker *dm_tracker_new(const dm_config *cfg);
void dm_tracker_free(dm_tracker *tr);
const dm_config *dm_tracker_config(const dm_tracker *tr);

/* ---- events, in capture order ------------------------------------------ */

/* Every frame of the first pass, before its messages. A frame number fed
 * again (a read filter dropped the frame that had it) turns the earlier
 * frame's items into ghosts. */
void dm_tracker_begin_frame(dm_tracker *tr, guint32 frame, dm_time ts);
void dm_tracker_query(dm_tracker *tr, const dm_dns_msg *m);
void dm_tracker_response(dm_tracker *tr, const dm_dns_msg *m);
/* Returns FALSE when the ICMP error is not about DNS (nothing recorded). */
gboolean dm_tracker_icmp(dm_tracker *tr, const dm_icmp_msg *m);
/* DNS over TLS on another port than 853, opened by a ClientHello offering
 * ALPN "dot" (dm_tcp_seg.opens): whether any is followed, and which side
 * of a TCP segment between a:aport and b:bport is the client of one (1: a,
 * 2: b, 0: none). */
gboolean dm_tracker_other_port_dot(const dm_tracker *tr);
int dm_tracker_dot_side(const dm_tracker *tr, const dm_addr *a, guint16 aport, const dm_addr *b,
                        guint16 bport);
void dm_tracker_tcp(dm_tracker *tr, const dm_tcp_seg *s);
/* The first pass is over: the end of the capture is known, connection
 * attempts still waiting become transactions, every outcome is final.
 * Idempotent; a later event reopens. Only the engine's owner calls it
 * (docs/design.md, "One owner"). */
void dm_tracker_finish(dm_tracker *tr);
gboolean dm_tracker_finished(const dm_tracker *tr);

/* Lifecycle of transactions, for layers above (lookups). */
typedef enum {
    DM_EV_NEW,                  /* a transaction was created */
    DM_EV_ACTIVITY,             /* an attempt, response, ICMP error or reset of it, at ts */
    DM_EV_DECIDED,              /* its deciding response came */
    DM_EV_SETTLED,              /* it settled (or a settled one changed outcome) */
    DM_EV_TIME,                 /* the end of capture moved to ts (txn 0) */
    DM_EV_FINISH                /* dm_tracker_finish (txn 0) */
} dm_event;
typedef void (*dm_observer)(void *user, dm_event ev, guint32 txn, dm_time ts);
void dm_tracker_observe(dm_tracker *tr, dm_observer fn, void *user);

/* ---- results ------------------------------------------------------------ */

/* Items of a frame (ghosts excluded): the count, and the first id. */
guint dm_tracker_frame_items(const dm_tracker *tr, guint32 frame, guint32 *first);
const dm_item *dm_tracker_item(const dm_tracker *tr, guint32 id);
/* An item's reference — query, SYN: its attempt number; ICMP: its icmp id;
 * response: a note id (mismatch, wrong source, unsolicited) or 0. it must
 * come from dm_tracker_item or dm_tracker_frame_items of tr. */
guint32 dm_item_ref(const dm_tracker *tr, const dm_item *it);
/* The frame of an item for a link, or 0 for a ghost or no item. */
guint32 dm_tracker_item_frame(const dm_tracker *tr, guint32 id);
/* Items are numbered 1 .. dm_tracker_item_count(); those below
 * dm_tracker_first_item() are forgotten. */
guint32 dm_tracker_item_count(const dm_tracker *tr);
guint32 dm_tracker_first_item(const dm_tracker *tr);

/* Transactions are numbered 1 .. dm_tracker_txn_count(); those below
 * dm_tracker_first() are forgotten (dm_tracker_txn gives NULL). */
guint32 dm_tracker_txn_count(const dm_tracker *tr);
guint32 dm_tracker_first(const dm_tracker *tr);
const dm_txn *dm_tracker_txn(const dm_tracker *tr, guint32 num);   /* 1-based */
const dm_txn_ext *dm_tracker_ext(const dm_tracker *tr, const dm_txn *t);  /* NULL if none */
const dm_icmp *dm_tracker_icmp_ref(const dm_tracker *tr, guint32 id);
const dm_note *dm_tracker_note(const dm_tracker *tr, guint32 id);

/* Interned values. */
const char *dm_tracker_name(const dm_tracker *tr, guint32 name);   /* NULL for 0 */
/* The case-folded id of a name: equal for names equal under RFC 4343. */
guint32 dm_tracker_name_folded(const dm_tracker *tr, guint32 name);
/* How many addresses are interned (ids are 1..this). */
guint32 dm_tracker_addr_count(const dm_tracker *tr);
const dm_addr *dm_tracker_addr(const dm_tracker *tr, guint32 addr);
/* The flow and question of a transaction as plain values. */
void dm_txn_flow(const dm_tracker *tr, const dm_txn *t, dm_flow *f);
dm_question dm_txn_question(const dm_tracker *tr, const dm_txn *t);

/* Latest packet time seen: the end of capture once the first pass is over. */
dm_time dm_tracker_end_time(const dm_tracker *tr);
/* The capture's clock: whole seconds from its first packet to the latest
 * packet time seen (time going backwards does not turn it back). */
guint32 dm_tracker_clock(const dm_tracker *tr);
/* The horizon (docs/design.md, "Horizon"), in the clock's seconds: a
 * transaction is found by its keys (a response, a retransmission, an ICMP
 * error) only until its latest event is this old; then it is final. */
guint32 dm_tracker_horizon(const dm_tracker *tr);
/* Whether a transaction touched at clock value `touched` is past the horizon. */
gboolean dm_tracker_past_horizon(const dm_tracker *tr, guint32 touched);

/* Outcome as of the tracker's end time (final once finished). */
dm_outcome dm_txn_outcome(const dm_tracker *tr, const dm_txn *t);
/* What a frame shows while the first pass runs: a response decides at
 * once; everything else is pending until the capture ends. */
dm_outcome dm_txn_shown_outcome(const dm_tracker *tr, const dm_txn *t);
gboolean dm_txn_rtt(const dm_tracker *tr, const dm_txn *t, dm_time *rtt);
/* Its latest attempt (the latest in time), and its deciding response
 * (when DM_T_ANSWERED). */
dm_time dm_txn_last_ts(const dm_tracker *tr, const dm_txn *t);
dm_time dm_txn_answer_ts(const dm_tracker *tr, const dm_txn *t);
/* The items of its latest attempt and of its deciding response (0: none). */
guint32 dm_txn_last_item(const dm_tracker *tr, const dm_txn *t);
guint32 dm_txn_answer_item(const dm_tracker *tr, const dm_txn *t);
guint32 dm_txn_attempts(const dm_tracker *tr, const dm_txn *t);
guint16 dm_txn_qclass(const dm_tracker *tr, const dm_txn *t);
/* Its latest response item (what a bounced ICMP error quotes), or 0. */
guint32 dm_txn_last_response(const dm_tracker *tr, const dm_txn *t);
/* First ICMP error quoting one of its queries, or NULL. */
const dm_icmp *dm_txn_icmp_on_query(const dm_tracker *tr, const dm_txn *t);
/* The names its deciding response taught (CNAME targets, then a referral's
 * nameservers): *names points at n interned name ids. */
guint dm_txn_learned(const dm_tracker *tr, const dm_txn *t, const guint32 **names);
/* The latest frame that is part of it (attempt, response, ICMP error,
 * reset), 0 if none is left (read filter). */
guint32 dm_txn_last_frame(const dm_tracker *tr, const dm_txn *t);

/* Settle log: transactions in the order they settled; a settled one is
 * appended again whenever something that may change its outcome happens to
 * it (listeners compare). Listeners keep a cursor. */
guint32 dm_tracker_settled(const dm_tracker *tr, const guint32 **log);
/* How many entries of the settle log were dropped before *log (its first
 * entry's position): listeners keep a cursor into the whole log. */
guint32 dm_tracker_settled_base(const dm_tracker *tr);

/* ---- forgetting (docs/design.md, "Memory") ------------------------------
 * In a single pass nothing revisits, the engine's owner forgets what is
 * done, oldest first, so memory stays flat however long the capture. */

/* Settled and past the horizon: nothing can change it any more. */
gboolean dm_tracker_txn_done(const dm_tracker *tr, guint32 num);
/* Forgets every transaction below `until` (each done, the layers above
 * told first), with their items, ICMP errors, notes, side records and the
 * names they learned; frames' items no transaction holds any more once
 * they are past the horizon; connections past the horizon; index entries;
 * the settle log (every listener took it). */
void dm_tracker_forget(dm_tracker *tr, guint32 until);

/* Memory the tracker holds, in bytes (for the benchmark). */
gsize dm_tracker_bytes(const dm_tracker *tr);
/* The same by part (DNSMON_MEMORY=2): fills at most max of them, returns
 * how many. count: records, where that means something (else 0). */
typedef struct {
    const char *what;
    gsize bytes;
    guint32 count;
} dm_memory_part;
#define DM_MEMORY_PARTS 16
guint dm_tracker_memory(const dm_tracker *tr, dm_memory_part *parts, guint max);

G_END_DECLS

#endif
