/* dnsmon_downgrade.h — clients that fall back to unencrypted DNS
 * (docs/design.md, "Encrypted DNS").
 *
 * When an encrypted attempt by a client fails (DNS over TLS, HTTPS or QUIC:
 * rejected, unanswered, incomplete, tls_failed — the encrypted transport
 * itself, not an error answer read with the keys) and the same client
 * sends plain DNS (port 53) from the attempt's first packet to
 * lookup_window after its end (both included), those plain transactions
 * are downgraded: a privacy finding nobody reports otherwise. Each is
 * linked to the earliest failed attempt whose window holds it. Decided
 * once the first pass is over
 * (an unanswered attempt is known to have failed only then), in one sort
 * and one pass. A layer above the tracker, fed through its observer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_DOWNGRADE_H
#define DNSMON_DOWNGRADE_H

#include "dnsmon_tracker.h"

G_BEGIN_DECLS

typedef struct dm_downgrades dm_downgrades;

dm_downgrades *dm_downgrades_new(dm_tracker *tr, double lookup_window);
void dm_downgrades_free(dm_downgrades *dg);
gboolean dm_downgrades_ready(const dm_downgrades *dg);
/* The failed encrypted transaction a plain one fell back from, or 0. */
guint32 dm_downgrade_of(const dm_downgrades *dg, guint32 txn);
/* When an encrypted transaction's fate was sealed (its reset, alert, close,
 * ICMP error, or its last attempt): lookup_window from there, its window
 * ends. */
dm_time dm_encrypted_end(const dm_tracker *tr, const dm_txn *t);

/* Forgetting (docs/design.md, "Memory"): decides over the transactions held
 * as if the pass ended now (for those about to be forgotten), and forgets
 * that (the tracker is about to forget). */
void dm_downgrades_decide_now(dm_downgrades *dg);
gsize dm_downgrades_bytes(const dm_downgrades *dg);
void dm_downgrades_forget(dm_downgrades *dg);

G_END_DECLS

#endif
