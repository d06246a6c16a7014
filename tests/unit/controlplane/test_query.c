/* Unit tests for controlplane/query: decoding, limits, refusals, typed
 * getters and lists, each as a table of named cases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/query.h"
#include "lib/tap.h"
#include "lib/util.h"

/* ---- params_parse: accepted or refused, and with which code ---- */
static const struct {
    const char *name;
    const char *body;
    awserr_code want; /* AWSERR_NONE = accepted */
} parse_cases[] = {
    {"empty body", "", AWSERR_NONE},
    {"one pair", "Action=DescribeDBInstances", AWSERR_NONE},
    {"empty value", "DBName=", AWSERR_NONE},
    {"trailing ampersand", "Action=X&", AWSERR_NONE},
    {"value with '='", "A=b=c", AWSERR_NONE},
    {"typical botocore body",
     "Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop"
     "&VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1&Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev",
     AWSERR_NONE},
    {"utf-8 value", "Description=caf%C3%A9", AWSERR_NONE},
    {"4-byte utf-8 value", "Description=%F0%9F%98%80", AWSERR_NONE},
    {"name without '='", "Action", AWSERR_MALFORMED_QUERY_STRING},
    {"empty name", "=x", AWSERR_MALFORMED_QUERY_STRING},
    {"double ampersand", "A=1&&B=2", AWSERR_MALFORMED_QUERY_STRING},
    {"leading ampersand", "&A=1", AWSERR_MALFORMED_QUERY_STRING},
    {"encoded NUL in value", "A=x%00y", AWSERR_MALFORMED_QUERY_STRING},
    {"encoded NUL in name", "A%00B=1", AWSERR_MALFORMED_QUERY_STRING},
    {"encoded empty name", "%20=1&B=2", AWSERR_NONE},
    {"invalid utf-8 value (lone 0xFF)", "A=%FF", AWSERR_INVALID_PARAMETER_VALUE},
    {"invalid utf-8 value (overlong NUL)", "A=%C0%80", AWSERR_INVALID_PARAMETER_VALUE},
    {"invalid utf-8 value (surrogate)", "A=%ED%A0%80", AWSERR_INVALID_PARAMETER_VALUE},
    {"invalid utf-8 value (truncated)", "A=%E2%82", AWSERR_INVALID_PARAMETER_VALUE},
    {"invalid utf-8 value (above U+10FFFF)", "A=%F4%90%80%80", AWSERR_INVALID_PARAMETER_VALUE},
    {"invalid utf-8 value (raw byte)", "A=\xC3", AWSERR_INVALID_PARAMETER_VALUE},
    {"invalid utf-8 name", "A%FF=1", AWSERR_MALFORMED_QUERY_STRING},
    {"repeated name", "A=1&B=2&A=3", AWSERR_INVALID_PARAMETER_VALUE},
    {"repeated name, same value", "A=1&A=1", AWSERR_INVALID_PARAMETER_VALUE},
    {"repeated after name decoding", "A.B=1&A%2EB=2", AWSERR_INVALID_PARAMETER_VALUE},
    {"bad escape", "A=%zz", AWSERR_MALFORMED_QUERY_STRING},
    {"truncated escape", "A=ab%4", AWSERR_MALFORMED_QUERY_STRING},
    {"escape cut by the end", "A=ab%", AWSERR_MALFORMED_QUERY_STRING},
    {"bad escape in a name", "A%G1=1", AWSERR_MALFORMED_QUERY_STRING},
};

/* ---- decoding: body "V=<raw>" gives V == want ---- */
static const struct {
    const char *name;
    const char *raw;
    const char *want;
} decode_cases[] = {
    {"plus is a space (curl -d)", "a+b", "a b"},
    {"%20 is a space (botocore)", "a%20b", "a b"},
    {"%2B is a plus", "a%2Bb", "a+b"},
    {"lowercase hex", "%2b%3d", "+="},
    {"encoded ampersand", "x%26y", "x&y"},
    {"encoded equals", "x%3Dy", "x=y"},
    {"utf-8", "caf%C3%A9", "caf\xC3\xA9"},
    {"empty", "", ""},
    {"iso timestamp", "2026-09-21T14%3A13%3A20Z", "2026-09-21T14:13:20Z"},
    {"password with symbols", "p%21%23%24%25%5E%26*()", "p!#$%^&*()"},
};

/* ---- params_get_int ---- */
static const struct {
    const char *name;
    const char *value; /* NULL = parameter absent */
    int64_t min, max;
    bool ok, present;
    int64_t want;
    const char *message;
} int_cases[] = {
    {"absent leaves out untouched", NULL, 0, 10, true, false, -7, NULL},
    {"in range", "20", 20, 65536, true, true, 20, NULL},
    {"upper bound", "65536", 20, 65536, true, true, 65536, NULL},
    {"negative allowed", "-5", -10, 10, true, true, -5, NULL},
    {"below range", "19", 20, 65536, false, false, -7,
     "Invalid value '19' for parameter N: must be between 20 and 65536."},
    {"above range", "65537", 20, 65536, false, false, -7,
     "Invalid value '65537' for parameter N: must be between 20 and 65536."},
    {"word", "abc", 0, 100, false, false, -7,
     "Invalid value 'abc' for parameter N: must be an integer."},
    {"empty", "", 0, 100, false, false, -7, "Invalid value '' for parameter N: must be an integer."},
    {"fraction", "1.5", 0, 100, false, false, -7,
     "Invalid value '1.5' for parameter N: must be an integer."},
    {"trailing garbage", "12x", 0, 100, false, false, -7,
     "Invalid value '12x' for parameter N: must be an integer."},
    {"leading space", " 1", 0, 100, false, false, -7,
     "Invalid value ' 1' for parameter N: must be an integer."},
    {"int64 overflow", "99999999999999999999", 0, 100, false, false, -7,
     "Invalid value '99999999999999999999' for parameter N: must be an integer."},
    {"big but valid", "9000000000", 0, INT64_MAX, true, true, 9000000000LL, NULL},
};

/* ---- params_get_bool ---- */
static const struct {
    const char *name;
    const char *value;
    bool ok, present, want;
} bool_cases[] = {
    {"absent", NULL, true, false, false},
    {"true", "true", true, true, true},
    {"false", "false", true, true, false},
    {"TRUE", "TRUE", true, true, true},
    {"False", "False", true, true, false},
    {"yes refused", "yes", false, false, false},
    {"1 refused", "1", false, false, false},
    {"empty refused", "", false, false, false},
    {"truex refused", "truex", false, false, false},
};

/* ---- params_get_list ---- */
static const struct {
    const char *name;
    const char *body;
    const char *list, *item;
    int want;            /* count or -1 */
    const char *joined;  /* items joined with ',' */
} list_cases[] = {
    {"absent", "Action=X", "L", "member", 0, ""},
    {"bare name is an empty list", "L=", "L", "member", 0, ""},
    {"bare name with a value refused", "L=x", "L", "member", -1, NULL},
    {"one member", "L.member.1=a", "L", "member", 1, "a"},
    {"three members out of order", "L.member.3=c&L.member.1=a&L.member.2=b", "L", "member", 3,
     "a,b,c"},
    {"location name", "VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1"
                      "&VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2",
     "VpcSecurityGroupIds", "VpcSecurityGroupId", 2, "sg-1,sg-2"},
    {"ten members sort as numbers",
     "L.member.1=1&L.member.2=2&L.member.3=3&L.member.4=4&L.member.5=5&L.member.6=6"
     "&L.member.7=7&L.member.8=8&L.member.9=9&L.member.10=10",
     "L", "member", 10, "1,2,3,4,5,6,7,8,9,10"},
    {"gap refused", "L.member.1=a&L.member.3=c", "L", "member", -1, NULL},
    {"starting at 2 refused", "L.member.2=b", "L", "member", -1, NULL},
    {"zero refused", "L.member.0=a", "L", "member", -1, NULL},
    {"leading zero refused", "L.member.01=a", "L", "member", -1, NULL},
    {"non-number refused", "L.member.x=a", "L", "member", -1, NULL},
    {"negative refused", "L.member.-1=a", "L", "member", -1, NULL},
    {"huge position refused", "L.member.99999999999999999999=a", "L", "member", -1, NULL},
    {"sub-field refused in a plain list", "L.member.1.Key=a", "L", "member", -1, NULL},
    {"other item name ignored", "L.Other.1=a", "L", "member", 0, ""},
    {"similar prefix ignored", "LL.member.1=a&L.memberx.1=b", "L", "member", 0, ""},
    {"empty member value kept", "L.member.1=&L.member.2=b", "L", "member", 2, ",b"},
    {"nested list in a structure",
     "Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres"
     "&Filters.Filter.1.Values.Value.2=mysql",
     "Filters.Filter.1.Values", "Value", 2, "postgres,mysql"},
};

/* ---- params_count_structs ---- */
static const struct {
    const char *name;
    const char *body;
    int want;
} struct_cases[] = {
    {"absent", "Action=X", 0},
    {"bare name is empty", "Tags=", 0},
    {"bare name with a value refused", "Tags=x", -1},
    {"one tag", "Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev", 1},
    {"two tags", "Tags.Tag.2.Key=b&Tags.Tag.1.Key=a&Tags.Tag.1.Value=1", 2},
    {"gap refused", "Tags.Tag.1.Key=a&Tags.Tag.3.Key=c", -1},
    {"no field refused", "Tags.Tag.1=a", -1},
    {"empty field refused", "Tags.Tag.1.=a", -1},
    {"zero refused", "Tags.Tag.0.Key=a", -1},
    {"leading zero refused", "Tags.Tag.01.Key=a", -1},
    {"nested list fields count once", "Filters.Filter.1.Name=n&Filters.Filter.1.Values.Value.1=v", 1},
};

static char *join(const char **items, int n)
{
    sbuf b = {0};
    sbuf_puts(&b, "");
    for (int i = 0; i < n; i++) {
        if (i > 0)
            sbuf_putc(&b, ',');
        sbuf_puts(&b, items[i]);
    }
    return sbuf_take(&b);
}

static params *parse_str(const char *body, awserr *err)
{
    return params_parse(body, strlen(body), err);
}

static void test_parse(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        awserr e = {0};
        params *p = parse_str(parse_cases[i].body, &e);
        snprintf(name, sizeof name, "parse: %s", parse_cases[i].name);
        if (parse_cases[i].want == AWSERR_NONE) {
            ok(p != NULL, name);
            if (p == NULL)
                diag("error: %s", e.message);
        } else {
            ok(p == NULL && e.code == parse_cases[i].want, name);
            if (p != NULL || e.code != parse_cases[i].want)
                diag("code %d message %s", e.code, e.message);
        }
        params_free(p);
    }
}

static void test_decode(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        char *body = xasprintf("V=%s", decode_cases[i].raw);
        awserr e = {0};
        params *p = parse_str(body, &e);
        snprintf(name, sizeof name, "decode: %s", decode_cases[i].name);
        is_str(params_get(p, "V"), decode_cases[i].want, name);
        params_free(p);
        free(body);
    }
}

static void test_limits(void)
{
    awserr e = {0};
    /* Exactly at the body limit: accepted. */
    size_t len = QUERY_MAX_BODY;
    char *body = xmalloc(len + 2);
    memcpy(body, "A=", 2);
    memset(body + 2, 'x', len - 2);
    body[len] = 'x';
    body[len + 1] = '\0';
    params *p = params_parse(body, len, &e);
    ok(p != NULL, "limit: body of exactly QUERY_MAX_BODY bytes accepted");
    ok(p && strlen(params_get(p, "A")) == len - 2, "limit: the whole value is kept");
    params_free(p);
    p = params_parse(body, len + 1, &e);
    ok(p == NULL && e.code == AWSERR_INVALID_PARAMETER_VALUE,
       "limit: body of QUERY_MAX_BODY+1 bytes refused");
    free(body);

    /* Exactly QUERY_MAX_PARAMS pairs: accepted; one more: refused. */
    sbuf b = {0};
    for (int i = 1; i <= QUERY_MAX_PARAMS; i++)
        sbuf_printf(&b, "%sL.member.%d=%d", i > 1 ? "&" : "", i, i);
    p = params_parse(b.data, b.len, &e);
    ok(p != NULL && params_count(p) == QUERY_MAX_PARAMS, "limit: QUERY_MAX_PARAMS pairs accepted");
    const char **items = NULL;
    is_int(params_get_list(p, "L", "member", &items, &e), QUERY_MAX_PARAMS,
           "limit: a list of QUERY_MAX_PARAMS members");
    ok(items && strcmp(items[QUERY_MAX_PARAMS - 1], "1000") == 0 &&
           items[QUERY_MAX_PARAMS] == NULL,
       "limit: last member in place, array NULL-terminated");
    free(items);
    params_free(p);
    sbuf_puts(&b, "&X=1");
    p = params_parse(b.data, b.len, &e);
    ok(p == NULL && e.code == AWSERR_INVALID_PARAMETER_VALUE,
       "limit: QUERY_MAX_PARAMS+1 pairs refused");
    sbuf_free(&b);

    /* A raw NUL inside the given length. */
    p = params_parse("A=1\0B=2", 7, &e);
    ok(p == NULL && e.code == AWSERR_MALFORMED_QUERY_STRING, "raw NUL byte refused");
    /* Length shorter than the string: only len bytes are read. */
    p = params_parse("A=12345", 3, &e);
    is_str(params_get(p, "A"), "1", "only len bytes are parsed");
    params_free(p);
    p = params_parse(NULL, 0, &e);
    ok(p != NULL && params_count(p) == 0, "NULL body with len 0 is an empty request");
    params_free(p);
}

static void test_getters(void)
{
    awserr e = {0};
    params *p = parse_str("Action=CreateDBInstance&DBInstanceIdentifier=shop&DBName=&"
                          "Engine=postgres&Version=2014-10-31",
                          &e);
    ok(p != NULL, "getters: parse");
    is_str(params_get(p, "Engine"), "postgres", "get: present");
    is_str(params_get(p, "engine"), NULL, "get: names are case-sensitive");
    is_str(params_get(p, "Nope"), NULL, "get: absent");
    is_str(params_get(p, "DBName"), "", "get: empty value");
    is_str(params_get(NULL, "Engine"), NULL, "get: NULL params");
    is_str(params_get(p, "A"), NULL, "get: before first name");
    is_str(params_get(p, "Zzz"), NULL, "get: after last name");

    is_str(params_require(p, "DBInstanceIdentifier", &e), "shop", "require: present");
    ok(params_require(p, "DBName", &e) == NULL && e.code == AWSERR_MISSING_PARAMETER,
       "require: blank is missing");
    is_str(e.message, "The parameter DBName must be provided and must not be blank.",
           "require: message for blank");
    ok(params_require(p, "DBInstanceClass", &e) == NULL, "require: absent");
    is_str(e.message, "The parameter DBInstanceClass must be provided and must not be blank.",
           "require: message for absent");

    is_int(params_count(p), 5, "count");
    is_str(params_name_at(p, 0), "Action", "name_at keeps arrival order (0)");
    is_str(params_name_at(p, 1), "DBInstanceIdentifier", "name_at keeps arrival order (1)");
    is_str(params_name_at(p, 4), "Version", "name_at keeps arrival order (4)");
    is_str(params_name_at(p, 5), NULL, "name_at past the end");
    params_free(p);
    params_free(NULL);
    ok(true, "params_free(NULL) is a no-op");
}

static void test_ints(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++) {
        char *body = int_cases[i].value ? xasprintf("N=%s", int_cases[i].value) : xstrdup("X=1");
        awserr e = {0};
        params *p = parse_str(body, &e);
        int64_t out = -7;
        bool present = !int_cases[i].present;
        bool r = params_get_int(p, "N", int_cases[i].min, int_cases[i].max, &out, &present, &e);
        snprintf(name, sizeof name, "int: %s", int_cases[i].name);
        ok(r == int_cases[i].ok && (!r || present == int_cases[i].present) &&
               out == int_cases[i].want,
           name);
        if (int_cases[i].message) {
            snprintf(name, sizeof name, "int: %s: message", int_cases[i].name);
            is_str(e.message, int_cases[i].message, name);
            is_int(e.code, AWSERR_INVALID_PARAMETER_VALUE, "int: code is InvalidParameterValue");
        }
        params_free(p);
        free(body);
    }
    /* present may be NULL. */
    awserr e = {0};
    params *p = parse_str("N=5", &e);
    int64_t out = 0;
    ok(params_get_int(p, "N", 0, 10, &out, NULL, &e) && out == 5, "int: present pointer optional");
    params_free(p);
}

static void test_bools(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof bool_cases / sizeof bool_cases[0]; i++) {
        char *body = bool_cases[i].value ? xasprintf("B=%s", bool_cases[i].value) : xstrdup("X=1");
        awserr e = {0};
        params *p = parse_str(body, &e);
        bool out = false, present = !bool_cases[i].present;
        bool r = params_get_bool(p, "B", &out, &present, &e);
        snprintf(name, sizeof name, "bool: %s", bool_cases[i].name);
        ok(r == bool_cases[i].ok && (!r || (present == bool_cases[i].present &&
                                            out == bool_cases[i].want)),
           name);
        if (!r) {
            snprintf(name, sizeof name, "bool: %s: InvalidParameterValue naming B",
                     bool_cases[i].name);
            ok(e.code == AWSERR_INVALID_PARAMETER_VALUE && strstr(e.message, "parameter B") != NULL,
               name);
        }
        params_free(p);
        free(body);
    }
}

static void test_lists(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof list_cases / sizeof list_cases[0]; i++) {
        awserr e = {0};
        params *p = parse_str(list_cases[i].body, &e);
        const char **items = (const char **)&e; /* must be overwritten */
        int n = params_get_list(p, list_cases[i].list, list_cases[i].item, &items, &e);
        snprintf(name, sizeof name, "list: %s: count", list_cases[i].name);
        is_int(n, list_cases[i].want, name);
        if (n >= 0) {
            char *j = join(items, n);
            snprintf(name, sizeof name, "list: %s: items", list_cases[i].name);
            is_str(j, list_cases[i].joined, name);
            snprintf(name, sizeof name, "list: %s: NULL-terminated", list_cases[i].name);
            ok(items[n] == NULL, name);
            free(j);
        } else {
            snprintf(name, sizeof name, "list: %s: InvalidParameterValue, *out NULL",
                     list_cases[i].name);
            ok(items == NULL && e.code == AWSERR_INVALID_PARAMETER_VALUE &&
                   strstr(e.message, list_cases[i].list) != NULL,
               name);
        }
        free(items);
        params_free(p);
    }
}

static void test_structs(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof struct_cases / sizeof struct_cases[0]; i++) {
        awserr e = {0};
        params *p = parse_str(struct_cases[i].body, &e);
        const char *list = strncmp(struct_cases[i].body, "Filters", 7) == 0 ? "Filters" : "Tags";
        const char *item = strcmp(list, "Filters") == 0 ? "Filter" : "Tag";
        snprintf(name, sizeof name, "structs: %s", struct_cases[i].name);
        is_int(params_count_structs(p, list, item, &e), struct_cases[i].want, name);
        params_free(p);
    }

    awserr e = {0};
    params *p = parse_str("Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev%20box&Tags.Tag.2.Key=team", &e);
    is_int(params_count_structs(p, "Tags", "Tag", &e), 2, "structs: two tags");
    is_str(params_get_struct_field(p, "Tags", "Tag", 1, "Key"), "env", "field: 1.Key");
    is_str(params_get_struct_field(p, "Tags", "Tag", 1, "Value"), "dev box", "field: 1.Value");
    is_str(params_get_struct_field(p, "Tags", "Tag", 2, "Key"), "team", "field: 2.Key");
    is_str(params_get_struct_field(p, "Tags", "Tag", 2, "Value"), NULL, "field: 2.Value absent");
    is_str(params_get_struct_field(p, "Tags", "Tag", 0, "Key"), NULL, "field: index 0");
    is_str(params_get_struct_field(p, "Tags", "Tag", 3, "Key"), NULL, "field: index past end");
    params_free(p);
}

/* Deterministic pseudo-random bodies built from the bytes that matter to
 * the parser: no input may crash it, and whatever it accepts must obey
 * the invariants (unique names, count within limits, lists consistent). */
static void test_random_bodies(void)
{
    static const char *const atoms[] = {"&", "=", "%", "%0", "%00", "%2", "%2B", "%C3", "%A9",
                                        "%FF", "+", ".", "member", ".1", ".2", ".0", "L", "A",
                                        "Tags.Tag.", "x", "\xC3\xA9", "\xFF", "1"};
    uint32_t seed = 12345;
    int accepted = 0, crashed_invariants = 0;
    for (int round = 0; round < 5000; round++) {
        sbuf b = {0};
        sbuf_puts(&b, "");
        seed = seed * 1103515245u + 12345u;
        int n = (int)(seed >> 16) % 12;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            sbuf_puts(&b, atoms[(seed >> 16) % (sizeof atoms / sizeof atoms[0])]);
        }
        awserr e = {0};
        params *p = params_parse(b.data, b.len, &e);
        if (p != NULL) {
            accepted++;
            for (size_t i = 0; i < params_count(p); i++) {
                const char *nm = params_name_at(p, i);
                if (nm == NULL || params_get(p, nm) == NULL)
                    crashed_invariants++;
            }
            const char **items = NULL;
            int c = params_get_list(p, "L", "member", &items, &e);
            if (c >= 0) {
                for (int k = 0; k < c; k++)
                    if (items[k] == NULL)
                        crashed_invariants++;
                if (items[c] != NULL)
                    crashed_invariants++;
            }
            free(items);
            params_count_structs(p, "Tags", "Tag", &e);
        } else if (e.code == AWSERR_NONE) {
            crashed_invariants++;
        }
        params_free(p);
        sbuf_free(&b);
    }
    ok(crashed_invariants == 0, "random bodies: invariants hold for accepted, code set for refused");
    ok(accepted > 100 && accepted < 5000, "random bodies: a mix of accepted and refused");
    diag("random bodies accepted: %d of 5000", accepted);
}

/* ---- params_get_paging: MaxRecords 20..100 and an offset Marker ---- */
static void test_paging(void)
{
    static const struct {
        const char *name, *body;
        bool with_offset;
        int64_t max, offset;
        const char *error; /* NULL: accepted */
    } cases[] = {
        {"absent: 100 and 0", "", true, 100, 0, NULL},
        {"20 is the least", "MaxRecords=20", true, 20, 0, NULL},
        {"100 is the most", "MaxRecords=100", false, 100, 0, NULL},
        {"19 is refused with RDS's text", "MaxRecords=19", false, 0, 0,
         "Invalid value 19 for MaxRecords. Must be between 20 and 100"},
        {"101 is refused", "MaxRecords=101", true, 0, 0,
         "Invalid value 101 for MaxRecords. Must be between 20 and 100"},
        {"negative is refused", "MaxRecords=-5", true, 0, 0,
         "Invalid value -5 for MaxRecords. Must be between 20 and 100"},
        {"not a number", "MaxRecords=ten", true, 0, 0,
         "Invalid value 'ten' for parameter MaxRecords: must be an integer."},
        {"an offset marker", "MaxRecords=30&Marker=60", true, 30, 60, NULL},
        {"an empty marker is the start", "Marker=", true, 100, 0, NULL},
        {"a name marker is the caller's", "Marker=shop", false, 100, 0, NULL},
        {"a name marker is no offset", "Marker=shop", true, 0, 0, "Invalid Marker: shop"},
        {"a negative offset", "Marker=-1", true, 0, 0, "Invalid Marker: -1"},
        {"an offset past the limit", "Marker=2147483648", true, 0, 0,
         "Invalid Marker: 2147483648"},
        {"MaxRecords is checked before the Marker", "MaxRecords=5&Marker=x", true, 0, 0,
         "Invalid value 5 for MaxRecords. Must be between 20 and 100"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        awserr e = {0};
        params *p = params_parse(cases[i].body, strlen(cases[i].body), &e);
        int64_t max = -7, offset = -7;
        bool good = p && params_get_paging(p, &max, cases[i].with_offset ? &offset : NULL, &e);
        if (cases[i].error) {
            ok(!good && e.code == AWSERR_INVALID_PARAMETER_VALUE, cases[i].name);
            is_str(e.message, cases[i].error, cases[i].name);
            is_int(max, -7, "a refusal leaves MaxRecords untouched");
        } else {
            ok(good, cases[i].name);
            is_int(max, cases[i].max, cases[i].name);
            is_int(offset, cases[i].with_offset ? cases[i].offset : -7, cases[i].name);
        }
        params_free(p);
    }
    awserr e = {0};
    params *p = params_parse("Marker=12", 9, &e);
    int64_t off = -1;
    ok(params_get_marker_offset(p, &off, &e) && off == 12, "the Marker alone as an offset");
    params_free(p);
}

/* ---- params_form_ctype: which POSTs carry Query parameters ---- */
static void test_form_ctype(void)
{
    static const struct {
        const char *name, *ctype;
        bool want;
    } cases[] = {
        {"aws CLI / boto3 / rdsctl", "application/x-www-form-urlencoded; charset=utf-8", true},
        {"bare", "application/x-www-form-urlencoded", true},
        {"upper case", "Application/X-WWW-Form-Urlencoded", true},
        {"leading blank, blank before ';'", " application/x-www-form-urlencoded ;charset=utf-8",
         true},
        {"SNS delivery", "text/plain; charset=UTF-8", false},
        {"JSON", "application/json", false},
        {"none", NULL, false},
        {"empty", "", false},
        {"prefix of another type", "application/x-www-form-urlencodedx", false},
        {"form type as a parameter", "text/plain; x=application/x-www-form-urlencoded", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "form ctype: %s", cases[i].name);
        ok(params_form_ctype(cases[i].ctype) == cases[i].want, name);
    }
}

/* RDS's "empty means absent": a top-level "NAME=" reads as absent through
 * every getter, while list members and structure fields keep "". */
static void test_empty_absent(void)
{
    awserr e = {0};
    const char *body = "EngineVersion=&DBName=&Engine=postgres&Port=&MultiAZ=&MaxRecords=&"
                       "Marker=&DBInstanceIdentifier=&Tags.Tag.1.Key=k&Tags.Tag.1.Value=&"
                       "VpcSecurityGroupIds=&Ids.member.1=";
    params *p = params_parse(body, strlen(body), &e);
    ok(p != NULL, "empty-absent: parse");
    is_str(params_get(p, "DBName"), "", "empty-absent off: an empty value is \"\"");
    params_set_empty_absent(p, true);
    is_str(params_get(p, "EngineVersion"), NULL, "empty-absent: EngineVersion= is absent");
    is_str(params_get(p, "DBName"), NULL, "empty-absent: DBName= is absent");
    is_str(params_get(p, "Engine"), "postgres", "empty-absent: a value is kept");
    int64_t port = 5432;
    bool present = true;
    ok(params_get_int(p, "Port", 0, 65535, &port, &present, &e) && !present && port == 5432,
       "empty-absent: Port= is an absent int, not a malformed one");
    bool multi = false;
    ok(params_get_bool(p, "MultiAZ", &multi, &present, &e) && !present,
       "empty-absent: MultiAZ= is an absent bool");
    int64_t max = 0, off = 7;
    ok(params_get_paging(p, &max, &off, &e) && max == QUERY_MAX_RECORDS && off == 0,
       "empty-absent: MaxRecords= and Marker= are the defaults");
    e = (awserr){0};
    ok(params_require(p, "DBInstanceIdentifier", &e) == NULL &&
           e.code == AWSERR_MISSING_PARAMETER,
       "empty-absent: a required parameter given empty is MissingParameter");
    is_str(e.message, "The parameter DBInstanceIdentifier must be provided and must not be blank.",
           "empty-absent: the message names the parameter");
    is_str(params_get_struct_field(p, "Tags", "Tag", 1, "Value"), "",
           "empty-absent: a structure field keeps its empty value (a tag's Value)");
    const char **items = NULL;
    ok(params_get_list(p, "VpcSecurityGroupIds", "VpcSecurityGroupId", &items, &e) == 0,
       "empty-absent: a bare list NAME= is still the empty list");
    free(items);
    ok(params_get_list(p, "Ids", "member", &items, &e) == 1 && strcmp(items[0], "") == 0,
       "empty-absent: a list member keeps its empty value");
    free(items);
    params_set_empty_absent(p, false);
    is_str(params_get(p, "DBName"), "", "empty-absent turned off again: \"\"");
    params_set_empty_absent(NULL, true);
    ok(true, "params_set_empty_absent(NULL) is a no-op");
    params_free(p);
}

int main(void)
{
    test_form_ctype();
    test_parse();
    test_decode();
    test_limits();
    test_getters();
    test_ints();
    test_bools();
    test_lists();
    test_structs();
    test_random_bodies();
    test_paging();
    test_empty_absent();
    return done_testing();
}
