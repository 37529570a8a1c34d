/* dnsmon_hash.h — keyed hashing and the lookup structures built on it.
 *
 * Attackers choose the keys dnsmon hashes (addresses, ports, IDs, names), so
 * every hash is keyed with a per-process random key: a strongly universal
 * hash (vector multiply-shift) for the indexes, SipHash-2-4 for long inputs
 * and for hashes that stand for their input. No input can be chosen to
 * collide. On that, two structures:
 *
 *   dm_index  — an open-addressing table of record ids (guint32, 1-based)
 *               whose keys live in the records themselves: 4 bytes a slot,
 *               the caller compares and rehashes through callbacks.
 *   dm_intern — interned strings and addresses: equal inputs get one id.
 *
 * Plain C with GLib, no epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_HASH_H
#define DNSMON_HASH_H

#include <glib.h>

G_BEGIN_DECLS

/* The keyed hash of data under the process's random key, for indexes: 32
 * bits (two distinct inputs agree in the low k of them with probability
 * 2^-k over the key), in a guint64 for dm_index. */
guint64 dm_hash(const void *data, gsize len);
/* SipHash-2-4 under the process's random key: 64 bits, for a hash that
 * stands for its input (two inputs are taken as equal when it is). */
guint64 dm_hash64(const void *data, gsize len);
/* The same under an explicit 128-bit key (for the reference test vectors). */
guint64 dm_siphash24(const guint8 key[16], const void *data, gsize len);

/* ---- dm_index ---------------------------------------------------------- */

/* Hash of record id's key, and whether record id's key equals the probe. */
typedef guint64 (*dm_index_hash_fn)(const void *ctx, guint32 id);
typedef gboolean (*dm_index_match_fn)(const void *ctx, guint32 id, const void *probe);

typedef struct {
    guint32 *slots;             /* record ids, 0 = empty */
    guint32 mask;               /* capacity - 1 (a power of two), or 0 */
    guint32 used;
    dm_index_hash_fn hash;
    const void *ctx;            /* passed to hash and match */
} dm_index;

void dm_index_init(dm_index *ix, dm_index_hash_fn hash, const void *ctx);
void dm_index_clear(dm_index *ix);
/* The id whose key equals probe (of hash h), or 0. */
guint32 dm_index_find(const dm_index *ix, guint64 h, dm_index_match_fn match, const void *probe);
/* Sets the entry of probe's key to id, replacing an older one; returns the
 * id it replaced, or 0. */
guint32 dm_index_put(dm_index *ix, guint64 h, dm_index_match_fn match, const void *probe,
                     guint32 id);
gsize dm_index_bytes(const dm_index *ix);

/* ---- dm_gindex --------------------------------------------------------- */

/* An index whose entries expire: two generations of dm_index. Entries go
 * into the young one and are looked for in the young one first (it holds
 * the newer entry of a key). dm_gindex_rotate drops the old generation after
 * moving into the young one every entry its owner still wants (live) whose
 * key the young one does not hold, and the young one becomes the old one:
 * an index holds what was put or live since the rotation before last, not
 * everything ever put (docs/design.md, "Memory"). */
typedef gboolean (*dm_index_live_fn)(const void *ctx, guint32 id);
/* Whether records a and b have the same key. */
typedef gboolean (*dm_index_same_fn)(const void *ctx, guint32 a, guint32 b);

typedef struct {
    dm_index young, old;
} dm_gindex;

void dm_gindex_init(dm_gindex *g, dm_index_hash_fn hash, const void *ctx);
void dm_gindex_clear(dm_gindex *g);
guint32 dm_gindex_find(const dm_gindex *g, guint64 h, dm_index_match_fn match, const void *probe);
/* Into the young generation (replacing its entry of probe's key, if any). */
void dm_gindex_put(dm_gindex *g, guint64 h, dm_index_match_fn match, const void *probe,
                   guint32 id);
void dm_gindex_rotate(dm_gindex *g, dm_index_live_fn live, dm_index_same_fn same);
/* Drops every entry `keep` refuses, at once (records about to be forgotten:
 * keep must not read them). */
void dm_gindex_purge(dm_gindex *g, dm_index_live_fn keep);
gsize dm_gindex_bytes(const dm_gindex *g);
guint32 dm_gindex_count(const dm_gindex *g);

/* ---- dm_intern --------------------------------------------------------- */

typedef struct dm_intern dm_intern;

dm_intern *dm_intern_new(void);
void dm_intern_free(dm_intern *in);
/* Id (1, 2, …) of the bytes [data, data+len); equal bytes, equal id. */
guint32 dm_intern_bytes(dm_intern *in, const void *data, gsize len);
/* Id of an already interned value, or 0. */
guint32 dm_intern_find(const dm_intern *in, const void *data, gsize len);
/* The interned bytes of id (NUL-terminated after len), and their length. */
const char *dm_intern_get(const dm_intern *in, guint32 id, gsize *len);
/* The highest id given (ids 1 .. this; some may be free after a sweep). */
guint32 dm_intern_count(const dm_intern *in);
/* How many ids hold a value. */
guint32 dm_intern_live(const dm_intern *in);
gsize dm_intern_bytes_used(const dm_intern *in);
/* Frees every id whose keep[id - 1] is 0: its value is gone, and the id is
 * given to a later new value. The values kept move: pointers from
 * dm_intern_get before a sweep are stale after it. */
void dm_intern_sweep(dm_intern *in, const guint8 *keep);

G_END_DECLS

#endif
