/* tracker_int.h — what the tracker's files share (not for other layers).
 *
 * The tracker is one object in five files, cut along its seams:
 *   tracker.c        state, indexes, interning, items, time and settling,
 *                    the end of the capture, outcomes
 *   tracker_dns.c    DNS queries and responses (UDP and TCP)
 *   tracker_tcp.c    TCP connections: SYNs, resets, connection attempts
 *   tracker_icmp.c   ICMP errors: orient the quote, match it, record it
 *   tracker_forget.c forgetting what is done (a single pass nothing revisits)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_TRACKER_INT_H
#define DNSMON_TRACKER_INT_H

#include <string.h>

#include "dnsmon_fifo.h"
#include "dnsmon_hash.h"
#include "dnsmon_heap.h"
#include "dnsmon_tracker.h"


/* Which fields of a transaction key an index. */
typedef enum {
    IX_QUESTION,    /* transport, client, cport, server, sport, id, question */
    IX_KEY,         /* transport, client, cport, server, sport, id */
    IX_FLOW,        /* transport, client, cport, server, sport */
    IX_CLIENT_ID,   /* transport, client, cport, id (NAT, wrong source) */
    IX_TRUNCATED,   /* client, server (truncated UDP answers) */
    IX_CONN,        /* TCP connections: client, cport, server, sport */
    IX_COUNT
} ix_kind;

/* A probe for any index: the fields that kind uses are compared. */
typedef struct {
    guint32 client, server, folded;
    guint16 cport, sport, id, qtype, qclass;
    guint8 transport;
} probe;

typedef struct {
    dm_tracker *tr;
    ix_kind kind;
} ix_ctx;

typedef enum { CONN_SYN_SENT, CONN_ESTABLISHED, CONN_CLOSED, CONN_FREE } conn_state;

typedef struct {
    guint32 client, server;
    guint16 cport, sport;
    guint32 txn;                /* its connection-attempt transaction, 0 if none (yet) */
    GArray *syn_items;          /* guint32 item ids */
    GArray *txns;               /* guint32: DNS transactions it carried */
    dm_time first_syn, last_syn;
    dm_time last_seen;          /* its latest packet (encrypted: the handshake's time-out) */
    guint32 touched;            /* the clock at its latest packet (dm_tracker_clock) */
    guint8 state;
    guint8 transport;           /* tcp, dot or doq (dm_transport) */
    /* Encrypted DNS read without keys (docs/design.md, "Encrypted DNS"). */
    guint8 s_hello, tls13, c_encrypted, s_app;
    guint8 alert, alert_level, alert_desc;
} dm_conn;

/* What a dm_timer of tr->timers is about. */
typedef enum { TIMER_TXN, TIMER_CONN } timer_kind;

typedef struct {
    dm_observer fn;
    void *user;
} observer;

struct dm_tracker {
    dm_config cfg;
    dm_time timeout, window, slow, lookup_window, ws_retransmit_timer;
    /* Records by id; the oldest may be forgotten (tracker_forget.c). */
    dm_fifo txns;               /* dm_txn; id = its number */
    dm_fifo exts;               /* dm_txn_ext */
    dm_fifo items;              /* dm_item */
    GArray *far_refs;           /* far_ref, by item: references of DM_REF_FAR and more */
    dm_fifo icmps;              /* dm_icmp */
    dm_fifo notes;              /* dm_note */
    GArray *conns;              /* dm_conn, id = index + 1; a forgotten one's slot is reused */
    GArray *free_conns;         /* guint32: ids of free slots */
    dm_intern *names;
    GArray *folded;             /* guint32 per name id: its case-folded name id */
    dm_intern *addrs;
    dm_gindex ix[IX_COUNT];     /* generational: what is past the horizon drops out */
    ix_ctx ixc[IX_COUNT];
    dm_time origin;             /* the first packet time: the clock's zero */
    guint32 clock;              /* dm_tracker_clock */
    guint32 horizon;            /* s */
    dm_time horizon_ns;         /* the same, for the longest a transaction takes attempts */
    guint32 rotate_at;          /* the clock value at which the indexes rotate next */
    dm_heap timers;             /* time-outs of transactions and connections */
    dm_fifo settled;            /* guint32 txn ids, settle order */
    dm_fifo learned;            /* guint32: a txn, a count, then that many name ids */
    GArray *frame_clock;        /* frame_mark: the first frame of each clock value */
    guint32 purge_until;        /* what the index purges of dm_tracker_forget keep */
    guint32 names_swept, addrs_swept;   /* interned values live after the last sweep */
    GArray *observers;
    guint32 other_port_dot;     /* DoT connections on another port than 853 (by ALPN) */
    guint32 frame, frame_first_item;    /* frame_first_item: the first item id of it */
    gboolean have_frame;
    dm_time end;
    gboolean have_end, finished;
};

/* A frame and the clock value it came at (tracker_forget.c). */
typedef struct {
    guint32 clock, frame;
} frame_mark;

#define TXN(tr, id) DM_FIFO_AT(&(tr)->txns, dm_txn, id)
#define ITEM(tr, id) DM_FIFO_AT(&(tr)->items, dm_item, id)

/* An item's reference that does not fit in it (dm_item_ref). */
typedef struct {
    guint32 item, ref;
} far_ref;
#define ICMP(tr, id) DM_FIFO_AT(&(tr)->icmps, dm_icmp, id)
#define CONN(tr, id) (&g_array_index((tr)->conns, dm_conn, (id) - 1))

/* tracker.c */
guint32 tk_txn_id(const dm_tracker *tr, const dm_txn *t);
dm_txn_ext *tk_ext(dm_tracker *tr, dm_txn *t);
guint32 tk_ix_find(const dm_tracker *tr, ix_kind kind, const probe *p);
void tk_ix_put(dm_tracker *tr, ix_kind kind, guint32 id);
void tk_notify(dm_tracker *tr, dm_event ev, guint32 txn, dm_time ts);
void tk_touch_conn(dm_tracker *tr, guint32 cid);
guint32 tk_addr_id(dm_tracker *tr, const dm_addr *a);
guint32 tk_addr_find(const dm_tracker *tr, const dm_addr *a);     /* 0: never seen */
guint32 tk_name_id(dm_tracker *tr, const char *name);
guint32 tk_name_find_folded(const dm_tracker *tr, const char *name);
void tk_settle(dm_tracker *tr, dm_txn *t);
void tk_changed(dm_tracker *tr, dm_txn *t);
void tk_items_drop(dm_tracker *tr, guint32 upto);
guint32 tk_item_add(dm_tracker *tr, guint32 frame, dm_role role, guint32 txn, guint flags,
                    guint32 ref);
guint32 tk_note_add(dm_tracker *tr, const dm_flow *f, guint32 name, guint16 qtype, guint8 rcode);
/* Writing what dm_txn_*() read (a value that does not fit goes to ext). */
void tk_set_first(dm_tracker *tr, dm_txn *t, guint32 item, dm_time ts);
void tk_set_last_ts(dm_tracker *tr, dm_txn *t, dm_time ts);
void tk_set_last_item(dm_tracker *tr, dm_txn *t, guint32 item);
void tk_set_answer_ts(dm_tracker *tr, dm_txn *t, dm_time ts);
void tk_set_answer_item(dm_tracker *tr, dm_txn *t, guint32 item);
void tk_set_attempts(dm_tracker *tr, dm_txn *t, guint32 n);
void tk_set_qclass(dm_tracker *tr, dm_txn *t, guint16 qclass);
guint32 tk_txn_new(dm_tracker *tr, const probe *p, guint32 name, dm_time ts, guint flags);
void tk_txn_index_dns(dm_tracker *tr, guint32 id);
gboolean tk_same_question(const dm_tracker *tr, const dm_txn *t, guint32 folded, guint16 type,
                          guint16 klass);
guint32 tk_truncated_for(const dm_tracker *tr, guint32 client, guint32 server, dm_time ts);
void tk_link_fallback(dm_tracker *tr, guint32 udp, guint32 tcp);
dm_txn *tk_attempt(dm_tracker *tr, guint32 id, guint32 item, dm_time ts);

/* The handlers of tracker_events.c's events (the clock already moved). */
void tk_dns_query(dm_tracker *tr, const dm_dns_msg *m);          /* tracker_dns.c */
void tk_dns_response(dm_tracker *tr, const dm_dns_msg *m);       /* tracker_dns.c */
void tk_tcp_segment(dm_tracker *tr, const dm_tcp_seg *s);        /* tracker_tcp.c */
gboolean tk_icmp_error(dm_tracker *tr, const dm_icmp_msg *m);    /* tracker_icmp.c */

/* Held and within the horizon: events may still reach it. */
gboolean tk_txn_live(const dm_tracker *tr, guint32 id);

/* tracker.c: the clock in seconds moved (every horizon, the indexes rotate) */
void tk_tick(dm_tracker *tr);
/* tracker.c: drops, in every index, the records `keep` refuses. */
void tk_ix_purge(dm_tracker *tr, ix_kind kind, dm_index_live_fn keep);
/* tracker_forget.c: notes the first frame of a new clock value. */
void tk_mark_frame(dm_tracker *tr);

/* tracker_tcp.c */
guint32 tk_conn_find(const dm_tracker *tr, dm_transport wire, guint32 client, guint16 cport,
                     guint32 server, guint16 sport);
guint32 tk_conn_txn(dm_tracker *tr, guint32 cid, guint32 udp);
void tk_conn_expire(dm_tracker *tr, guint32 cid);
void tk_conn_add_txn(dm_tracker *tr, guint32 cid, guint32 txn);
/* At the end of the capture: connection attempts still waiting for an
 * answer become transactions (incomplete, or unanswered once timed out). */
void tk_conn_flush(dm_tracker *tr);

#endif
