/* vocabulary_dump — prints the engine's vocabulary (names.c) as JSON, one
 * list per enumeration, for tests/test_vocabulary.py to hold the README,
 * scripts/dnsmon-load and `tshark -G fields` to.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include "dnsmon_names.h"

static void
list(const char *key, const char *const *names, gsize n, gboolean last)
{
    printf("  \"%s\": [", key);
    for (gsize i = 0; i < n; i++)
        printf("%s\"%s\"", i ? ", " : "", names[i]);
    printf("]%s\n", last ? "" : ",");
}

int
main(void)
{
    gsize n;
    const char *reporters[DM_REPORTER_COUNT];
    for (int r = 0; r < DM_REPORTER_COUNT; r++)
        reporters[r] = dm_reporter_name((dm_reporter)r);
    printf("{\n");
    const char *const *v = dm_outcome_names(&n);
    list("outcomes", v, n, FALSE);
    v = dm_lookup_outcome_names(&n);
    list("lookup_outcomes", v, n, FALSE);
    v = dm_transport_names(&n);
    list("transports", v, n, FALSE);
    v = dm_upstream_cause_names(&n);
    list("upstream_causes", v, n, FALSE);
    v = dm_icmp_kind_names(&n);
    list("icmp_kinds", v, n, FALSE);
    list("icmp_from", reporters, DM_REPORTER_COUNT, TRUE);
    printf("}\n");
    return 0;
}
