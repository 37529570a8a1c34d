/* dnsmon_render.h — fields and expert info of one frame, on every pass
 * (plugin/epan/render.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_RENDER_H
#define DNSMON_RENDER_H

#include <epan/packet.h>

#include "dnsmon_engine.h"

/* The hf, ett and ei arrays (from proto_register_dnsmon). */
void dnsmon_render_register(int proto);
void dnsmon_render_frame(const dnsmon_view *v, tvbuff_t *tvb, packet_info *pinfo,
                         proto_tree *tree);

#endif
