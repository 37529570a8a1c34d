/* dnsmon_compat.h — every Wireshark version difference dnsmon meets, in one
 * place (4.0, 4.4, 4.6). No version #if anywhere else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_COMPAT_H
#define DNSMON_COMPAT_H

#include <wireshark.h>
#include <epan/proto.h>
#include <epan/stats_tree.h>

#define DM_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* stats_tree: submenu separator and registration changed in 4.4. */
#if DM_WS_AT_LEAST(4, 4)
#define DM_STATS_MENU_SEP STATS_TREE_MENU_SEPARATOR
#define DM_STATS_TREE_REGISTER(tap, abbr, name, flags, pkt, init, cleanup, first_col) \
    do {                                                                               \
        stats_tree_cfg *dm_cfg_ = stats_tree_register_plugin(tap, abbr, name, flags,   \
                                                              pkt, init, cleanup);     \
        stats_tree_set_first_column_name(dm_cfg_, first_col);                          \
    } while (0)
#else
#define DM_STATS_MENU_SEP "/"
#define DM_STATS_TREE_REGISTER(tap, abbr, name, flags, pkt, init, cleanup, first_col) \
    stats_tree_register_plugin(tap, abbr, name, flags, pkt, init, cleanup)
#endif

/* Boolean preference variables: prefs_register_bool_preference() takes a
 * gboolean * (int) in 4.0 and a bool * in 4.4 and 4.6 (C99-types conversion
 * of 4.1 development, so 4.2 on; 4.2 itself not checked). Declare the
 * variable as dm_pref_bool. */
#if DM_WS_AT_LEAST(4, 2)
typedef bool dm_pref_bool;
#else
typedef gboolean dm_pref_bool;
#endif

/* stat_tap_ui's init callback returns bool from 4.6 on. */
#if DM_WS_AT_LEAST(4, 6)
#define DM_STAT_INIT_RET bool
#define DM_STAT_INIT_OK true
#else
#define DM_STAT_INIT_RET void
#define DM_STAT_INIT_OK
#endif

/* A data source's "Name (N bytes)" (wmem_free(NULL, ...) it): renamed
 * get_data_source_description() in 4.6. */
#if DM_WS_AT_LEAST(4, 6)
#define DM_DATA_SOURCE_TEXT(src) get_data_source_description(src)
#else
#define DM_DATA_SOURCE_TEXT(src) get_data_source_name(src)
#endif

/* wsutil/plugins.h (and plugin_describe) only exist from 4.2 on; the value
 * of WS_PLUGIN_DESC_DISSECTOR is 1 wherever it exists. */
#define DM_PLUGIN_DESC_DISSECTOR 1u

#endif

/* ======================================================================
 * A uint preference's current value by its pref_t (extract.c reads the DNS
 * dissector's retransmission timer): prefs_get_uint_value_real() up to 4.4,
 * renamed prefs_get_uint_value() in 4.6. Both are in the private
 * epan/prefs-int.h: only a file that defines DM_WANT_PREF_VALUE gets it.
 * ====================================================================== */
#if defined(DM_WANT_PREF_VALUE) && !defined(DNSMON_COMPAT_PREF_VALUE_H)
#define DNSMON_COMPAT_PREF_VALUE_H
#include <epan/prefs-int.h>
#if DM_WS_AT_LEAST(4, 6)
#define DM_PREF_UINT(pref) prefs_get_uint_value((pref), pref_current)
#else
#define DM_PREF_UINT(pref) prefs_get_uint_value_real((pref), pref_current)
#endif
#endif

/* ======================================================================
 * Plugin registration ABI. Only for plugin/plugin.c, which defines
 * DM_WANT_PLUGIN_ABI before including this header. Kept apart from the
 * rest of this header (packaging, issue 12).
 *
 * 4.0 to 4.6: the loader (wsutil/plugins.c) looks for plugin_version,
 * plugin_want_major and plugin_want_minor (which must equal its own
 * major.minor), plugin_register and, from 4.2 on, plugin_describe.
 *
 * Wireshark's development branch after 4.6 replaces all of them with one
 * exported function, wireshark_load_module(), written by the macro
 * WIRESHARK_PLUGIN_REGISTER_EPAN(module, api_level) of <wsutil/plugins.h>.
 * It hands the loader an ABI number (WIRESHARK_ABI_VERSION_EPAN, compared
 * instead of major.minor) and a struct ws_module: flags, version, the SPDX
 * licence identifier, a home URL, a one-line blurb and the registration
 * callback. The loader also wants the file named dnsmon.so.<ABI number>
 * (WiresharkConfig.cmake's Wireshark_PLUGIN_SUFFIX_EPAN).
 * DM_PLUGIN_NEW_ABI is 1 where that macro exists, 0 elsewhere.
 * ====================================================================== */
#if defined(DM_WANT_PLUGIN_ABI) && !defined(DNSMON_COMPAT_PLUGIN_ABI_H)
#define DNSMON_COMPAT_PLUGIN_ABI_H

#include <wireshark.h>
/* Not installed by 4.0; installed, without the new macro, by 4.4 and 4.6. */
#if defined(__has_include)
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
#endif
#endif

#if defined(WIRESHARK_PLUGIN_REGISTER_EPAN)
#define DM_PLUGIN_NEW_ABI 1
#else
#define DM_PLUGIN_NEW_ABI 0
#endif

/* What every source file says in its SPDX line. */
#define DM_PLUGIN_SPDX_ID "GPL-2.0-or-later"

/* DM_PLUGIN_EXPORTS(fn, version, blurb): the symbols the loader looks for,
 * all calling fn() to register the protocol. */
#if DM_PLUGIN_NEW_ABI
/* One exported function hands the loader this description; the loader
 * checks the ABI number the macro puts in, not major.minor. */
#define DM_PLUGIN_EXPORTS(fn, ver, text)                                        \
    static struct ws_module dm_plugin_module = {                               \
        .flags = DM_PLUGIN_DESC_DISSECTOR,                                     \
        .version = ver,                                                        \
        .spdx_id = DM_PLUGIN_SPDX_ID,                                          \
        .home_url = "",                                                        \
        .blurb = text,                                                         \
        .register_cb = fn,                                                     \
    };                                                                         \
    WIRESHARK_PLUGIN_REGISTER_EPAN(&dm_plugin_module, 0)
#else
/* 4.0 to 4.6: plugin_describe is ignored by 4.0, shown as "dissector" by
 * 4.2 and later. */
#define DM_PLUGIN_EXPORTS(fn, ver, text)                                        \
    WS_DLL_PUBLIC_DEF const char plugin_version[] = ver;                       \
    WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;   \
    WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;   \
    WS_DLL_PUBLIC void plugin_register(void);                                  \
    WS_DLL_PUBLIC uint32_t plugin_describe(void);                              \
    uint32_t plugin_describe(void) { return DM_PLUGIN_DESC_DISSECTOR; }        \
    void plugin_register(void) { fn(); }
#endif

#endif
