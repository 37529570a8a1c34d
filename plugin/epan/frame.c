/* frame.c — reading one frame; see dnsmon_frame.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/tvbuff.h>

#include "dnsmon_compat.h"
#include "dnsmon_frame.h"
#include "dnsmon_parse.h"

static guint32 frame_offset;

void
dnsmon_frame_set_offset(guint32 frames)
{
    frame_offset = frames;
}

guint32
dnsmon_frame_num(const packet_info *pinfo)
{
    return pinfo->num <= G_MAXUINT32 - frame_offset ? pinfo->num + frame_offset : G_MAXUINT32;
}

guint32
dnsmon_frame_session_num(guint32 num)
{
    return num > frame_offset ? num - frame_offset : 0;
}

gboolean
dnsmon_pinfo_addr(const address *a, dm_addr *out)
{
    memset(out, 0, sizeof *out);
    if (a->type == AT_IPv4 && a->len == 4) {
        out->family = 4;
        memcpy(out->bytes, a->data, 4);
        return TRUE;
    }
    if (a->type == AT_IPv6 && a->len == 16) {
        out->family = 6;
        memcpy(out->bytes, a->data, 16);
        return TRUE;
    }
    return FALSE;
}

dm_time
dnsmon_packet_time(const packet_info *pinfo)
{
    return dm_time_from((gint64)pinfo->abs_ts.secs, pinfo->abs_ts.nsecs);
}

/* The bytes of a data source. */
const guint8 *
dnsmon_source_bytes(const struct data_source *src, gsize *len)
{
    tvbuff_t *tvb = get_data_source_tvb(src);
    *len = tvb ? (gsize)tvb_captured_length(tvb) : 0;
    return *len ? tvb_get_ptr(tvb, 0, (gint)*len) : NULL;
}

gboolean
dnsmon_source_is(const struct data_source *src, const char *name)
{
    /* "Decrypted TLS (130 bytes)": the name, then the size. */
    char *text = DM_DATA_SOURCE_TEXT(src);
    gsize n = strlen(name);
    gboolean is = text && strncmp(text, name, n) == 0 && (text[n] == '\0' || text[n] == ' ');
    wmem_free(NULL, text);
    return is;
}

gboolean
dnsmon_feed_dns(dm_tracker *tr, const packet_info *pinfo, const guint8 *p, gsize len,
                dm_transport transport, const dm_addr *src, const dm_addr *dst,
                guint16 sport, guint16 dport, gboolean have_id, guint16 id)
{
    static dm_dns_parsed d;
    if (!dm_parse_dns(p, len, TRUE, &d))
        return FALSE;   /* not even a DNS header: nothing to follow */
    dm_dns_msg m;
    memset(&m, 0, sizeof m);
    m.frame = dnsmon_frame_num(pinfo);
    m.ts = dnsmon_packet_time(pinfo);
    m.id = have_id ? id : d.id;
    m.opcode = d.opcode;
    if (d.has_question) {
        m.q.name = d.name;
        m.q.type = d.qtype;
        m.q.klass = d.qclass;
    }
    m.bad_question = d.bad_question;
    m.rd = d.rd;
    m.flow.transport = transport;
    if (d.qr) {
        m.flow.client = *dst;
        m.flow.server = *src;
        m.flow.client_port = dport;
        m.flow.server_port = sport;
        m.rcode = d.rcode;
        m.ancount = d.ancount;
        m.tc = d.tc;
        m.has_ede = d.has_ede;
        m.ede_code = d.ede_code;
        m.ede_text = d.ede_text;
        m.aa = d.aa;
        m.ns_in_authority = d.ns_in_authority;
        m.cname_only = d.cname_only;
        m.n_learned = d.n_learned;
        for (guint i = 0; i < d.n_learned; i++)
            m.learned[i] = d.learned[i];
        dm_tracker_response(tr, &m);
    } else {
        m.flow.client = *src;
        m.flow.server = *dst;
        m.flow.client_port = sport;
        m.flow.server_port = dport;
        dm_tracker_query(tr, &m);
    }
    return TRUE;
}


/* DNS over TCP or TLS: complete length-prefixed messages from the start; FALSE if
 * the first one is not (a segment in the middle of a message). */
gboolean
dnsmon_feed_stream(dm_tracker *tr, const packet_info *pinfo, const guint8 *p, gsize len,
                   dm_transport transport, const dm_addr *src, const dm_addr *dst,
                   guint16 sport, guint16 dport)
{
    gsize off = 0;
    while (off + 2 + 12 <= len) {
        gsize n = (gsize)(p[off] << 8 | p[off + 1]);
        if (n < 12 || off + 2 + n > len)
            break;
        dnsmon_feed_dns(tr, pinfo, p + off + 2, n, transport, src, dst, sport, dport, FALSE, 0);
        off += 2 + n;
    }
    return off > 0;
}
