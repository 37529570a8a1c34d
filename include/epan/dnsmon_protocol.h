/* dnsmon_protocol.h — the DNSMON protocol's registration (packet-dnsmon.c),
 * what the plugin loader calls (plugin.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_PROTOCOL_H
#define DNSMON_PROTOCOL_H

void proto_register_dnsmon(void);
void proto_reg_handoff_dnsmon(void);

#endif
