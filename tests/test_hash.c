/* test_hash.c — SipHash-2-4, the id index and interning (dnsmon_hash.h), and
 * the tally built on the index (dnsmon_tally.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tracker_fixture.h"  /* counted g_assert_* checks */
#include <string.h>

#include "dnsmon_hash.h"
#include "dnsmon_tally.h"

/* The reference implementation's vectors (Aumasson and Bernstein, SipHash
 * paper appendix A and vectors.h): key 00 01 .. 0f, message 00 01 .. n-1,
 * n = 0 .. 63, as 64-bit little-endian integers. Rechecked against an
 * independent implementation written from the paper's description. */
static const guint64 vectors[64] = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
    0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
    0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
    0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
    0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
    0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
    0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
    0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
    0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
    0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
    0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
    0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
    0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

static void
test_siphash_vectors(void)
{
    guint8 key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (guint8)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (guint8)i;
    for (gsize n = 0; n < 64; n++) {
        /* an exact-size copy: the hash reads no byte past the message */
        guint8 *m = g_malloc(n ? n : 1);
        memcpy(m, msg, n);
        guint64 h = dm_siphash24(key, m, n);
        g_free(m);
        if (h != vectors[n])
            g_error("siphash24 of %" G_GSIZE_FORMAT " bytes: %016" G_GINT64_MODIFIER "x, "
                    "want %016" G_GINT64_MODIFIER "x", n, h, vectors[n]);
    }
    /* the two the paper prints */
    g_assert_true(dm_siphash24(key, msg, 0) == G_GUINT64_CONSTANT(0x726fdb47dd0e0e31));
    g_assert_true(dm_siphash24(key, msg, 15) == G_GUINT64_CONSTANT(0xa129ca6149be45e5));
    /* unaligned input gives the same result */
    guint8 *buf = g_malloc(64 + 3);
    memcpy(buf + 3, msg, 64);
    for (gsize n = 0; n < 64; n++)
        g_assert_true(dm_siphash24(key, buf + 3, n) == vectors[n]);
    g_free(buf);
}

static void
test_process_hash(void)
{
    /* keyed per process: stable within it, not the all-zero key's value */
    static const char a[] = "www.example.test", b[] = "www.example.tesu";
    g_assert_true(dm_hash(a, sizeof a - 1) == dm_hash(a, sizeof a - 1));
    g_assert_true(dm_hash(a, sizeof a - 1) != dm_hash(b, sizeof b - 1));
    guint8 zero[16] = { 0 };
    g_assert_true(dm_hash(a, sizeof a - 1) != dm_siphash24(zero, a, sizeof a - 1));
    guint8 key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (guint8)i;
    g_assert_true(dm_hash("", 0) != dm_siphash24(key, "", 0));
    /* spread: 4096 consecutive integers fill most of 4096 buckets */
    guint8 *seen = g_new0(guint8, 4096);
    guint used = 0;
    for (guint32 i = 0; i < 4096; i++) {
        guint b2 = (guint)(dm_hash(&i, sizeof i) & 4095);
        used += !seen[b2];
        seen[b2] = 1;
    }
    g_free(seen);
    g_assert_cmpuint(used, >, 2400);     /* ~2589 expected for a random function */
}

static void
test_process_hash_inputs(void)
{
    /* zero padding never makes two inputs one: the length is hashed too */
    static const guint8 z[8] = { 0 };
    static const char a0[] = "a\0";
    for (gsize n = 0; n < sizeof z; n++)
        g_assert_true(dm_hash(z, n) != dm_hash(z, n + 1));
    g_assert_true(dm_hash(a0, 1) != dm_hash(a0, 2));
    /* 32 bits, in the low half: dm_index masks the low bits */
    guint64 high = 0;
    for (guint32 i = 0; i < 1000; i++)
        high |= dm_hash(&i, sizeof i) >> 32;
    g_assert_cmpuint(high, ==, 0);
    /* one bit of a long input (SipHash beyond 256 bytes) or a 64-bit identity changes it */
    guint8 *longer = g_new0(guint8, 1000);
    guint64 before = dm_hash(longer, 1000), id = dm_hash64(longer, 1000);
    g_assert_true(dm_hash(longer, 1000) == before && dm_hash64(longer, 1000) == id);
    longer[999] = 1;
    g_assert_true(dm_hash(longer, 1000) != before);
    g_assert_true(dm_hash64(longer, 1000) != id);
    g_free(longer);
    /* a change in any word of a 256-byte input moves it (each word has its
     * own multiplier) */
    guint8 buf[256] = { 0 };
    guint64 h0 = dm_hash(buf, sizeof buf);
    for (gsize i = 0; i < sizeof buf; i += 4) {
        buf[i] ^= 0x80;
        g_assert_true(dm_hash(buf, sizeof buf) != h0);
        buf[i] ^= 0x80;
    }
}

/* Keys an attacker might line up (ports or IDs counting up, a stride of a
 * power of two) spread over an index's low bits like random ones. */
static void
test_process_hash_patterns(void)
{
    const guint32 buckets = 4096;
    guint8 *seen = g_new0(guint8, buckets);
    for (guint32 stride = 1; stride <= (1u << 20); stride <<= 4) {
        memset(seen, 0, buckets);
        guint used = 0;
        for (guint32 i = 0; i < buckets; i++) {
            guint8 key[12] = { 0 };
            guint32 v = i * stride;
            memcpy(key + 4, &v, 4);
            guint b2 = (guint)(dm_hash(key, sizeof key) & (buckets - 1));
            used += !seen[b2];
            seen[b2] = 1;
        }
        g_assert_cmpuint(used, >, 2400);
    }
    g_free(seen);
}

/* ---- dm_index ------------------------------------------------------------- */

typedef struct {
    GArray *keys;               /* guint32 key per record id - 1 */
    gboolean collide;           /* every key hashes the same */
} records;

static guint64
rec_hash_key(const records *r, guint32 key)
{
    return r->collide ? 42 : dm_hash(&key, sizeof key);
}

static guint64
rec_hash(const void *ctx, guint32 id)
{
    const records *r = ctx;
    return rec_hash_key(r, g_array_index(r->keys, guint32, id - 1));
}

static gboolean
rec_match(const void *ctx, guint32 id, const void *probe)
{
    const records *r = ctx;
    return g_array_index(r->keys, guint32, id - 1) == *(const guint32 *)probe;
}

static guint32
rec_add(records *r, dm_index *ix, guint32 key)
{
    g_array_append_val(r->keys, key);
    guint32 id = r->keys->len;
    return dm_index_put(ix, rec_hash_key(r, key), rec_match, &key, id);
}

static guint32
rec_find(const records *r, const dm_index *ix, guint32 key)
{
    return dm_index_find(ix, rec_hash_key(r, key), rec_match, &key);
}

static void
index_case(gboolean collide, guint n)
{
    records r = { g_array_new(FALSE, FALSE, sizeof(guint32)), collide };
    dm_index ix;
    dm_index_init(&ix, rec_hash, &r);
    g_assert_cmpuint(rec_find(&r, &ix, 7), ==, 0);          /* empty */
    g_assert_cmpuint(dm_index_bytes(&ix), ==, 0);
    for (guint32 k = 0; k < n; k++)
        g_assert_cmpuint(rec_add(&r, &ix, k * 7919u), ==, 0);
    g_assert_cmpuint(ix.used, ==, n);
    /* at most half full after growth, capacity a power of two */
    g_assert_cmpuint((ix.mask + 1) & ix.mask, ==, 0);
    g_assert_cmpuint(ix.used * 2, <=, ix.mask + 1);
    g_assert_cmpuint(dm_index_bytes(&ix), ==, (ix.mask + 1) * sizeof(guint32));
    for (guint32 k = 0; k < n; k++)
        g_assert_cmpuint(rec_find(&r, &ix, k * 7919u), ==, k + 1);
    g_assert_cmpuint(rec_find(&r, &ix, 1), ==, 0);
    /* replacing: the same key again points at the newer record */
    for (guint32 k = 0; k < n; k += 3)
        g_assert_cmpuint(rec_add(&r, &ix, k * 7919u), ==, k + 1);
    g_assert_cmpuint(ix.used, ==, n);
    for (guint32 k = 0; k < n; k++) {
        guint32 want = k % 3 ? k + 1 : n + k / 3 + 1;
        g_assert_cmpuint(rec_find(&r, &ix, k * 7919u), ==, want);
    }
    dm_index_clear(&ix);
    g_assert_cmpuint(rec_find(&r, &ix, 0), ==, 0);
    g_assert_cmpuint(ix.used, ==, 0);
    g_array_free(r.keys, TRUE);
}

static void
test_index(void)
{
    index_case(FALSE, 1);
    index_case(FALSE, 33);          /* past the first growth (64 slots, half full) */
    index_case(FALSE, 20000);
    index_case(TRUE, 300);          /* every hash equal: still right, only slower */
}

/* ---- dm_gindex ------------------------------------------------------------ */

typedef struct {
    records r;
    guint32 live_from;          /* records below this id are dead */
} grecords;

static gboolean
grec_live(const void *ctx, guint32 id)
{
    return id >= ((const grecords *)ctx)->live_from;
}

static gboolean
grec_same(const void *ctx, guint32 a, guint32 b)
{
    const records *r = ctx;
    return g_array_index(r->keys, guint32, a - 1) == g_array_index(r->keys, guint32, b - 1);
}

static guint32
grec_add(grecords *g, dm_gindex *gx, guint32 key)
{
    g_array_append_val(g->r.keys, key);
    guint32 id = g->r.keys->len;
    dm_gindex_put(gx, rec_hash_key(&g->r, key), rec_match, &key, id);
    return id;
}

static guint32
grec_find(const grecords *g, const dm_gindex *gx, guint32 key)
{
    return dm_gindex_find(gx, rec_hash_key(&g->r, key), rec_match, &key);
}

static void
gindex_case(gboolean collide)
{
    grecords g = { { g_array_new(FALSE, FALSE, sizeof(guint32)), collide }, 1 };
    dm_gindex gx;
    dm_gindex_init(&gx, rec_hash, &g);
    g_assert_cmpuint(grec_find(&g, &gx, 5), ==, 0);
    /* generation 1: keys 0..999 */
    for (guint32 k = 0; k < 1000; k++)
        grec_add(&g, &gx, k);
    dm_gindex_rotate(&gx, grec_live, grec_same);
    /* generation 2: keys 500..1499, newer than generation 1's 500..999 */
    for (guint32 k = 500; k < 1500; k++)
        grec_add(&g, &gx, k);
    for (guint32 k = 0; k < 500; k++)
        g_assert_cmpuint(grec_find(&g, &gx, k), ==, k + 1);
    for (guint32 k = 500; k < 1500; k++)
        g_assert_cmpuint(grec_find(&g, &gx, k), ==, 1000 + k - 500 + 1);
    g_assert_cmpuint(dm_gindex_count(&gx), ==, 2000);
    /* records 1..250 (keys 0..249) die; the rest of generation 1 lives on:
     * keys 250..499 move to the young table, 500..999 are newer there */
    g.live_from = 251;
    dm_gindex_rotate(&gx, grec_live, grec_same);
    for (guint32 k = 0; k < 250; k++)
        g_assert_cmpuint(grec_find(&g, &gx, k), ==, 0);
    for (guint32 k = 250; k < 500; k++)
        g_assert_cmpuint(grec_find(&g, &gx, k), ==, k + 1);
    for (guint32 k = 500; k < 1500; k++)
        g_assert_cmpuint(grec_find(&g, &gx, k), ==, 1000 + k - 500 + 1);
    g_assert_cmpuint(dm_gindex_count(&gx), ==, 1250);
    /* everything dies: two rotations empty it, and the room shrinks */
    g.live_from = G_MAXUINT32;
    dm_gindex_rotate(&gx, grec_live, grec_same);
    dm_gindex_rotate(&gx, grec_live, grec_same);
    g_assert_cmpuint(dm_gindex_count(&gx), ==, 0);
    g_assert_cmpuint(grec_find(&g, &gx, 700), ==, 0);
    dm_gindex_rotate(&gx, grec_live, grec_same);
    g_assert_cmpuint(dm_gindex_bytes(&gx), <=, 2 * 64 * sizeof(guint32) * 8);
    /* a long run of generations keeps only what is live */
    for (guint gen = 0; gen < 50; gen++) {
        g.live_from = g.r.keys->len + 1;
        for (guint32 k = 0; k < 2000; k++)
            grec_add(&g, &gx, gen * 2000 + k);
        dm_gindex_rotate(&gx, grec_live, grec_same);
    }
    g_assert_cmpuint(dm_gindex_count(&gx), <=, 2000);
    g_assert_cmpuint(grec_find(&g, &gx, 49 * 2000 + 7), ==, g.r.keys->len - 2000 + 8);
    g_assert_cmpuint(grec_find(&g, &gx, 47 * 2000 + 7), ==, 0);
    dm_gindex_clear(&gx);
    g_assert_cmpuint(dm_gindex_bytes(&gx), ==, 0);
    g_array_free(g.r.keys, TRUE);
}

static void
test_gindex(void)
{
    gindex_case(FALSE);
    gindex_case(TRUE);
}

/* ---- dm_intern -------------------------------------------------------------- */

static void
test_intern(void)
{
    dm_intern *in = dm_intern_new();
    g_assert_cmpuint(dm_intern_count(in), ==, 0);
    g_assert_cmpuint(dm_intern_find(in, "a", 1), ==, 0);
    g_assert_null(dm_intern_get(in, 0, NULL));
    g_assert_null(dm_intern_get(in, 1, NULL));
    guint32 a = dm_intern_bytes(in, "www.example.test", 16);
    guint32 b = dm_intern_bytes(in, "WWW.example.test", 16);
    guint32 a2 = dm_intern_bytes(in, "www.example.test", 16);
    g_assert_cmpuint(a, ==, 1);
    g_assert_cmpuint(b, ==, 2);
    g_assert_cmpuint(a2, ==, a);
    g_assert_cmpuint(dm_intern_find(in, "WWW.example.test", 16), ==, b);
    /* a prefix is another value */
    guint32 p = dm_intern_bytes(in, "www.example.test", 3);
    g_assert_cmpuint(p, ==, 3);
    /* binary bytes, NUL included, and the empty value */
    static const guint8 addr[17] = { 4, 203, 0, 113, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    guint32 x = dm_intern_bytes(in, addr, sizeof addr);
    guint8 addr2[17];
    memcpy(addr2, addr, sizeof addr2);
    addr2[16] = 1;
    guint32 y = dm_intern_bytes(in, addr2, sizeof addr2);
    g_assert_cmpuint(x, !=, y);
    g_assert_cmpuint(dm_intern_bytes(in, addr, sizeof addr), ==, x);
    guint32 e = dm_intern_bytes(in, "", 0);
    g_assert_cmpuint(dm_intern_bytes(in, "x", 0), ==, e);
    gsize len = 99;
    const char *s = dm_intern_get(in, e, &len);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpint(s[0], ==, 0);
    s = dm_intern_get(in, x, &len);
    g_assert_cmpuint(len, ==, sizeof addr);
    g_assert_cmpmem(s, len, addr, sizeof addr);
    g_assert_cmpint(s[len], ==, 0);                /* NUL-terminated after len */
    s = dm_intern_get(in, p, &len);
    g_assert_cmpstr(s, ==, "www");

    /* ids and pointers stay stable while the table grows */
    guint32 base = dm_intern_count(in);
    const char *first = dm_intern_get(in, a, NULL);
    for (guint i = 0; i < 50000; i++) {
        char buf[32];
        int n = g_snprintf(buf, sizeof buf, "n%u.example.test", i);
        g_assert_cmpuint(dm_intern_bytes(in, buf, (gsize)n), ==, base + i + 1);
    }
    g_assert_cmpuint(dm_intern_count(in), ==, base + 50000);
    g_assert_true(dm_intern_get(in, a, NULL) == first);
    g_assert_cmpstr(dm_intern_get(in, a, NULL), ==, "www.example.test");
    for (guint i = 0; i < 50000; i += 997) {
        char buf[32];
        int n = g_snprintf(buf, sizeof buf, "n%u.example.test", i);
        g_assert_cmpuint(dm_intern_find(in, buf, (gsize)n), ==, base + i + 1);
        g_assert_cmpstr(dm_intern_get(in, base + i + 1, NULL), ==, buf);
    }
    g_assert_cmpuint(dm_intern_bytes_used(in), >, 50000);

    /* a sweep frees what is not kept; the values kept keep their ids */
    guint32 count = dm_intern_count(in);
    guint8 *keep = g_new0(guint8, count);
    keep[a - 1] = keep[x - 1] = 1;
    for (guint i = 0; i < 50000; i += 2)
        keep[base + i] = 1;
    dm_intern_sweep(in, keep);
    g_free(keep);
    g_assert_cmpuint(dm_intern_count(in), ==, count);
    g_assert_cmpuint(dm_intern_live(in), ==, 2 + 25000);
    g_assert_cmpstr(dm_intern_get(in, a, NULL), ==, "www.example.test");
    g_assert_cmpmem(dm_intern_get(in, x, &len), len, addr, sizeof addr);
    g_assert_null(dm_intern_get(in, b, NULL));
    g_assert_cmpuint(dm_intern_find(in, "WWW.example.test", 16), ==, 0);
    for (guint i = 0; i < 50000; i += 997) {
        char buf[32];
        int n = g_snprintf(buf, sizeof buf, "n%u.example.test", i);
        g_assert_cmpuint(dm_intern_find(in, buf, (gsize)n), ==, i % 2 ? 0 : base + i + 1);
    }
    /* freed ids are given again, lowest first, before new ones */
    guint32 again = dm_intern_bytes(in, "new.example.test", 16);
    g_assert_cmpuint(again, ==, b);
    g_assert_cmpuint(dm_intern_bytes(in, "new.example.test", 16), ==, b);
    g_assert_cmpuint(dm_intern_bytes(in, "www.example.test", 16), ==, a);
    g_assert_cmpuint(dm_intern_count(in), ==, count);
    dm_intern_free(in);
    dm_intern_free(NULL);
}

/* Counts by key: one row per key, found again however many keys follow
 * (keys shaped as the tree's names' ones: a sequential id over a query
 * type), 16 bytes a row; cleared, it starts over. */
static void
test_tally(void)
{
    dm_tally t;
    dm_tally_init(&t);
    g_assert_cmpuint(dm_tally_len(&t), ==, 0);
    const guint n = 40000;
    for (guint round = 0; round < 3; round++)
        for (guint i = 0; i < n; i++) {
            guint64 key = (guint64)i << 16 | 28;
            dm_tally_get(&t, key)->count += round + 1;
        }
    g_assert_cmpuint(dm_tally_len(&t), ==, n);
    guint64 sum = 0;
    for (guint32 i = 0; i < dm_tally_len(&t); i++) {
        const dm_tally_row *r = dm_tally_at(&t, i);
        g_assert_cmpuint(r->count, ==, 6);
        g_assert_cmpuint(r->key, ==, (guint64)i << 16 | 28);
        sum += r->count;
    }
    g_assert_cmpuint(sum, ==, 6 * n);
    g_assert_cmpuint(sizeof(dm_tally_row), ==, 16);
    /* the rows and an index at most half full: under 40 bytes a key */
    g_assert_cmpuint(dm_tally_bytes(&t), <, 40 * (gsize)n);
    dm_tally_row *zero = dm_tally_get(&t, 0);
    g_assert_cmpuint(zero->count, ==, 0);
    g_assert_cmpuint(dm_tally_len(&t), ==, n + 1);
    dm_tally_clear(&t);
    g_assert_cmpuint(dm_tally_len(&t), ==, 0);
    g_assert_cmpuint(dm_tally_get(&t, 2)->count, ==, 0);
    g_assert_cmpuint(dm_tally_len(&t), ==, 1);
    dm_tally_destroy(&t);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hash/siphash-vectors", test_siphash_vectors);
    g_test_add_func("/hash/process-key", test_process_hash);
    g_test_add_func("/hash/process-key/inputs", test_process_hash_inputs);
    g_test_add_func("/hash/process-key/patterns", test_process_hash_patterns);
    g_test_add_func("/hash/index", test_index);
    g_test_add_func("/hash/gindex", test_gindex);
    g_test_add_func("/hash/intern", test_intern);
    g_test_add_func("/hash/tally", test_tally);
    return g_test_run();
}
