/* dnsgen.c — deterministic generator of DNS benchmark and hostile-traffic
 * captures for dnsmon (bench/README in BENCHMARKS.md).
 *
 *   dnsgen [-n N] [-s SEED] [-r RATE] [-p PACKETS] [-o FILE] SCENARIO
 *
 * Writes a classic pcap (nanosecond timestamps, Ethernet) to FILE (default
 * stdout) and a summary to FILE.json. Every checksum is correct (IPv4
 * header, UDP, TCP, ICMP, ICMPv6). The same seed gives the same bytes.
 *
 * Scenarios:
 *   mix               N DNS transactions, a realistic mix (see MIX below)
 *   nodns             the same number of packets as `mix` with N (or -p), no DNS:
 *                     TLS over TCP, NTP, ICMP echo, traceroute ICMP errors
 *   hashflood         N answered queries from IPv6 sources whose dnsmon keys all
 *                     have the same 32-bit FNV-1a hash under the old tracker.c
 *                     key (48-byte dm_key, UDP, same server, ports and ID)
 *   hashflood-typical the same with ordinary random IPv6 sources
 *   backwards         N unanswered queries within 4 s, every packet earlier
 *                     than the one before it (a badly merged capture)
 *   inorder           the same packets in time order
 *   samekey           N answered queries, distinct names, one client, one
 *                     client port, one DNS ID, within 4 s
 *   distinctkeys      the same with a distinct port and ID per query
 *   torture           N failing queries for distinct random subdomains of
 *                     victim.example (70% NXDOMAIN, 20% SERVFAIL, 10% no answer)
 *   fewnames          the same, names drawn from 8 names
 *   resolver-flood    N client queries for distinct random subdomains of
 *                     victim.example through one recursive resolver, which
 *                     asks the authoritative servers (NXDOMAIN, SERVFAIL or
 *                     nothing) and answers NXDOMAIN or SERVFAIL
 *   resolver-typical  the same, names drawn from 8 names
 *
 * Plain C99, no dependency: cc -O2 -o dnsgen dnsgen.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- random numbers (splitmix64) --------------------------------------- */

static uint64_t rng_state;

static uint64_t
rnd64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t
rnd(uint32_t n)     /* 0 .. n-1 */
{
    return (uint32_t)(((rnd64() >> 32) * (uint64_t)n) >> 32);
}

static double
rndf(void)          /* [0, 1) */
{
    return (double)(rnd64() >> 11) / 9007199254740992.0;
}

static double
rnd_exp(double mean)
{
    double u = rndf();
    double x = -mean * __builtin_log(1.0 - u);
    return x;
}

/* ---- addresses --------------------------------------------------------- */

typedef struct {
    uint8_t fam;        /* 4 or 6 */
    uint8_t b[16];
} addr;

static addr
v4(int a, int b, int c, int d)
{
    addr r;
    memset(&r, 0, sizeof r);
    r.fam = 4;
    r.b[0] = (uint8_t)a; r.b[1] = (uint8_t)b; r.b[2] = (uint8_t)c; r.b[3] = (uint8_t)d;
    return r;
}

static addr
v6(const uint8_t prefix[8], uint64_t iid)
{
    addr r;
    memset(&r, 0, sizeof r);
    r.fam = 6;
    memcpy(r.b, prefix, 8);
    for (int i = 0; i < 8; i++)
        r.b[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
    return r;
}

static const uint8_t P6_CLIENTS[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x10, 0x00, 0x00, 0x00 };
static const uint8_t P6_DNS[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53, 0x00, 0x00 };
static const uint8_t P6_ROUTER[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t P6_WEB[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x04, 0x43, 0x00, 0x00 };

/* ---- output: a time-ordered heap of finished frames -------------------- */

typedef struct {
    uint64_t ts;        /* ns since the epoch */
    uint64_t seq;       /* tie-break: order of creation */
    uint32_t len;
    uint8_t *data;
} frame;

static frame *heap;
static size_t heap_n, heap_cap;
static uint64_t frame_seq;
static FILE *out;
static uint64_t written_frames, written_bytes, first_ts, last_ts;
static uint64_t frame_limit;        /* stop after this many (nodns), 0 = none */

static int
frame_less(const frame *a, const frame *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void
heap_push(frame f)
{
    if (heap_n == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 4096;
        heap = realloc(heap, heap_cap * sizeof *heap);
        if (!heap) { perror("realloc"); exit(2); }
    }
    size_t i = heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!frame_less(&f, &heap[p]))
            break;
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = f;
}

static frame
heap_pop(void)
{
    frame top = heap[0];
    frame last = heap[--heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_n)
            break;
        if (c + 1 < heap_n && frame_less(&heap[c + 1], &heap[c]))
            c++;
        if (!frame_less(&heap[c], &last))
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (heap_n)
        heap[i] = last;
    return top;
}

static void
put32(uint32_t v)
{
    fwrite(&v, 4, 1, out);      /* pcap is written in host byte order */
}

static void
write_header(void)
{
    put32(0xa1b23c4d);          /* nanosecond pcap */
    uint16_t ver[2] = { 2, 4 };
    fwrite(ver, 2, 2, out);
    put32(0);
    put32(0);
    put32(262144);
    put32(1);                   /* Ethernet */
}

static void
write_frame(const frame *f)
{
    if (frame_limit && written_frames >= frame_limit)
        return;
    put32((uint32_t)(f->ts / 1000000000u));
    put32((uint32_t)(f->ts % 1000000000u));
    put32(f->len);
    put32(f->len);
    fwrite(f->data, 1, f->len, out);
    if (!written_frames)
        first_ts = f->ts;
    last_ts = f->ts;
    written_frames++;
    written_bytes += 16 + f->len;
}

/* Write every queued frame up to time ts. */
static void
flush_until(uint64_t ts)
{
    while (heap_n && heap[0].ts <= ts) {
        frame f = heap_pop();
        write_frame(&f);
        free(f.data);
    }
}

/* Frames in the exact order given (backwards scenario), no heap. */
static frame *direct;
static size_t direct_n, direct_cap;
static int use_direct;

static void
emit(uint64_t ts, const uint8_t *data, uint32_t len)
{
    frame f = { ts, frame_seq++, len, malloc(len) };
    if (!f.data) { perror("malloc"); exit(2); }
    memcpy(f.data, data, len);
    if (use_direct) {
        if (direct_n == direct_cap) {
            direct_cap = direct_cap ? direct_cap * 2 : 4096;
            direct = realloc(direct, direct_cap * sizeof *direct);
            if (!direct) { perror("realloc"); exit(2); }
        }
        direct[direct_n++] = f;
    } else {
        heap_push(f);
    }
}

/* ---- checksums and headers --------------------------------------------- */

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

static uint16_t
fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void
be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t
pseudo_sum(const addr *s, const addr *d, uint8_t proto, uint32_t len)
{
    uint32_t x = 0;
    if (s->fam == 4) {
        x = sum16(s->b, 4, x);
        x = sum16(d->b, 4, x);
        x += proto;
        x += len;
    } else {
        x = sum16(s->b, 16, x);
        x = sum16(d->b, 16, x);
        x += len >> 16;
        x += len & 0xffff;
        x += proto;
    }
    return x;
}

static uint16_t ip_ident = 1;

/* An IP packet around a transport payload (already with its checksum). */
static size_t
ip_wrap(uint8_t *o, const addr *s, const addr *d, uint8_t proto, const uint8_t *l4, size_t l4len,
        uint8_t ttl)
{
    if (s->fam == 4) {
        o[0] = 0x45; o[1] = 0;
        be16(o + 2, (uint32_t)(20 + l4len));
        be16(o + 4, ip_ident++);
        be16(o + 6, proto == 1 ? 0 : 0x4000);
        o[8] = ttl; o[9] = proto;
        be16(o + 10, 0);
        memcpy(o + 12, s->b, 4);
        memcpy(o + 16, d->b, 4);
        be16(o + 10, fold(sum16(o, 20, 0)));
        memcpy(o + 20, l4, l4len);
        return 20 + l4len;
    }
    be32(o, 0x60000000u);
    be16(o + 4, (uint32_t)l4len);
    o[6] = proto; o[7] = ttl;
    memcpy(o + 8, s->b, 16);
    memcpy(o + 24, d->b, 16);
    memcpy(o + 40, l4, l4len);
    return 40 + l4len;
}

static size_t
ip_udp(uint8_t *o, const addr *s, const addr *d, uint16_t sp, uint16_t dp, const uint8_t *pl,
       size_t plen)
{
    uint8_t l4[4096];
    be16(l4, sp); be16(l4 + 2, dp);
    be16(l4 + 4, (uint32_t)(8 + plen));
    be16(l4 + 6, 0);
    memcpy(l4 + 8, pl, plen);
    uint16_t c = fold(sum16(l4, 8 + plen, pseudo_sum(s, d, 17, (uint32_t)(8 + plen))));
    be16(l4 + 6, c ? c : 0xffff);
    return ip_wrap(o, s, d, 17, l4, 8 + plen, 64);
}

enum { TH_FIN = 1, TH_SYN = 2, TH_RST = 4, TH_PSH = 8, TH_ACK = 16 };

static size_t
ip_tcp(uint8_t *o, const addr *s, const addr *d, uint16_t sp, uint16_t dp, uint32_t seq,
       uint32_t ack, uint8_t flags, const uint8_t *pl, size_t plen)
{
    uint8_t l4[4096];
    size_t hl = (flags & TH_SYN) ? 24 : 20;     /* SYNs carry an MSS option */
    be16(l4, sp); be16(l4 + 2, dp);
    be32(l4 + 4, seq);
    be32(l4 + 8, (flags & TH_ACK) ? ack : 0);
    l4[12] = (uint8_t)((hl / 4) << 4);
    l4[13] = flags;
    be16(l4 + 14, 64240);
    be16(l4 + 16, 0);
    be16(l4 + 18, 0);
    if (hl == 24) {
        l4[20] = 2; l4[21] = 4;
        be16(l4 + 22, s->fam == 4 ? 1460 : 1440);
    }
    memcpy(l4 + hl, pl, plen);
    be16(l4 + 16, fold(sum16(l4, hl + plen, pseudo_sum(s, d, 6, (uint32_t)(hl + plen)))));
    return ip_wrap(o, s, d, 6, l4, hl + plen, 64);
}

/* An ICMP or ICMPv6 error from `rep` to `to` quoting `quote`. */
static size_t
ip_icmp(uint8_t *o, const addr *rep, const addr *to, uint8_t type, uint8_t code,
        const uint8_t *quote, size_t qlen)
{
    uint8_t l4[4096];
    size_t max = rep->fam == 4 ? 576 - 20 - 8 : 1280 - 40 - 8;
    if (qlen > max)
        qlen = max;
    l4[0] = type; l4[1] = code;
    be16(l4 + 2, 0);
    be32(l4 + 4, 0);
    memcpy(l4 + 8, quote, qlen);
    uint16_t c;
    if (rep->fam == 4)
        c = fold(sum16(l4, 8 + qlen, 0));
    else
        c = fold(sum16(l4, 8 + qlen, pseudo_sum(rep, to, 58, (uint32_t)(8 + qlen))));
    be16(l4 + 2, c);
    return ip_wrap(o, rep, to, rep->fam == 4 ? 1 : 58, l4, 8 + qlen, 64);
}

/* ICMP echo request/reply (type 8/0, or 128/129 for v6). */
static size_t
ip_echo(uint8_t *o, const addr *s, const addr *d, int reply, uint16_t id, uint16_t seq)
{
    uint8_t l4[64 + 8];
    int six = s->fam == 6;
    l4[0] = six ? (reply ? 129 : 128) : (reply ? 0 : 8);
    l4[1] = 0;
    be16(l4 + 2, 0);
    be16(l4 + 4, id);
    be16(l4 + 6, seq);
    for (int i = 0; i < 56; i++)
        l4[8 + i] = (uint8_t)(0x10 + i);
    uint16_t c = six ? fold(sum16(l4, 64, pseudo_sum(s, d, 58, 64))) : fold(sum16(l4, 64, 0));
    be16(l4 + 2, c);
    return ip_wrap(o, s, d, six ? 58 : 1, l4, 64, 64);
}

static const uint8_t MAC_HOST[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x10 };
static const uint8_t MAC_ROUTER[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };

/* Ethernet around an IP packet and into the output queue. `outbound` says
 * which way it crosses the capture point (host side vs router side). */
static void
send_ip(uint64_t ts, const uint8_t *ip, size_t len, int outbound)
{
    uint8_t f[4200];
    memcpy(f, outbound ? MAC_ROUTER : MAC_HOST, 6);
    memcpy(f + 6, outbound ? MAC_HOST : MAC_ROUTER, 6);
    be16(f + 12, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
    memcpy(f + 14, ip, len);
    emit(ts, f, (uint32_t)(14 + len));
}

/* ---- DNS messages ------------------------------------------------------ */

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16,
       T_AAAA = 28, T_SRV = 33, T_HTTPS = 65 };

static size_t
put_name(uint8_t *o, const char *name)
{
    size_t n = 0;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        o[n++] = (uint8_t)l;
        memcpy(o + n, p, l);
        n += l;
        p += l;
        if (*p == '.')
            p++;
    }
    o[n++] = 0;
    return n;
}

/* Offset in the message of the zone (last two labels) of the question name. */
static uint16_t
zone_offset(const char *name)
{
    const char *last = strrchr(name, '.');
    if (!last)
        return 12;
    const char *p = last;
    while (p > name && p[-1] != '.')
        p--;
    if (p == name)
        return 12;
    return (uint16_t)(12 + (p - name));
}

typedef struct {
    uint16_t id;
    const char *name;
    uint16_t qtype;
    int response;
    int rcode;
    int tc;
    int answers;        /* A/AAAA records */
    int soa;            /* SOA in authority */
} dnsmsg;

static size_t
dns_build(uint8_t *o, const dnsmsg *m)
{
    uint16_t flags = 0x0100;                    /* RD */
    if (m->response)
        flags |= 0x8000 | 0x0080 | (m->tc ? 0x0200 : 0) | (uint16_t)m->rcode;
    be16(o, m->id);
    be16(o + 2, flags);
    be16(o + 4, 1);
    be16(o + 6, m->response ? (uint32_t)m->answers : 0);
    be16(o + 8, m->response && m->soa ? 1 : 0);
    be16(o + 10, 0);
    size_t n = 12 + put_name(o + 12, m->name);
    be16(o + n, m->qtype);
    be16(o + n + 2, 1);
    n += 4;
    if (!m->response)
        return n;
    for (int i = 0; i < m->answers; i++) {
        be16(o + n, 0xc00c);
        be16(o + n + 4, 1);
        be32(o + n + 6, 300);
        if (m->qtype == T_TXT) {            /* one 200-character string */
            be16(o + n + 2, T_TXT);
            be16(o + n + 10, 201);
            n += 12;
            o[n++] = 200;
            for (int k = 0; k < 200; k++)
                o[n++] = (uint8_t)('a' + rnd(26));
            continue;
        }
        int six = m->qtype == T_AAAA;
        be16(o + n + 2, six ? T_AAAA : T_A);
        be16(o + n + 10, six ? 16 : 4);
        n += 12;
        if (six) {
            memcpy(o + n, P6_WEB, 8);
            for (int k = 8; k < 16; k++)
                o[n + k] = (uint8_t)rnd(256);
            n += 16;
        } else {
            o[n] = 198; o[n + 1] = 18; o[n + 2] = (uint8_t)rnd(256); o[n + 3] = (uint8_t)rnd(256);
            n += 4;
        }
    }
    if (m->soa) {
        uint16_t z = zone_offset(m->name);
        be16(o + n, 0xc000 | z);
        be16(o + n + 2, T_SOA);
        be16(o + n + 4, 1);
        be32(o + n + 6, 900);
        size_t rdlen_at = n + 10;
        n += 12;
        size_t start = n;
        o[n++] = 3; memcpy(o + n, "ns1", 3); n += 3;
        be16(o + n, 0xc000 | z); n += 2;
        o[n++] = 10; memcpy(o + n, "hostmaster", 10); n += 10;
        be16(o + n, 0xc000 | z); n += 2;
        be32(o + n, 2024051401); be32(o + n + 4, 7200); be32(o + n + 8, 900);
        be32(o + n + 12, 1209600); be32(o + n + 16, 300);
        n += 20;
        be16(o + rdlen_at, (uint32_t)(n - start));
    }
    return n;
}

/* ---- names ------------------------------------------------------------- */

static const char *SYL[] = {
    "ka", "lo", "mi", "ne", "ra", "to", "vi", "su", "pe", "do", "an", "el", "in", "or", "un",
    "ba", "ce", "di", "fo", "gu", "ha", "je", "ku", "li", "mo", "nu", "pa", "qui", "ro", "sa",
    "te", "vo", "wa", "xe", "yo", "zu", "bri", "cla", "dre", "flo", "gra", "pro", "stra", "tri",
    "net", "soft", "cloud", "shop", "media", "data", "web", "app", "hub", "lab", "ly", "io"
};
static const char *TLD[] = { "com", "com", "com", "com", "com", "net", "net", "org", "io", "de",
                             "co.uk", "fr", "nl", "jp", "ru", "info", "dev", "app", "cloud", "tv" };
static const char *SUB[] = { "www", "www", "www", "api", "cdn", "static", "img", "mail", "login",
                             "assets", "m", "edge", "telemetry", "update", "auth", "s3", "ws" };

static void
word(char *o, int syl)
{
    o[0] = 0;
    for (int i = 0; i < syl; i++)
        strcat(o, SYL[rnd(sizeof SYL / sizeof *SYL)]);
}

#define NAMES 20000
#define NXNAMES 4000
static char *names[NAMES], *nxnames[NXNAMES];
static double name_cdf[NAMES];

static void
make_names(void)
{
    char d[64], s[64], buf[256];
    double total = 0;
    for (int i = 0; i < NAMES; i++) {
        word(d, 2 + (int)rnd(2));
        const char *tld = TLD[rnd(sizeof TLD / sizeof *TLD)];
        uint32_t k = rnd(10);
        if (k < 4)
            snprintf(buf, sizeof buf, "%s.%s.%s", SUB[rnd(sizeof SUB / sizeof *SUB)], d, tld);
        else if (k < 7)
            snprintf(buf, sizeof buf, "%s.%s", d, tld);
        else if (k < 9) {
            word(s, 2);
            snprintf(buf, sizeof buf, "%s-%u.%s.%s.%s", s, rnd(40), SUB[rnd(sizeof SUB / sizeof *SUB)],
                     d, tld);
        } else
            snprintf(buf, sizeof buf, "%u-%u-%u.%s.%s", rnd(256), rnd(256), rnd(256), d, tld);
        names[i] = strdup(buf);
        total += 1.0 / __builtin_pow(i + 1.0, 0.9);       /* Zipf-like popularity */
        name_cdf[i] = total;
    }
    for (int i = 0; i < NAMES; i++)
        name_cdf[i] /= total;
    for (int i = 0; i < NXNAMES; i++) {
        uint32_t k = rnd(3);
        if (k == 0) {                   /* search-domain leakage */
            word(d, 2);
            snprintf(buf, sizeof buf, "%s.corp.example.internal", d);
        } else if (k == 1) {            /* typo of a popular name */
            const char *n = names[rnd(200)];
            snprintf(buf, sizeof buf, "%s", n);
            size_t l = strlen(buf), at = rnd((uint32_t)(l > 4 ? l - 4 : 1));
            if (buf[at] != '.')
                buf[at] = (char)('a' + rnd(26));
            strcat(buf, ".lan");
        } else {
            word(d, 3);
            snprintf(buf, sizeof buf, "wpad.%s.home.arpa", d);
        }
        nxnames[i] = strdup(buf);
    }
}

static const char *
pick_name(void)
{
    double u = rndf();
    size_t lo = 0, hi = NAMES - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (name_cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return names[lo];
}

static uint16_t
pick_qtype(void)
{
    uint32_t k = rnd(100);
    if (k < 55) return T_A;
    if (k < 90) return T_AAAA;
    if (k < 96) return T_HTTPS;
    if (k < 98) return T_MX;
    if (k < 99) return T_TXT;
    return T_SRV;
}

/* ---- endpoints ----------------------------------------------------------- */

#define CLIENTS4 4000
#define CLIENTS6 1000
static addr clients4[CLIENTS4], clients6[CLIENTS6];
static addr srv4[4], srv6[2], dead4, dead6, blocked4, blocked6, router4, router6;

static void
make_hosts(void)
{
    for (int i = 0; i < CLIENTS4; i++)
        clients4[i] = v4(10, 1 + (int)rnd(200), (int)rnd(256), 1 + (int)rnd(254));
    for (int i = 0; i < CLIENTS6; i++)
        clients6[i] = v6(P6_CLIENTS, rnd64());
    for (int i = 0; i < 4; i++)
        srv4[i] = v4(10, 53, 0, 1 + i);
    srv6[0] = v6(P6_DNS, 1);
    srv6[1] = v6(P6_DNS, 2);
    dead4 = v4(10, 53, 0, 9);           /* nothing listens on 53: port unreachable */
    dead6 = v6(P6_DNS, 9);
    blocked4 = v4(10, 53, 0, 10);       /* a firewall refuses DNS to it */
    blocked6 = v6(P6_DNS, 0x10);
    router4 = v4(10, 0, 0, 1);
    router6 = v6(P6_ROUTER, 1);
}

static uint16_t
eph_port(void)
{
    return (uint16_t)(32768 + rnd(28232));
}

/* ---- one DNS exchange over UDP or TCP ---------------------------------- */

static uint8_t ipbuf[4200];

/* The query's IP packet is left in `quote` (for ICMP errors). */
static size_t
udp_query(uint64_t ts, const addr *c, const addr *s, uint16_t cp, const dnsmsg *q,
          uint8_t *quote)
{
    uint8_t d[4096];
    size_t dl = dns_build(d, q);
    size_t n = ip_udp(ipbuf, c, s, cp, 53, d, dl);
    send_ip(ts, ipbuf, n, 1);
    if (quote)
        memcpy(quote, ipbuf, n);
    return n;
}

static void
udp_response(uint64_t ts, const addr *c, const addr *s, uint16_t cp, const dnsmsg *r)
{
    uint8_t d[4096];
    size_t dl = dns_build(d, r);
    size_t n = ip_udp(ipbuf, s, c, 53, cp, d, dl);
    send_ip(ts, ipbuf, n, 0);
}

static double
server_rtt(void)
{
    double r = 0.0003 + rnd_exp(0.012);
    if (rnd(100) < 2)
        r += 0.5 + rndf() * 2.5;        /* a slow recursion */
    return r;
}

#define NS(x) ((uint64_t)((x) * 1e9))

/* Handshake, one query, one response, close: 8 frames. */
static void
tcp_exchange(uint64_t ts, const addr *c, const addr *s, const dnsmsg *q, const dnsmsg *r)
{
    uint16_t cp = eph_port();
    uint32_t ci = (uint32_t)rnd64(), si = (uint32_t)rnd64();
    double net = 0.0002 + rnd_exp(0.003);
    uint8_t d[4096];
    size_t n;
    n = ip_tcp(ipbuf, c, s, cp, 53, ci, 0, TH_SYN, NULL, 0);
    send_ip(ts, ipbuf, n, 1);
    ts += NS(net);
    n = ip_tcp(ipbuf, s, c, 53, cp, si, ci + 1, TH_SYN | TH_ACK, NULL, 0);
    send_ip(ts, ipbuf, n, 0);
    ts += NS(0.00005);
    n = ip_tcp(ipbuf, c, s, cp, 53, ci + 1, si + 1, TH_ACK, NULL, 0);
    send_ip(ts, ipbuf, n, 1);
    ts += NS(0.00002);
    size_t ql = dns_build(d + 2, q);
    be16(d, (uint32_t)ql);
    n = ip_tcp(ipbuf, c, s, cp, 53, ci + 1, si + 1, TH_PSH | TH_ACK, d, ql + 2);
    send_ip(ts, ipbuf, n, 1);
    ts += NS(server_rtt());
    size_t rl = dns_build(d + 2, r);
    be16(d, (uint32_t)rl);
    n = ip_tcp(ipbuf, s, c, 53, cp, si + 1, ci + 1 + (uint32_t)ql + 2, TH_PSH | TH_ACK, d, rl + 2);
    send_ip(ts, ipbuf, n, 0);
    uint32_t cs = ci + 1 + (uint32_t)ql + 2, ss = si + 1 + (uint32_t)rl + 2;
    ts += NS(0.00008);
    n = ip_tcp(ipbuf, c, s, cp, 53, cs, ss, TH_FIN | TH_ACK, NULL, 0);
    send_ip(ts, ipbuf, n, 1);
    ts += NS(net);
    n = ip_tcp(ipbuf, s, c, 53, cp, ss, cs + 1, TH_FIN | TH_ACK, NULL, 0);
    send_ip(ts, ipbuf, n, 0);
    ts += NS(0.00003);
    n = ip_tcp(ipbuf, c, s, cp, 53, cs + 1, ss + 1, TH_ACK, NULL, 0);
    send_ip(ts, ipbuf, n, 1);
}

/* ---- the realistic mix ------------------------------------------------- */

enum { K_ANSWERED, K_RETRANSMITTED, K_NXDOMAIN, K_SERVFAIL, K_REJECTED, K_UNANSWERED, K_TCP,
       K_TC_RETRY, K_COUNT };
static const char *KIND_NAME[K_COUNT] = { "answered", "retransmitted_then_answered", "nxdomain",
    "servfail", "rejected", "unanswered", "tcp", "tc_then_tcp" };
/* Percent of transactions of each kind (MIX). */
static const int KIND_PCT[K_COUNT] = { 70, 5, 8, 2, 5, 3, 4, 3 };
static uint64_t kind_count[K_COUNT], rejected_v6, rejected_short, rejected_router;

static void
mix_txn(uint64_t ts)
{
    uint32_t k = rnd(100), acc = 0;
    int kind = 0;
    for (; kind < K_COUNT - 1; kind++) {
        acc += (uint32_t)KIND_PCT[kind];
        if (k < acc)
            break;
    }
    kind_count[kind]++;
    int six = rnd(100) < 25;
    const addr *c = six ? &clients6[rnd(CLIENTS6)] : &clients4[rnd(CLIENTS4)];
    const addr *s = six ? &srv6[rnd(2)] : &srv4[rnd(4)];
    uint16_t cp = eph_port();
    dnsmsg q = { (uint16_t)rnd(65536), NULL, pick_qtype(), 0, 0, 0, 0, 0 };
    q.name = (kind == K_NXDOMAIN) ? nxnames[rnd(NXNAMES)] : pick_name();
    if (kind == K_TC_RETRY)
        q.qtype = rnd(2) ? T_TXT : T_A;
    dnsmsg r = q;
    r.response = 1;
    if (q.qtype == T_A || q.qtype == T_AAAA)
        r.answers = 1 + (int)rnd(4);
    else
        r.soa = 1;                          /* NOERROR, no data */

    switch (kind) {
    case K_ANSWERED:
        udp_query(ts, c, s, cp, &q, NULL);
        udp_response(ts + NS(server_rtt()), c, s, cp, &r);
        break;
    case K_RETRANSMITTED: {
        int attempts = 2 + (int)rnd(2);
        double gap = rnd(2) ? 1.0 : 2.0;
        for (int i = 0; i < attempts; i++)
            udp_query(ts + NS(gap * i + rndf() * 0.002), c, s, cp, &q, NULL);
        udp_response(ts + NS(gap * (attempts - 1) + 0.003 + server_rtt()), c, s, cp, &r);
        break;
    }
    case K_NXDOMAIN:
    case K_SERVFAIL:
        r.rcode = kind == K_NXDOMAIN ? 3 : 2;
        r.answers = 0;
        r.soa = kind == K_NXDOMAIN;
        udp_query(ts, c, s, cp, &q, NULL);
        udp_response(ts + NS(server_rtt() + (kind == K_SERVFAIL ? 0.1 + rndf() * 2 : 0)), c, s,
                     cp, &r);
        break;
    case K_REJECTED: {
        uint8_t quote[2048];
        int router = rnd(100) < 30;
        const addr *dst = six ? (router ? &blocked6 : &dead6) : (router ? &blocked4 : &dead4);
        const addr *rep = router ? (six ? &router6 : &router4) : dst;
        size_t ql = udp_query(ts, c, dst, cp, &q, quote);
        int shortq = rnd(100) < 30;
        if (shortq)
            ql = (six ? 40 : 20) + 8;       /* RFC 792 minimum: header + 8 bytes */
        uint8_t type, code;
        if (six) {
            type = 1;
            code = router ? 1 : 4;          /* admin prohibited / port unreachable */
        } else {
            type = 3;
            code = router ? 13 : 3;         /* communication prohibited / port unreachable */
        }
        size_t n = ip_icmp(ipbuf, rep, c, type, code, quote, ql);
        send_ip(ts + NS(router ? 0.0004 : 0.0002 + rndf() * 0.002), ipbuf, n, 0);
        rejected_v6 += six;
        rejected_short += shortq;
        rejected_router += router;
        break;
    }
    case K_UNANSWERED: {
        int attempts = 1 + (int)rnd(3);
        for (int i = 0; i < attempts; i++)
            udp_query(ts + NS(2.0 * i), c, s, cp, &q, NULL);
        break;
    }
    case K_TCP:
        tcp_exchange(ts, c, s, &q, &r);
        break;
    case K_TC_RETRY: {
        dnsmsg tr = r;
        tr.tc = 1;
        tr.answers = 0;
        tr.soa = 0;
        udp_query(ts, c, s, cp, &q, NULL);
        double rtt = server_rtt();
        udp_response(ts + NS(rtt), c, s, cp, &tr);
        dnsmsg q2 = q, r2 = r;
        q2.id = r2.id = (uint16_t)rnd(65536);
        r2.answers = 3 + (int)rnd(6);       /* too many for 512 bytes of UDP */
        r2.soa = 0;
        tcp_exchange(ts + NS(rtt + 0.0005), c, s, &q2, &r2);
        break;
    }
    }
}

/* ---- no DNS at all ------------------------------------------------------ */

static uint64_t nodns_count[4];

static void
nodns_unit(uint64_t ts)
{
    uint32_t k = rnd(100);
    int six = rnd(100) < 25;
    const addr *c = six ? &clients6[rnd(CLIENTS6)] : &clients4[rnd(CLIENTS4)];
    size_t n;
    if (k < 50) {                       /* a short TLS connection */
        nodns_count[0]++;
        addr s = six ? v6(P6_WEB, 1 + rnd(50)) : v4(192, 0, 2, 1 + (int)rnd(50));
        uint16_t cp = eph_port();
        uint32_t cs = (uint32_t)rnd64(), ss = (uint32_t)rnd64();
        double net = 0.001 + rnd_exp(0.02);
        n = ip_tcp(ipbuf, c, &s, cp, 443, cs, 0, TH_SYN, NULL, 0);
        send_ip(ts, ipbuf, n, 1);
        ts += NS(net);
        n = ip_tcp(ipbuf, &s, c, 443, cp, ss, cs + 1, TH_SYN | TH_ACK, NULL, 0);
        send_ip(ts, ipbuf, n, 0);
        cs++; ss++;
        int records = 3 + (int)rnd(6);
        for (int i = 0; i < records; i++) {
            int up = i % 2 == 0;
            uint8_t d[400];
            size_t l = 40 + rnd(200);
            d[0] = 0x17; d[1] = 3; d[2] = 3;
            be16(d + 3, (uint32_t)(l - 5));
            for (size_t j = 5; j < l; j++)
                d[j] = (uint8_t)rnd(256);
            ts += NS(up ? 0.0001 : net);
            if (up) {
                n = ip_tcp(ipbuf, c, &s, cp, 443, cs, ss, TH_PSH | TH_ACK, d, l);
                cs += (uint32_t)l;
            } else {
                n = ip_tcp(ipbuf, &s, c, 443, cp, ss, cs, TH_PSH | TH_ACK, d, l);
                ss += (uint32_t)l;
            }
            send_ip(ts, ipbuf, n, up);
        }
        ts += NS(0.0001);
        n = ip_tcp(ipbuf, c, &s, cp, 443, cs, ss, TH_FIN | TH_ACK, NULL, 0);
        send_ip(ts, ipbuf, n, 1);
        ts += NS(net);
        n = ip_tcp(ipbuf, &s, c, 443, cp, ss, cs + 1, TH_FIN | TH_ACK, NULL, 0);
        send_ip(ts, ipbuf, n, 0);
        ts += NS(0.0001);
        n = ip_tcp(ipbuf, c, &s, cp, 443, cs + 1, ss + 1, TH_ACK, NULL, 0);
        send_ip(ts, ipbuf, n, 1);
    } else if (k < 80) {                /* NTP */
        nodns_count[1]++;
        addr s = six ? v6(P6_WEB, 0x123) : v4(10, 123, 0, 1);
        uint8_t d[48];
        memset(d, 0, sizeof d);
        d[0] = 0x23;                    /* v4, client */
        for (int i = 40; i < 48; i++)
            d[i] = (uint8_t)rnd(256);
        uint16_t cp = eph_port();
        n = ip_udp(ipbuf, c, &s, cp, 123, d, 48);
        send_ip(ts, ipbuf, n, 1);
        d[0] = 0x24;                    /* server */
        d[1] = 2;
        for (int i = 16; i < 40; i++)
            d[i] = (uint8_t)rnd(256);
        n = ip_udp(ipbuf, &s, c, 123, cp, d, 48);
        send_ip(ts + NS(0.001 + rnd_exp(0.01)), ipbuf, n, 0);
    } else if (k < 98) {                /* ping */
        nodns_count[2]++;
        addr s = six ? v6(P6_WEB, 1 + rnd(50)) : v4(192, 0, 2, 1 + (int)rnd(50));
        uint16_t id = (uint16_t)rnd(65536), seq = (uint16_t)rnd(100);
        n = ip_echo(ipbuf, c, &s, 0, id, seq);
        send_ip(ts, ipbuf, n, 1);
        n = ip_echo(ipbuf, &s, c, 1, id, seq);
        send_ip(ts + NS(0.001 + rnd_exp(0.02)), ipbuf, n, 0);
    } else {                            /* traceroute probe and its ICMP error */
        nodns_count[3]++;
        addr s = six ? v6(P6_WEB, 1 + rnd(50)) : v4(192, 0, 2, 1 + (int)rnd(50));
        uint8_t d[32], quote[128];
        memset(d, 0, sizeof d);
        n = ip_udp(ipbuf, c, &s, eph_port(), (uint16_t)(33434 + rnd(30)), d, sizeof d);
        send_ip(ts, ipbuf, n, 1);
        memcpy(quote, ipbuf, n);
        n = ip_icmp(ipbuf, &s, c, six ? 1 : 3, six ? 4 : 3, quote, n);
        send_ip(ts + NS(0.001 + rnd_exp(0.02)), ipbuf, n, 0);
    }
}

/* ---- hostile scenarios -------------------------------------------------- */

/* FNV-1a, byte by byte, as tracker.c's key_hash before the rewrite. */
#define FNV_PRIME 16777619u
#define FNV_BASIS 2166136261u

static uint32_t
fnv_step(uint32_t h, uint8_t b)
{
    return (h ^ b) * FNV_PRIME;
}

static uint32_t
inv32(uint32_t a)       /* inverse of an odd number mod 2^32 (Newton) */
{
    uint32_t x = a;
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

typedef struct { uint32_t v; uint16_t b01; } fwd;

static int
u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int
fwd_cmp(const void *a, const void *b)
{
    uint32_t x = ((const fwd *)a)->v, y = ((const fwd *)b)->v;
    return x < y ? -1 : x > y;
}

/* Up to `want` 5-byte blocks taking the FNV state from `from` to `to`
 * (meet in the middle: 2 bytes forward, 3 bytes backward). */
static int
fnv_blocks(uint32_t from, uint32_t to, uint8_t (*outb)[5], int want)
{
    static fwd table[65536];
    for (int b0 = 0; b0 < 256; b0++)
        for (int b1 = 0; b1 < 256; b1++) {
            fwd *f = &table[b0 << 8 | b1];
            f->v = fnv_step(fnv_step(from, (uint8_t)b0), (uint8_t)b1);
            f->b01 = (uint16_t)(b0 << 8 | b1);
        }
    qsort(table, 65536, sizeof *table, fwd_cmp);
    uint32_t pinv = inv32(FNV_PRIME);
    uint32_t u = to * pinv;         /* state ^ b4 must be u */
    int got = 0;
    for (int l = 0; l < 256 && got < want; l++) {
        uint32_t x = (u & ~0xffu) | (uint32_t)l;
        uint8_t b4 = (uint8_t)(x ^ u);
        for (int b3 = 0; b3 < 256 && got < want; b3++) {
            uint32_t w = (x * pinv) ^ (uint32_t)b3;
            for (int b2 = 0; b2 < 256 && got < want; b2++) {
                uint32_t v = (w * pinv) ^ (uint32_t)b2;
                size_t lo = 0, hi = 65536;
                while (lo < hi) {
                    size_t mid = (lo + hi) / 2;
                    if (table[mid].v < v)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (; lo < 65536 && table[lo].v == v && got < want; lo++) {
                    uint8_t *o = outb[got++];
                    o[0] = (uint8_t)(table[lo].b01 >> 8);
                    o[1] = (uint8_t)table[lo].b01;
                    o[2] = (uint8_t)b2;
                    o[3] = (uint8_t)b3;
                    o[4] = b4;
                }
            }
        }
    }
    return got;
}

/* The old dm_key (x86-64 layout): transport u32 @0, client {family @4,
 * bytes @5..20}, server {family @21, bytes @22..37}, client_port @38,
 * server_port @40 (host order), pad, id @44, with_id @46, pad @47. */
static uint32_t
old_key_hash(const addr *client, const addr *server, uint16_t cport, uint16_t sport, uint16_t id,
             int with_server, int with_id)
{
    uint8_t k[48];
    memset(k, 0, sizeof k);
    k[4] = client->fam;
    memcpy(k + 5, client->b, 16);
    if (with_server) {
        k[21] = server->fam;
        memcpy(k + 22, server->b, 16);
    }
    memcpy(k + 38, &cport, 2);
    memcpy(k + 40, &sport, 2);
    if (with_id) {
        memcpy(k + 44, &id, 2);
        k[46] = 1;
    }
    uint32_t h = FNV_BASIS;
    for (int i = 0; i < 48; i++)
        h = fnv_step(h, k[i]);
    return h;
}

/* n IPv6 addresses 20xx:... whose old keys collide: the FNV state after
 * the address bytes is the same for all, and everything after them in the
 * key is the same. */
static addr *
colliding_addresses(uint64_t n)
{
    uint32_t h = FNV_BASIS;
    uint8_t prefix[6] = { 0, 0, 0, 0, 6, 0x20 };     /* UDP, family 6, first byte */
    for (int i = 0; i < 6; i++)
        h = fnv_step(h, prefix[i]);
    int need = 1;
    while ((uint64_t)need * need * need < n)
        need++;
    static uint8_t blocks[3][300][5];
    int got[3];
    for (int j = 0; j < 3; j++) {
        uint32_t target;
        do {
            target = (uint32_t)rnd64();
            got[j] = fnv_blocks(h, target, blocks[j], 300);
        } while (got[j] < need);
        h = target;
    }
    addr *a = calloc(n, sizeof *a);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t i0 = i % (uint64_t)got[0], i1 = (i / (uint64_t)got[0]) % (uint64_t)got[1];
        uint64_t i2 = i / ((uint64_t)got[0] * (uint64_t)got[1]);
        a[i].fam = 6;
        a[i].b[0] = 0x20;
        memcpy(a[i].b + 1, blocks[0][i0], 5);
        memcpy(a[i].b + 6, blocks[1][i1], 5);
        memcpy(a[i].b + 11, blocks[2][i2], 5);
    }
    /* shuffle so that neighbours in the capture differ in every block */
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = rnd64() % i;
        addr t = a[i - 1]; a[i - 1] = a[j]; a[j] = t;
    }
    return a;
}

static uint64_t distinct_hashes;

static void
hashflood(uint64_t n, int colliding, double rate)
{
    addr *clients;
    if (colliding) {
        clients = colliding_addresses(n);
    } else {
        clients = calloc(n, sizeof *clients);
        for (uint64_t i = 0; i < n; i++) {
            clients[i].fam = 6;
            clients[i].b[0] = 0x20;
            uint64_t r1 = rnd64(), r2 = rnd64();
            for (int k = 1; k < 16; k++)
                clients[i].b[k] = (uint8_t)((k < 8 ? r1 : r2) >> (8 * (k & 7)));
        }
    }
    const addr *s = &srv6[0];
    const uint16_t cp = 40000, id = 0x4242;
    /* How many distinct old key hashes (with ID: the table queries use). */
    distinct_hashes = 0;
    {
        uint32_t *v = malloc(n * sizeof *v);
        for (uint64_t i = 0; i < n; i++)
            v[i] = old_key_hash(&clients[i], s, cp, 53, id, 1, 1);
        qsort(v, n, sizeof *v, u32_cmp);
        for (uint64_t i = 0; i < n; i++)
            if (i == 0 || v[i] != v[i - 1])
                distinct_hashes++;
        free(v);
    }
    uint64_t ts = 1715644800ull * 1000000000ull;
    for (uint64_t i = 0; i < n; i++) {
        ts += NS(rnd_exp(1.0 / rate));
        dnsmsg q = { id, pick_name(), T_A, 0, 0, 0, 0, 0 };
        dnsmsg r = q;
        r.response = 1;
        r.answers = 1;
        udp_query(ts, &clients[i], s, cp, &q, NULL);
        udp_response(ts + NS(0.001), &clients[i], s, cp, &r);
        flush_until(ts);
    }
    free(clients);
}

/* Unanswered queries spread over 4 s, in order or reversed. */
static void
time_order(uint64_t n, int reversed)
{
    uint64_t t0 = 1715644800ull * 1000000000ull;
    uint64_t span = NS(4.0);
    use_direct = 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ts = t0 + span * i / (n ? n : 1);
        dnsmsg q = { (uint16_t)rnd(65536), pick_name(), pick_qtype(), 0, 0, 0, 0, 0 };
        udp_query(ts, &clients4[rnd(CLIENTS4)], &srv4[0], eph_port(), &q, NULL);
    }
    use_direct = 0;
    for (size_t i = 0; i < direct_n; i++) {
        frame *f = &direct[reversed ? direct_n - 1 - i : i];
        write_frame(f);
        free(f->data);
    }
    direct_n = 0;
}

/* n answered queries with distinct names within 4 s: one key or n keys. */
static void
many_names(uint64_t n, int same_key)
{
    uint64_t t0 = 1715644800ull * 1000000000ull;
    uint64_t span = NS(4.0);
    const addr *c = &clients4[0], *s = &srv4[0];
    char name[300];
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ts = t0 + span * i / (n ? n : 1);
        snprintf(name, sizeof name, "h%" PRIx64 ".%s", i * 2654435761u % 0xfffffffu, pick_name());
        uint16_t cp = same_key ? 41000 : (uint16_t)(1024 + i % 64000);
        uint16_t id = same_key ? 0x2222 : (uint16_t)(i * 40503u + 7);
        dnsmsg q = { id, name, T_A, 0, 0, 0, 0, 0 };
        dnsmsg r = q;
        r.response = 1;
        r.answers = 1;
        udp_query(ts, c, s, cp, &q, NULL);
        udp_response(ts + span / (n ? n : 1) / 2, c, s, cp, &r);
        flush_until(ts);
    }
}

/* Random-subdomain attack through 50 resolvers to 2 authoritative servers. */
static void
torture(uint64_t n, int distinct, double rate)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    addr resolvers[50];
    for (int i = 0; i < 50; i++)
        resolvers[i] = v4(10, 9, 0, 10 + i);
    addr auth[2] = { v4(10, 53, 1, 1), v4(10, 53, 1, 2) };
    char few[8][40];
    for (int i = 0; i < 8; i++) {
        for (int k = 0; k < 12; k++)
            few[i][k] = alnum[rnd(36)];
        strcpy(few[i] + 12, ".victim.example");
    }
    uint64_t ts = 1715644800ull * 1000000000ull;
    char name[40];
    for (uint64_t i = 0; i < n; i++) {
        ts += NS(rnd_exp(1.0 / rate));
        for (int k = 0; k < 12; k++)
            name[k] = alnum[rnd(36)];          /* drawn in both cases: same stream */
        strcpy(name + 12, ".victim.example");
        uint32_t pick = rnd(8);
        dnsmsg q = { (uint16_t)rnd(65536), distinct ? name : few[pick], rnd(2) ? T_A : T_AAAA,
                     0, 0, 0, 0, 0 };
        const addr *c = &resolvers[rnd(50)], *s = &auth[rnd(2)];
        uint16_t cp = eph_port();
        uint32_t k = rnd(10);
        udp_query(ts, c, s, cp, &q, NULL);
        if (k < 9) {
            dnsmsg r = q;
            r.response = 1;
            r.rcode = k < 7 ? 3 : 2;
            r.soa = k < 7;
            udp_response(ts + NS(0.002 + rnd_exp(0.02)), c, s, cp, &r);
        }
        flush_until(ts);
    }
}

/* A random-subdomain flood through one recursive resolver: clients ask
 * 10.9.0.53, which asks the victim's two authoritative servers the same
 * name (letter case randomised, as resolvers do); they answer NXDOMAIN,
 * SERVFAIL or nothing, and the resolver answers its client NXDOMAIN or
 * SERVFAIL. The typical twin asks 8 names: the same packets otherwise. */
static void
through_resolver(uint64_t n, int distinct, double rate)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    addr clients[200];
    for (int i = 0; i < 200; i++)
        clients[i] = v4(10, 8, (uint8_t)(i / 100), (uint8_t)(10 + i % 100));
    addr resolver = v4(10, 9, 0, 53);
    addr auth[2] = { v4(10, 53, 1, 1), v4(10, 53, 1, 2) };
    char few[8][40];
    for (int i = 0; i < 8; i++) {
        for (int k = 0; k < 12; k++)
            few[i][k] = alnum[rnd(36)];
        strcpy(few[i] + 12, ".victim.example");
    }
    uint64_t ts = 1715644800ull * 1000000000ull;
    char name[40], upper[40];
    for (uint64_t i = 0; i < n; i++) {
        ts += NS(rnd_exp(1.0 / rate));
        for (int k = 0; k < 12; k++)
            name[k] = alnum[rnd(36)];          /* drawn in both cases: same stream */
        strcpy(name + 12, ".victim.example");
        uint32_t pick = rnd(8);
        const char *asked = distinct ? name : few[pick];
        strcpy(upper, asked);
        uint64_t mask = rnd64();                /* one draw: both cases alike */
        for (int k = 0; upper[k]; k++)
            if (upper[k] >= 'a' && upper[k] <= 'z' && (mask >> (k % 64) & 1))
                upper[k] = (char)(upper[k] - 'a' + 'A');
        uint16_t type = rnd(2) ? T_A : T_AAAA;
        const addr *c = &clients[rnd(200)], *s = &auth[rnd(2)];
        uint16_t cp = eph_port(), rp = eph_port();
        dnsmsg q = { (uint16_t)rnd(65536), asked, type, 0, 0, 0, 0, 0 };
        dnsmsg uq = { (uint16_t)rnd(65536), upper, type, 0, 0, 0, 0, 0 };
        uint64_t t_up = ts + NS(0.0003), t_back;
        udp_query(ts, c, &resolver, cp, &q, NULL);
        udp_query(t_up, &resolver, s, rp, &uq, NULL);
        uint32_t k = rnd(10);
        if (k < 9) {
            dnsmsg ur = uq;
            ur.response = 1;
            ur.rcode = k < 7 ? 3 : 2;
            ur.soa = k < 7;
            t_back = t_up + NS(0.002 + rnd_exp(0.02));
            udp_response(t_back, &resolver, s, rp, &ur);
        } else {
            t_back = t_up + NS(1.0);
        }
        dnsmsg r = q;
        r.response = 1;
        r.rcode = k < 7 ? 3 : 2;
        r.soa = k < 7;
        udp_response(t_back + NS(0.0001), c, &resolver, cp, &r);
        flush_until(ts);
    }
}

/* ---- main ---------------------------------------------------------------- */

static void
usage(void)
{
    fprintf(stderr, "usage: dnsgen [-n N] [-s SEED] [-r RATE] [-p PACKETS] [-o FILE] SCENARIO\n"
                    "scenarios: mix nodns hashflood hashflood-typical backwards inorder samekey\n"
                    "           distinctkeys torture fewnames resolver-flood resolver-typical\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    uint64_t n = 10000, seed = 1, packets = 0;
    double rate = 3000;
    const char *path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "n:s:r:p:o:h")) != -1) {
        switch (opt) {
        case 'n': n = strtoull(optarg, NULL, 0); break;
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'r': rate = atof(optarg); break;
        case 'p': packets = strtoull(optarg, NULL, 0); break;
        case 'o': path = optarg; break;
        default: usage();
        }
    }
    if (optind != argc - 1 || rate <= 0)
        usage();
    const char *scn = argv[optind];
    rng_state = seed * 0x2545F4914F6CDD1Dull + 12345;
    make_hosts();
    make_names();

    out = path ? fopen(path, "wb") : stdout;
    if (!out) { perror(path); return 2; }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    write_header();

    uint64_t t0 = 1715644800ull * 1000000000ull;     /* 2024-05-14 00:00:00 UTC */
    if (!strcmp(scn, "mix")) {
        uint64_t ts = t0;
        for (uint64_t i = 0; i < n; i++) {
            ts += NS(rnd_exp(1.0 / rate));
            flush_until(ts);
            mix_txn(ts);
        }
    } else if (!strcmp(scn, "nodns")) {
        /* about as many frames as mix with the same N: 2.56 per transaction */
        frame_limit = packets ? packets : (uint64_t)(n * 2.56);
        uint64_t ts = t0;
        while (written_frames < frame_limit) {
            ts += NS(rnd_exp(1.0 / (rate / 2)));
            flush_until(ts);
            nodns_unit(ts);
        }
    } else if (!strcmp(scn, "hashflood") || !strcmp(scn, "hashflood-typical")) {
        hashflood(n, !strcmp(scn, "hashflood"), rate > 4999 ? rate : 5000);
    } else if (!strcmp(scn, "backwards") || !strcmp(scn, "inorder")) {
        time_order(n, !strcmp(scn, "backwards"));
    } else if (!strcmp(scn, "samekey") || !strcmp(scn, "distinctkeys")) {
        many_names(n, !strcmp(scn, "samekey"));
    } else if (!strcmp(scn, "torture") || !strcmp(scn, "fewnames")) {
        torture(n, !strcmp(scn, "torture"), rate > 4999 ? rate : 5000);
    } else if (!strcmp(scn, "resolver-flood") || !strcmp(scn, "resolver-typical")) {
        through_resolver(n, !strcmp(scn, "resolver-flood"), rate > 4999 ? rate : 5000);
    } else {
        usage();
    }
    flush_until(UINT64_MAX);
    if (fflush(out) != 0 || (path && fclose(out) != 0)) {
        perror("write");
        return 2;
    }

    if (path) {
        char jp[4096];
        snprintf(jp, sizeof jp, "%s.json", path);
        FILE *j = fopen(jp, "w");
        if (!j) { perror(jp); return 2; }
        fprintf(j, "{\"scenario\": \"%s\", \"seed\": %" PRIu64 ", \"n\": %" PRIu64
                   ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"seconds\": %.3f",
                scn, seed, n, written_frames, written_bytes,
                written_frames ? (double)(last_ts - first_ts) / 1e9 : 0.0);
        if (!strcmp(scn, "mix")) {
            fprintf(j, ", \"transactions\": {");
            for (int k = 0; k < K_COUNT; k++)
                fprintf(j, "%s\"%s\": %" PRIu64, k ? ", " : "", KIND_NAME[k], kind_count[k]);
            fprintf(j, "}, \"rejected_icmpv6\": %" PRIu64 ", \"rejected_short_quote\": %" PRIu64
                       ", \"rejected_by_router\": %" PRIu64, rejected_v6, rejected_short,
                    rejected_router);
        }
        if (!strcmp(scn, "nodns"))
            fprintf(j, ", \"units\": {\"tls\": %" PRIu64 ", \"ntp\": %" PRIu64 ", \"ping\": %" PRIu64
                       ", \"traceroute\": %" PRIu64 "}",
                    nodns_count[0], nodns_count[1], nodns_count[2], nodns_count[3]);
        if (!strncmp(scn, "hashflood", 9))
            fprintf(j, ", \"distinct_old_key_hashes\": %" PRIu64, distinct_hashes);
        fprintf(j, "}\n");
        fclose(j);
    }
    return 0;
}
