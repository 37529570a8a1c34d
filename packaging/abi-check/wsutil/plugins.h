/* A stand-in for <wsutil/plugins.h> of Wireshark's development branch after
 * 4.6, cut down to what a plugin uses. It is not Wireshark's file: it is
 * written here from the description of the new plugin ABI (one exported
 * wireshark_load_module() that reports an ABI number, a minimum API level
 * and a struct ws_module) so that `scripts/package --check` can compile
 * plugin/epan/plugin.c's DM_PLUGIN_NEW_ABI branch before that Wireshark exists as
 * a Debian package. Found first on the include path, it hides the real
 * wsutil/plugins.h of 4.4 and 4.6.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DNSMON_ABI_CHECK_PLUGINS_H
#define DNSMON_ABI_CHECK_PLUGINS_H

#include <wireshark.h>

#ifndef WIRESHARK_ABI_VERSION_EPAN
#define WIRESHARK_ABI_VERSION_EPAN 1
#endif

typedef enum {
    WS_PLUGIN_NONE,
    WS_PLUGIN_EPAN,
    WS_PLUGIN_WIRETAP,
    WS_PLUGIN_CODEC
} plugin_type_e;

#define WS_PLUGIN_DESC_DISSECTOR (1UL << 0)

struct ws_module {
    uint32_t flags;
    const char *version;
    const char *spdx_id;
    const char *home_url;
    const char *blurb;
    void (*register_cb)(void);
};

#define WIRESHARK_PLUGIN_REGISTER(kind, module_, level_)                       \
    WS_DLL_PUBLIC plugin_type_e                                                \
    wireshark_load_module(int *abi_out, int *level_out,                        \
                          struct ws_module **module_out)                       \
    {                                                                          \
        if (abi_out != NULL)                                                   \
            *abi_out = WIRESHARK_ABI_VERSION_##kind;                           \
        if (level_out != NULL)                                                 \
            *level_out = (level_);                                             \
        if (module_out != NULL)                                                \
            *module_out = (module_);                                           \
        return WS_PLUGIN_##kind;                                               \
    }

#define WIRESHARK_PLUGIN_REGISTER_EPAN(module_, level_) \
    WIRESHARK_PLUGIN_REGISTER(EPAN, module_, level_)

#endif
