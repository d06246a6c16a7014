/* query: decoding an AWS Query request body into name/value pairs and
 * typed, validated access to them.
 *
 * The body is untrusted: it is size- and count-limited before libevent
 * sees it, NUL bytes (raw or %00) are refused because libevent's decoder
 * would silently truncate at them, and every decoded name and value must
 * be valid UTF-8. libevent (2.1) decodes percent escapes and '+' in values
 * (so both botocore's "%20" and curl's "+" become a space) but leaves names
 * untouched, so names are decoded here with evhttp_uridecode.
 *
 * Pairs are kept in arrival order (for params_name_at) and in a second
 * array sorted by name: lookups are a binary search, and every pair of a
 * list "NAME.ITEM.<n>..." sits in one contiguous run of that array.
 *
 * Invariants once params_parse returns: names are unique, non-empty, valid
 * UTF-8 without NUL; values are valid UTF-8 without NUL (possibly empty). */
#include "controlplane/core/query.h"

#include <ctype.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lib/log.h"
#include "lib/util.h"

typedef struct {
    char *name;
    char *value;
} param_pair;

struct params {
    param_pair *pairs;      /* arrival order */
    param_pair **by_name;   /* the same pairs sorted by strcmp of name */
    size_t n;
    bool empty_absent;      /* params_set_empty_absent: "NAME=" reads as absent */
};

/* How much of a client's value a message quotes: enough to recognise it,
 * short enough that the message stays readable. */
#define QUOTE_MAX "100"

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

static int pair_cmp(const void *a, const void *b)
{
    const param_pair *x = *(param_pair *const *)a;
    const param_pair *y = *(param_pair *const *)b;
    return strcmp(x->name, y->name);
}

/* Index of the first pair (by name) whose name is >= key. */
static size_t lower_bound(const params *p, const char *key)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(p->by_name[mid]->name, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The number of '&'-separated non-empty segments, counted on the raw bytes
 * so that a huge count is refused before any allocation per pair. */
static size_t count_segments(const char *body, size_t len)
{
    size_t count = 0;
    bool in_segment = false;
    for (size_t i = 0; i < len; i++) {
        if (body[i] == '&') {
            in_segment = false;
        } else if (!in_segment) {
            in_segment = true;
            count++;
        }
    }
    return count;
}

bool params_form_ctype(const char *ctype)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (!ctype)
        return false;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    if (strncasecmp(ctype, form, sizeof form - 1) != 0)
        return false;
    const char *rest = ctype + sizeof form - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

void params_free(params *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->pairs[i].name);
        free(p->pairs[i].value);
    }
    free(p->pairs);
    free(p->by_name);
    free(p);
}

params *params_parse(const char *body, size_t len, awserr *err)
{
    if (body == NULL)
        len = 0;
    if (len > QUERY_MAX_BODY) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The request body of %zu bytes exceeds the limit of %d bytes.", len,
                   QUERY_MAX_BODY);
        return NULL;
    }
    if (len > 0 && memchr(body, '\0', len) != NULL) {
        awserr_set(err, AWSERR_MALFORMED_QUERY_STRING, "The query string contains a NUL byte.");
        return NULL;
    }
    size_t segments = count_segments(body, len);
    if (segments > QUERY_MAX_PARAMS) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The request has %zu parameters; the limit is %d.", segments,
                   QUERY_MAX_PARAMS);
        return NULL;
    }
    /* libevent decodes %00 to a NUL and then measures with strlen, which
     * would silently cut the value: refuse the escape itself. */
    for (size_t i = 0; i < len; i++) {
        if (body[i] != '%')
            continue;
        /* libevent keeps a bad escape such as %zz as it is: refuse it. */
        if (i + 2 >= len || !isxdigit((unsigned char)body[i + 1]) ||
            !isxdigit((unsigned char)body[i + 2])) {
            awserr_set(err, AWSERR_MALFORMED_QUERY_STRING,
                       "The query string contains an invalid percent-encoding.");
            return NULL;
        }
        if (body[i + 1] == '0' && body[i + 2] == '0') {
            awserr_set(err, AWSERR_MALFORMED_QUERY_STRING,
                       "The query string contains an encoded NUL byte (%%00).");
            return NULL;
        }
    }

    char *copy = xstrndup(len > 0 ? body : "", len);
    struct evkeyvalq q;
    q.tqh_first = NULL;
    q.tqh_last = &q.tqh_first;
    params *p = xcalloc(1, sizeof *p);
    int rc = evhttp_parse_query_str(copy, &q);
    free(copy);
    if (rc != 0) {
        awserr_set(err, AWSERR_MALFORMED_QUERY_STRING,
                   "The query string is malformed: parameters must be NAME=VALUE pairs "
                   "separated by '&'.");
        goto fail;
    }

    size_t count = 0;
    for (struct evkeyval *kv = q.tqh_first; kv != NULL; kv = kv->next.tqe_next)
        count++;
    /* count_segments bounds this already; keep the check next to the use. */
    if (count > QUERY_MAX_PARAMS) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The request has %zu parameters; the limit is %d.", count, QUERY_MAX_PARAMS);
        goto fail;
    }
    p->pairs = xcalloc(count > 0 ? count : 1, sizeof *p->pairs);
    p->by_name = xcalloc(count > 0 ? count : 1, sizeof *p->by_name);

    for (struct evkeyval *kv = q.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
        size_t name_len = 0;
        char *name = evhttp_uridecode(kv->key, 1, &name_len);
        if (name == NULL) {
            LOG_ERROR("evhttp_uridecode failed");
            abort();
        }
        param_pair *pp = &p->pairs[p->n++];
        pp->name = name;
        pp->value = xstrdup(kv->value);
        if (name_len != strlen(name) || name_len == 0) {
            awserr_set(err, AWSERR_MALFORMED_QUERY_STRING,
                       "The query string contains an empty or NUL-bearing parameter name.");
            goto fail;
        }
        if (!utf8_valid((const unsigned char *)name, name_len)) {
            awserr_set(err, AWSERR_MALFORMED_QUERY_STRING,
                       "The query string contains a parameter name that is not valid UTF-8.");
            goto fail;
        }
        if (!utf8_valid((const unsigned char *)pp->value, strlen(pp->value))) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for parameter %s: the value is not valid UTF-8.", name);
            goto fail;
        }
    }
    evhttp_clear_headers(&q);

    for (size_t i = 0; i < p->n; i++)
        p->by_name[i] = &p->pairs[i];
    if (p->n > 1)
        qsort(p->by_name, p->n, sizeof *p->by_name, pair_cmp);
    for (size_t i = 1; i < p->n; i++) {
        if (strcmp(p->by_name[i - 1]->name, p->by_name[i]->name) == 0) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "The parameter %." QUOTE_MAX "s is given more than once.",
                       p->by_name[i]->name);
            params_free(p);
            return NULL;
        }
    }
    return p;

fail:
    evhttp_clear_headers(&q);
    params_free(p);
    return NULL;
}

/* The value as sent, empty or not: what lists and structure fields read
 * (a tag's Value may be empty). */
static const char *params_get_raw(const params *p, const char *name)
{
    if (p == NULL || name == NULL)
        return NULL;
    size_t i = lower_bound(p, name);
    if (i < p->n && strcmp(p->by_name[i]->name, name) == 0)
        return p->by_name[i]->value;
    return NULL;
}

void params_set_empty_absent(params *p, bool on)
{
    if (p != NULL)
        p->empty_absent = on;
}

const char *params_get(const params *p, const char *name)
{
    const char *v = params_get_raw(p, name);
    if (v != NULL && v[0] == '\0' && p->empty_absent)
        return NULL;
    return v;
}

const char *params_require(const params *p, const char *name, awserr *err)
{
    const char *v = params_get(p, name);
    if (v == NULL || v[0] == '\0') {
        awserr_set(err, AWSERR_MISSING_PARAMETER,
                   "The parameter %s must be provided and must not be blank.", name);
        return NULL;
    }
    return v;
}

bool params_get_bool(const params *p, const char *name, bool *out, bool *present, awserr *err)
{
    const char *v = params_get(p, name);
    if (present != NULL)
        *present = false;
    if (v == NULL)
        return true;
    if (strcasecmp(v, "true") == 0) {
        *out = true;
    } else if (strcasecmp(v, "false") == 0) {
        *out = false;
    } else {
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%." QUOTE_MAX "s' for parameter %s: must be true or "
                          "false.",
                          v, name);
    }
    if (present != NULL)
        *present = true;
    return true;
}

bool params_get_int(const params *p, const char *name, int64_t min, int64_t max, int64_t *out,
                    bool *present, awserr *err)
{
    const char *v = params_get(p, name);
    if (present != NULL)
        *present = false;
    if (v == NULL)
        return true;
    int64_t n;
    if (!str_to_int64(v, INT64_MIN, INT64_MAX, &n))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%." QUOTE_MAX "s' for parameter %s: must be an integer.",
                          v, name);
    if (n < min || n > max)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%" PRId64 "' for parameter %s: must be between %" PRId64
                          " and %" PRId64 ".",
                          n, name, min, max);
    *out = n;
    if (present != NULL)
        *present = true;
    return true;
}

bool params_get_paging(const params *p, int64_t *max, int64_t *offset, awserr *err)
{
    int64_t n = QUERY_MAX_RECORDS;
    bool present = false;
    if (!params_get_int(p, "MaxRecords", INT32_MIN, INT32_MAX, &n, &present, err))
        return false;
    if (present && (n < QUERY_MIN_RECORDS || n > QUERY_MAX_RECORDS))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value %" PRId64 " for MaxRecords. Must be between %d and %d", n,
                          QUERY_MIN_RECORDS, QUERY_MAX_RECORDS);
    if (offset && !params_get_marker_offset(p, offset, err))
        return false;
    *max = n;
    return true;
}

bool params_get_marker_offset(const params *p, int64_t *offset, awserr *err)
{
    const char *m = params_get(p, "Marker");
    int64_t v = 0;
    if (m && *m && !str_to_int64(m, 0, QUERY_MARKER_MAX, &v))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid Marker: %." QUOTE_MAX "s", m);
    *offset = v;
    return true;
}

/* Parses the 1-based position at *s: decimal, no sign, no leading zero.
 * Returns it (> 0) and advances *s past the digits, or 0 when malformed.
 * Positions above QUERY_MAX_PARAMS cannot be gap-free, so they are
 * reported as 0 as well (the caller's message covers both). */
static int parse_position(const char **s)
{
    const char *c = *s;
    if (*c < '1' || *c > '9')
        return 0;
    long v = 0;
    while (*c >= '0' && *c <= '9') {
        v = v * 10 + (*c - '0');
        if (v > QUERY_MAX_PARAMS)
            return 0;
        c++;
    }
    *s = c;
    return (int)v;
}

/* Error for a list NAME whose members are misnumbered or misnamed. */
static bool list_error(awserr *err, const char *name, const char *item, bool structs)
{
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "Invalid value for parameter %s: list members must be given as "
                      "%s.%s.1%s, %s.%s.2%s, ... numbered from 1 without gaps.",
                      name, name, item, structs ? ".Field" : "", name, item,
                      structs ? ".Field" : "");
}

/* A bare "NAME=" is botocore's empty list; "NAME=x" is not a list at all. */
static bool bare_name_ok(const params *p, const char *name, const char *item, bool structs,
                         awserr *err)
{
    const char *bare = params_get_raw(p, name);
    if (bare != NULL && bare[0] != '\0')
        return list_error(err, name, item, structs);
    return true;
}

int params_get_list(const params *p, const char *name, const char *item, const char ***out,
                    awserr *err)
{
    *out = NULL;
    if (p == NULL)
        return -1;
    char *prefix = xasprintf("%s.%s.", name, item);
    size_t plen = strlen(prefix);
    size_t first = lower_bound(p, prefix);
    size_t end = first;
    while (end < p->n && strncmp(p->by_name[end]->name, prefix, plen) == 0)
        end++;
    free(prefix);
    size_t count = end - first;
    if (count == 0 && !bare_name_ok(p, name, item, false, err))
        return -1;

    const char **items = xcalloc(count + 1, sizeof *items);
    for (size_t i = first; i < end; i++) {
        const char *rest = p->by_name[i]->name + plen;
        int pos = parse_position(&rest);
        /* Names are unique, so distinct positions all within 1..count
         * means exactly 1..count: no gap is possible. */
        if (pos == 0 || *rest != '\0' || (size_t)pos > count) {
            free(items);
            list_error(err, name, item, false);
            return -1;
        }
        items[pos - 1] = p->by_name[i]->value;
    }
    *out = items;
    return (int)count;
}

int params_count_structs(const params *p, const char *name, const char *item, awserr *err)
{
    if (p == NULL)
        return -1;
    char *prefix = xasprintf("%s.%s.", name, item);
    size_t plen = strlen(prefix);
    size_t first = lower_bound(p, prefix);
    bool seen[QUERY_MAX_PARAMS + 1] = {false};
    int max = 0;
    size_t i = first;
    for (; i < p->n && strncmp(p->by_name[i]->name, prefix, plen) == 0; i++) {
        const char *rest = p->by_name[i]->name + plen;
        int pos = parse_position(&rest);
        /* Each member of a structure list needs a field: NAME.ITEM.n.FIELD. */
        if (pos == 0 || rest[0] != '.' || rest[1] == '\0') {
            free(prefix);
            list_error(err, name, item, true);
            return -1;
        }
        seen[pos] = true;
        if (pos > max)
            max = pos;
    }
    free(prefix);
    if (i == first && !bare_name_ok(p, name, item, true, err))
        return -1;
    for (int k = 1; k <= max; k++) {
        if (!seen[k]) {
            list_error(err, name, item, true);
            return -1;
        }
    }
    return max;
}

const char *params_get_struct_field(const params *p, const char *name, const char *item, int i,
                                    const char *field)
{
    if (p == NULL || i < 1)
        return NULL;
    char *key = xasprintf("%s.%s.%d.%s", name, item, i, field);
    const char *v = params_get_raw(p, key);
    free(key);
    return v;
}

size_t params_count(const params *p)
{
    return p == NULL ? 0 : p->n;
}

const char *params_name_at(const params *p, size_t i)
{
    if (p == NULL || i >= p->n)
        return NULL;
    return p->pairs[i].name;
}

bool params_get_filters(const params *p, const char *const *names, int n, const char **vals[],
                        int nvals[], awserr *err)
{
    int nf = params_count_structs(p, "Filters", "Filter", err);
    if (nf < 0)
        return false;
    for (int i = 1; i <= nf; i++) {
        const char *name = params_get_struct_field(p, "Filters", "Filter", i, "Name");
        char *prefix = xasprintf("Filters.Filter.%d.Values", i);
        const char **v = NULL;
        int nv = params_get_list(p, prefix, "Value", &v, err);
        free(prefix);
        if (nv < 0)
            return false;
        int k = -1;
        for (int j = 0; j < n && name; j++)
            if (strcmp(name, names[j]) == 0)
                k = j;
        if (k < 0 && name && strcmp(name, "engine") == 0 && nv > 0) {
            free(v);
            continue;
        }
        if (k < 0 || nv == 0) {
            free(v);
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              k < 0 ? "Unrecognized filter name: %s"
                                    : "The filter %s must have at least one value.",
                              name ? name : "(none)");
        }
        free(vals[k]);
        vals[k] = v;
        nvals[k] = nv;
    }
    return true;
}

bool params_filter_has(const char *const *vals, int n, const char *have)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(vals[i], have) == 0)
            return true;
    return n == 0;
}
