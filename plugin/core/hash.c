/* hash.c — the per-process keyed hash (universal, SipHash-2-4 for long
 * inputs), the id index and interning built on it. See dnsmon_hash.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "dnsmon_hash.h"

/* ---- SipHash-2-4 (Aumasson and Bernstein) ------------------------------ */

#define ROTL(x, b) (guint64)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
    do {                                                                       \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);              \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                 \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                 \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);              \
    } while (0)

static guint64
load_le64(const guint8 *p)
{
    guint64 v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static guint64
siphash(guint64 k0, guint64 k1, const guint8 *in, gsize len)
{
    guint64 v0 = k0 ^ G_GUINT64_CONSTANT(0x736f6d6570736575);
    guint64 v1 = k1 ^ G_GUINT64_CONSTANT(0x646f72616e646f6d);
    guint64 v2 = k0 ^ G_GUINT64_CONSTANT(0x6c7967656e657261);
    guint64 v3 = k1 ^ G_GUINT64_CONSTANT(0x7465646279746573);
    const guint8 *end = in + (len - len % 8);
    for (; in != end; in += 8) {
        guint64 m = load_le64(in);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    guint64 b = (guint64)len << 56;
    for (gsize i = 0; i < len % 8; i++)
        b |= (guint64)in[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

guint64
dm_siphash24(const guint8 key[16], const void *data, gsize len)
{
    return siphash(load_le64(key), load_le64(key + 8), data, len);
}

/* ---- the process's hashes ------------------------------------------------
 *
 * dm_hash is vector multiply-shift (Thorup, "High Speed Hashing for Integers
 * and Strings", 2015): the input, zero-padded to 32-bit words x_1 .. x_m and
 * preceded by its length, is summed as a_0 + a_1 len + sum a_(i+1) x_i
 * modulo 2^64 under random 64-bit a_j, and the top 32 bits of the sum are
 * strongly universal: any two distinct inputs of up to MS_WORDS words agree
 * in their top k bits with probability 2^-k over the key, however they were
 * chosen. The padding and the length word make the map from byte strings to
 * vectors one-to-one. The result is those 32 bits through a fixed bijection
 * (mix32): a pair of distinct inputs still gets a uniformly random pair of
 * results, so the low k bits an index masks collide with probability 2^-k,
 * and keys in a lattice (ports counting up) no longer land in a lattice,
 * whose clusters linear probing would pay for. Longer inputs, and dm_hash64 (a 64-bit
 * identity), take SipHash-2-4 under a random key. docs/design.md, "Hostile
 * traffic", says why universal hashing is enough for a passive monitor: an
 * attacker never sees a hash or its timing, so the inputs are fixed before
 * the key is drawn. */

#define MS_WORDS 64                     /* 256 bytes */

static guint64 ms_key[MS_WORDS + 2];
static guint64 sip0, sip1;

static guint64
random64(void)
{
    return ((guint64)g_random_int() << 32) | g_random_int();
}

/* MurmurHash3's 32-bit finalizer (public domain): a fixed bijection that
 * moves every input bit into every output bit. */
static guint32
mix32(guint32 v)
{
    v ^= v >> 16;
    v *= 0x85ebca6bu;
    v ^= v >> 13;
    v *= 0xc2b2ae35u;
    v ^= v >> 16;
    return v;
}

/* GLib's default generator is seeded from /dev/urandom (or the time). */
static gpointer
make_seed(gpointer unused)
{
    (void)unused;
    for (int i = 0; i < MS_WORDS + 2; i++)
        ms_key[i] = random64();
    sip0 = random64();
    sip1 = random64();
    return NULL;
}

static void
seed_once(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, make_seed, NULL);
}

guint64
dm_hash64(const void *data, gsize len)
{
    seed_once();
    return siphash(sip0, sip1, data, len);
}

guint64
dm_hash(const void *data, gsize len)
{
    seed_once();
    if (len > MS_WORDS * 4)
        return dm_hash64(data, len);
    const guint8 *p = data;
    const guint64 *a = ms_key + 2;
    guint64 s = ms_key[0] + ms_key[1] * len;
    gsize w = 0;
    for (; 4 * w + 8 <= len; w += 2) {
        guint32 x[2];
        memcpy(x, p + 4 * w, 8);
        s += a[w] * x[0] + a[w + 1] * x[1];
    }
    for (; 4 * w < len; w++) {
        guint32 x = 0;
        gsize n = len - 4 * w;
        if (n >= 4)
            memcpy(&x, p + 4 * w, 4);
        else                        /* the last 1-3 bytes, zero-padded */
            for (gsize j = 0; j < n; j++)
                x |= (guint32)p[4 * w + j] << (8 * j);
        s += a[w] * x;
    }
    return mix32((guint32)(s >> 32));
}

/* ---- dm_index ---------------------------------------------------------- */

void
dm_index_init(dm_index *ix, dm_index_hash_fn hash, const void *ctx)
{
    memset(ix, 0, sizeof *ix);
    ix->hash = hash;
    ix->ctx = ctx;
}

void
dm_index_clear(dm_index *ix)
{
    g_free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
    ix->used = 0;
}

gsize
dm_index_bytes(const dm_index *ix)
{
    return ix->slots ? (gsize)(ix->mask + 1) * sizeof(guint32) : 0;
}

guint32
dm_index_find(const dm_index *ix, guint64 h, dm_index_match_fn match, const void *probe)
{
    if (!ix->slots)
        return 0;
    for (guint32 i = (guint32)h & ix->mask;; i = (i + 1) & ix->mask) {
        guint32 id = ix->slots[i];
        if (!id)
            return 0;
        if (match(ix->ctx, id, probe))
            return id;
    }
}

static void
grow(dm_index *ix)
{
    guint32 cap = ix->slots ? (ix->mask + 1) * 2 : 64;
    guint32 *old = ix->slots;
    guint32 old_cap = old ? ix->mask + 1 : 0;
    ix->slots = g_new0(guint32, cap);
    ix->mask = cap - 1;
    for (guint32 j = 0; j < old_cap; j++) {
        if (!old[j])
            continue;
        guint32 i = (guint32)ix->hash(ix->ctx, old[j]) & ix->mask;
        while (ix->slots[i])
            i = (i + 1) & ix->mask;
        ix->slots[i] = old[j];
    }
    g_free(old);
}

guint32
dm_index_put(dm_index *ix, guint64 h, dm_index_match_fn match, const void *probe, guint32 id)
{
    /* At most half full: linear probes stay short. */
    if (!ix->slots || (ix->used + 1) * 2 > ix->mask + 1)
        grow(ix);
    for (guint32 i = (guint32)h & ix->mask;; i = (i + 1) & ix->mask) {
        guint32 cur = ix->slots[i];
        if (!cur) {
            ix->slots[i] = id;
            ix->used++;
            return 0;
        }
        if (match(ix->ctx, cur, probe)) {
            ix->slots[i] = id;
            return cur;
        }
    }
}

/* ---- dm_gindex --------------------------------------------------------- */

void
dm_gindex_init(dm_gindex *g, dm_index_hash_fn hash, const void *ctx)
{
    dm_index_init(&g->young, hash, ctx);
    dm_index_init(&g->old, hash, ctx);
}

void
dm_gindex_clear(dm_gindex *g)
{
    dm_index_clear(&g->young);
    dm_index_clear(&g->old);
}

guint32
dm_gindex_find(const dm_gindex *g, guint64 h, dm_index_match_fn match, const void *probe)
{
    guint32 id = dm_index_find(&g->young, h, match, probe);
    return id ? id : dm_index_find(&g->old, h, match, probe);
}

void
dm_gindex_put(dm_gindex *g, guint64 h, dm_index_match_fn match, const void *probe, guint32 id)
{
    dm_index_put(&g->young, h, match, probe, id);
}

/* id into ix unless ix holds its key already (that entry is newer). */
static void
put_absent(dm_index *ix, dm_index_same_fn same, guint32 id)
{
    if (!ix->slots || (ix->used + 1) * 2 > ix->mask + 1)
        grow(ix);
    for (guint32 i = (guint32)ix->hash(ix->ctx, id) & ix->mask;; i = (i + 1) & ix->mask) {
        guint32 cur = ix->slots[i];
        if (!cur) {
            ix->slots[i] = id;
            ix->used++;
            return;
        }
        if (same(ix->ctx, cur, id))
            return;
    }
}

void
dm_gindex_rotate(dm_gindex *g, dm_index_live_fn live, dm_index_same_fn same)
{
    dm_index *old = &g->old;
    for (guint32 j = 0; old->slots && j <= old->mask; j++)
        if (old->slots[j] && live(old->ctx, old->slots[j]))
            put_absent(&g->young, same, old->slots[j]);
    /* The old table, emptied, is the next young one: it keeps its room
     * unless that is far more than a generation needs. */
    guint32 want = (g->young.used + 1) * 2;
    if (old->slots && old->mask + 1 > 8 * MAX(want, 64u))
        dm_index_clear(old);
    else if (old->slots)
        memset(old->slots, 0, (gsize)(old->mask + 1) * sizeof(guint32));
    old->used = 0;
    dm_index tmp = g->old;
    g->old = g->young;
    g->young = tmp;
}

static void
purge(dm_index *ix, dm_index_live_fn keep)
{
    if (!ix->slots)
        return;
    guint32 cap = ix->mask + 1, n = 0;
    guint32 *kept = g_new(guint32, MAX(ix->used, 1u));
    for (guint32 j = 0; j < cap; j++)
        if (ix->slots[j] && keep(ix->ctx, ix->slots[j]))
            kept[n++] = ix->slots[j];
    memset(ix->slots, 0, (gsize)cap * sizeof(guint32));
    ix->used = 0;
    /* Keys are distinct within one table: each goes in as it is. */
    for (guint32 k = 0; k < n; k++) {
        guint32 i = (guint32)ix->hash(ix->ctx, kept[k]) & ix->mask;
        while (ix->slots[i])
            i = (i + 1) & ix->mask;
        ix->slots[i] = kept[k];
        ix->used++;
    }
    g_free(kept);
}

void
dm_gindex_purge(dm_gindex *g, dm_index_live_fn keep)
{
    purge(&g->young, keep);
    purge(&g->old, keep);
}

gsize
dm_gindex_bytes(const dm_gindex *g)
{
    return dm_index_bytes(&g->young) + dm_index_bytes(&g->old);
}

guint32
dm_gindex_count(const dm_gindex *g)
{
    return g->young.used + g->old.used;
}

/* ---- dm_intern --------------------------------------------------------- */

typedef struct {
    const char *data;
    guint32 len;
} interned;

struct dm_intern {
    GStringChunk *chunk;
    GArray *items;              /* interned, index = id - 1 (data NULL: a free id) */
    GArray *free_ids;           /* guint32: ids to give again (dm_intern_sweep) */
    dm_index ix;
    gsize bytes;
};

typedef struct {
    const void *data;
    gsize len;
} bytes_probe;

static guint64
intern_hash(const void *ctx, guint32 id)
{
    const dm_intern *in = ctx;
    const interned *e = &g_array_index(in->items, interned, id - 1);
    return dm_hash(e->data, e->len);
}

static gboolean
intern_match(const void *ctx, guint32 id, const void *probe)
{
    const dm_intern *in = ctx;
    const bytes_probe *p = probe;
    const interned *e = &g_array_index(in->items, interned, id - 1);
    return e->len == p->len && memcmp(e->data, p->data, p->len) == 0;
}

dm_intern *
dm_intern_new(void)
{
    dm_intern *in = g_new0(dm_intern, 1);
    in->chunk = g_string_chunk_new(16384);
    in->items = g_array_new(FALSE, FALSE, sizeof(interned));
    in->free_ids = g_array_new(FALSE, FALSE, sizeof(guint32));
    dm_index_init(&in->ix, intern_hash, in);
    return in;
}

void
dm_intern_free(dm_intern *in)
{
    if (!in)
        return;
    dm_index_clear(&in->ix);
    g_array_free(in->items, TRUE);
    g_array_free(in->free_ids, TRUE);
    g_string_chunk_free(in->chunk);
    g_free(in);
}

guint32
dm_intern_find(const dm_intern *in, const void *data, gsize len)
{
    bytes_probe p = { data, len };
    return dm_index_find(&in->ix, dm_hash(data, len), intern_match, &p);
}

guint32
dm_intern_bytes(dm_intern *in, const void *data, gsize len)
{
    guint64 h = dm_hash(data, len);
    bytes_probe p = { data, len };
    guint32 id = dm_index_find(&in->ix, h, intern_match, &p);
    if (id)
        return id;
    interned e;
    e.data = g_string_chunk_insert_len(in->chunk, data, (gssize)len);
    e.len = (guint32)len;
    if (in->free_ids->len) {
        id = g_array_index(in->free_ids, guint32, in->free_ids->len - 1);
        g_array_set_size(in->free_ids, in->free_ids->len - 1);
        g_array_index(in->items, interned, id - 1) = e;
    } else {
        g_array_append_val(in->items, e);
        id = in->items->len;
    }
    in->bytes += len + 1 + sizeof e;
    dm_index_put(&in->ix, h, intern_match, &p, id);
    return id;
}

guint32
dm_intern_live(const dm_intern *in)
{
    return in->items->len - in->free_ids->len;
}

void
dm_intern_sweep(dm_intern *in, const guint8 *keep)
{
    GStringChunk *chunk = g_string_chunk_new(16384);
    in->bytes = 0;
    g_array_set_size(in->free_ids, 0);
    dm_index_clear(&in->ix);
    /* Free ids handed out lowest first: the table stays dense. */
    for (guint32 id = in->items->len; id >= 1; id--) {
        interned *e = &g_array_index(in->items, interned, id - 1);
        if (e->data && keep[id - 1]) {
            e->data = g_string_chunk_insert_len(chunk, e->data, (gssize)e->len);
            in->bytes += e->len + 1 + sizeof *e;
        } else {
            e->data = NULL;
            e->len = 0;
            g_array_append_val(in->free_ids, id);
        }
    }
    g_string_chunk_free(in->chunk);
    in->chunk = chunk;
    for (guint32 id = 1; id <= in->items->len; id++) {
        const interned *e = &g_array_index(in->items, interned, id - 1);
        if (!e->data)
            continue;
        bytes_probe p = { e->data, e->len };
        dm_index_put(&in->ix, dm_hash(e->data, e->len), intern_match, &p, id);
    }
}

const char *
dm_intern_get(const dm_intern *in, guint32 id, gsize *len)
{
    const interned *e = id && id <= in->items->len ? &g_array_index(in->items, interned, id - 1)
                                                    : NULL;
    if (!e || !e->data) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = e->len;
    return e->data;
}

guint32
dm_intern_count(const dm_intern *in)
{
    return in->items->len;
}

gsize
dm_intern_bytes_used(const dm_intern *in)
{
    return in->bytes + dm_index_bytes(&in->ix);
}
