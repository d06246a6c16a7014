/* fuzz_query: libFuzzer target over the AWS Query protocol's parameter
 * parser (controlplane/core/query.c), which every API request body (and
 * GET query string) goes through before any handler sees it.
 *
 * Each input is a raw request body. params_parse must either refuse it
 * with a coded error and a message, or give a set whose every name is
 * non-empty and found again by lookup. Then the readers the handlers use
 * run over it: paging, typed getters, and, for every dotted name, the
 * list and structure-list readers at the prefixes it suggests
 * (Name.member.N, Filters.Filter.N.Name / .Values.Value.M,
 * Tags.Tag.N.Key). A list reader's count must agree with its array and a
 * structure list's members 1..n must all be there. Any violation aborts
 * (a crash for libFuzzer); ASan/UBSan catch the rest.
 *
 * The oracle, fuzz_query_check, is shared with the unit test that replays
 * fuzz/corpus/query in `make check` (tests/unit/controlplane/
 * test_fuzz_query.c includes this file with FUZZ_NO_ENTRY defined). */
#include "fuzz/oracle.h"
#include "controlplane/core/query.h"
#include "lib/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dotted names whose prefixes are tried as lists, per input: bounds the
 * work to O(FUZZ_QUERY_PREFIXES x pairs). */
#define FUZZ_QUERY_PREFIXES 64

/* An error from a refusing reader must carry a code and a message. */
static const char *fuzz_err_ok(const awserr *e)
{
    if (e->code == AWSERR_NONE || e->message[0] == '\0')
        return "a reader refused without a code or a message";
    int st = awserr_http_status(e->code);
    if (st < 400 || st > 599 || awserr_wire_code(e->code) == NULL)
        return "a refusal maps to no 4xx/5xx status or wire code";
    return NULL;
}

/* Is there a name starting with "<prefix>.<item>.<i>."? */
static bool fuzz_has_member(const params *p, const char *prefix, const char *item, int i)
{
    char want[600];
    int n = snprintf(want, sizeof want, "%s.%s.%d.", prefix, item, i);
    if (n < 0 || (size_t)n >= sizeof want)
        return true; /* too long to check here; the reader found it */
    for (size_t k = 0; k < params_count(p); k++)
        if (strncmp(params_name_at(p, k), want, (size_t)n) == 0)
            return true;
    return false;
}

/* The list and structure-list readers at (prefix, item). */
static const char *fuzz_lists_at(const params *p, const char *prefix, const char *item)
{
    awserr e = {0};
    const char **items = NULL;
    int n = params_get_list(p, prefix, item, &items, &e);
    if (n < 0) {
        if (items != NULL)
            return "params_get_list failed but left an array";
        const char *why = fuzz_err_ok(&e);
        if (why)
            return why;
    } else {
        if (items == NULL || items[n] != NULL)
            return "params_get_list's array is not NULL-terminated at its count";
        for (int i = 0; i < n; i++)
            if (items[i] == NULL)
                return "params_get_list left a hole in 1..count";
        free(items);
    }
    memset(&e, 0, sizeof e);
    int m = params_count_structs(p, prefix, item, &e);
    if (m < 0)
        return fuzz_err_ok(&e);
    if (m > QUERY_MAX_PARAMS)
        return "params_count_structs counted more members than pairs allowed";
    for (int i = 1; i <= m; i++)
        if (!fuzz_has_member(p, prefix, item, i))
            return "params_count_structs counted a member that has no field";
    return NULL;
}

/* The readers of the prefixes a dotted name suggests: for
 * "A.B.3.C.D.1" the lists (A, B) and (A.B.3.C, D). */
static const char *fuzz_lists_of(const params *p, const char *name)
{
    const char *d1 = strchr(name, '.');
    if (!d1)
        return NULL;
    const char *d2 = strchr(d1 + 1, '.');
    size_t plen = (size_t)(d1 - name);
    size_t ilen = d2 ? (size_t)(d2 - d1 - 1) : strlen(d1 + 1);
    char prefix[512], item[512];
    if (plen >= sizeof prefix || ilen >= sizeof item)
        return NULL;
    memcpy(prefix, name, plen);
    prefix[plen] = '\0';
    memcpy(item, d1 + 1, ilen);
    item[ilen] = '\0';
    const char *why = fuzz_lists_at(p, prefix, item);
    if (why || !d2)
        return why;
    /* A list inside a structure: A.B.N.C.D.M. */
    const char *d3 = strchr(d2 + 1, '.');
    const char *d4 = d3 ? strchr(d3 + 1, '.') : NULL;
    const char *d5 = d4 ? strchr(d4 + 1, '.') : NULL;
    if (!d4 || !d5)
        return NULL;
    plen = (size_t)(d4 - name);
    ilen = (size_t)(d5 - d4 - 1);
    if (plen >= sizeof prefix || ilen >= sizeof item)
        return NULL;
    memcpy(prefix, name, plen);
    prefix[plen] = '\0';
    memcpy(item, d4 + 1, ilen);
    item[ilen] = '\0';
    return fuzz_lists_at(p, prefix, item);
}

/* The fixed readers the Describe* and Create* handlers use. */
static const char *fuzz_fixed_readers(const params *p)
{
    awserr e = {0};
    int64_t max = -1, off = -1;
    if (params_get_paging(p, &max, &off, &e)) {
        if (max < QUERY_MIN_RECORDS || max > QUERY_MAX_RECORDS || off < 0 ||
            off > QUERY_MARKER_MAX)
            return "params_get_paging accepted an out-of-range MaxRecords or Marker";
    } else if (fuzz_err_ok(&e)) {
        return fuzz_err_ok(&e);
    }
    memset(&e, 0, sizeof e);
    bool b = false, present = false;
    if (!params_get_bool(p, "MultiAZ", &b, &present, &e) && fuzz_err_ok(&e))
        return fuzz_err_ok(&e);
    memset(&e, 0, sizeof e);
    int64_t v = 0;
    if (params_get_int(p, "AllocatedStorage", 20, 65536, &v, &present, &e)) {
        if (present && (v < 20 || v > 65536))
            return "params_get_int accepted a value out of its range";
    } else if (fuzz_err_ok(&e)) {
        return fuzz_err_ok(&e);
    }
    memset(&e, 0, sizeof e);
    if (params_require(p, "Action", &e) == NULL && fuzz_err_ok(&e))
        return fuzz_err_ok(&e);
    /* Filters and Tags as the handlers read them. */
    memset(&e, 0, sizeof e);
    int nf = params_count_structs(p, "Filters", "Filter", &e);
    for (int i = 1; i <= nf; i++) {
        char vname[64];
        snprintf(vname, sizeof vname, "Filters.Filter.%d.Values", i);
        (void)params_get_struct_field(p, "Filters", "Filter", i, "Name");
        const char *why = fuzz_lists_at(p, vname, "Value");
        if (why)
            return why;
    }
    memset(&e, 0, sizeof e);
    int nt = params_count_structs(p, "Tags", "Tag", &e);
    for (int i = 1; i <= nt; i++) {
        (void)params_get_struct_field(p, "Tags", "Tag", i, "Key");
        (void)params_get_struct_field(p, "Tags", "Tag", i, "Value");
    }
    return NULL;
}

/* NULL when every rule holds for this body, else what broke. */
static const char *fuzz_query_check(const uint8_t *data, size_t size)
{
    awserr err = {0};
    params *p = params_parse((const char *)data, size, &err);
    if (p == NULL)
        return fuzz_err_ok(&err);
    const char *why = NULL;
    if (err.code != AWSERR_NONE)
        why = "params_parse succeeded but set an error";
    size_t n = params_count(p);
    if (!why && n > QUERY_MAX_PARAMS)
        why = "params_parse kept more than QUERY_MAX_PARAMS pairs";
    size_t tried = 0;
    for (size_t i = 0; !why && i < n; i++) {
        const char *name = params_name_at(p, i);
        if (name == NULL || name[0] == '\0')
            why = "a parsed name is empty";
        else if (params_get(p, name) == NULL)
            why = "a parsed name is not found by params_get";
        else if (strchr(name, '.') && tried++ < FUZZ_QUERY_PREFIXES)
            why = fuzz_lists_of(p, name);
    }
    if (!why && params_name_at(p, n) != NULL)
        why = "params_name_at answers past the end";
    if (!why)
        why = fuzz_fixed_readers(p);
    params_free(p);
    return why;
}

FUZZ_ORACLE_MAIN("fuzz_query", fuzz_query_check)
