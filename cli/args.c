/* args: see args.h.
 *
 * Parsing happens in two passes: the first walks argv and only collects
 * the raw words given to each flag (the last occurrence wins, like
 * argparse); the second walks the spec table in order, converts each
 * collected value and appends the wire parameters. Doing conversion in
 * table order is what makes the body match the aws CLI's byte for byte. */
#include "cli/args.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longest shorthand or JSON value accepted, and most words per flag: far
 * beyond any real use, small enough that a runaway script gets an error. */
#define ARGS_MAX_VALUE_LEN (256 * 1024)
#define ARGS_MAX_WORDS 1000

/* Words collected for one spec during the argv pass. */
typedef struct {
    bool seen;
    bool bool_value;   /* ARG_BOOL: --x or --no-x */
    char *const *words; /* points into argv */
    int nwords;
} args_slot;

/* ------------------------------------------------------------------ */
/* Shorthand: a port of awscli/shorthand.py's ShorthandParser.         */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *in;
    size_t len;
    size_t i;
    sbuf *err;
    bool failed;
} sh_parser;

/* Python's string.whitespace. */
static bool sh_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The character classes of the parser's regexes, byte-wise: every byte
 * >= 0x80 belongs to a UTF-8 character above U+007F, which all classes
 * accept. */
static bool sh_start_word(unsigned char c)
{
    return c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= '-' && c <= '<') || (c >= '>' && c <= 'Z') || (c >= '\\' && c <= 'z') ||
           c >= '|';
}

static bool sh_first_follow(unsigned char c)
{
    return sh_is_space(c) || c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= '-' && c <= '\\') || (c >= '^' && c <= '|') || c >= '~';
}

static bool sh_second_follow(unsigned char c)
{
    return sh_is_space(c) || c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= '-' && c <= '<') || c >= '>';
}

static bool sh_eof(const sh_parser *p)
{
    return p->i >= p->len;
}

/* Current byte, or -1 at the end (Python's _EOF sentinel). */
static int sh_cur(const sh_parser *p)
{
    return sh_eof(p) ? -1 : (unsigned char)p->in[p->i];
}

static void sh_skip_space(sh_parser *p)
{
    while (!sh_eof(p) && sh_is_space((unsigned char)p->in[p->i]))
        p->i++;
}

/* "consumed\n   ^remaining", counting columns from the last newline. */
static void sh_error_location(const sh_parser *p, size_t index)
{
    size_t line_start = 0;
    for (size_t k = 0; k < index && k < p->len; k++)
        if (p->in[k] == '\n')
            line_start = k + 1;
    size_t split = p->len;
    const char *nl = memchr(p->in + index, '\n', index < p->len ? p->len - index : 0);
    if (nl)
        split = (size_t)(nl - p->in);
    sbuf_append(p->err, p->in, split);
    sbuf_putc(p->err, '\n');
    for (size_t k = line_start; k < index; k++)
        sbuf_putc(p->err, ' ');
    sbuf_putc(p->err, '^');
    sbuf_append(p->err, p->in + split, p->len - split);
}

static void sh_syntax_error(sh_parser *p, const char *expected, const char *actual)
{
    if (p->failed)
        return;
    p->failed = true;
    sbuf_printf(p->err, "Expected: '%s', received: '%s' for input:\n", expected, actual);
    sh_error_location(p, p->i);
}

static bool sh_expect(sh_parser *p, char c, bool skip_space)
{
    if (skip_space)
        sh_skip_space(p);
    char want[2] = {c, 0};
    if (sh_eof(p)) {
        sh_syntax_error(p, want, "EOF");
        return false;
    }
    if (p->in[p->i] != c) {
        char got[2] = {p->in[p->i], 0};
        sh_syntax_error(p, want, got);
        return false;
    }
    p->i++;
    if (skip_space)
        sh_skip_space(p);
    return true;
}

static size_t sh_key_end(const sh_parser *p)
{
    size_t k = p->i;
    while (k < p->len) {
        unsigned char c = (unsigned char)p->in[k];
        if (!(isalnum(c) || strchr("-_.#/:", c)))
            break;
        k++;
    }
    return k;
}

static char *sh_key(sh_parser *p)
{
    size_t end = sh_key_end(p);
    char *key = xstrndup(p->in + p->i, end - p->i);
    p->i = end;
    return key;
}

/* Length of the match of ({\\,}|[first])({\\,}|[follow])* at p->i. */
static size_t sh_match_word(const sh_parser *p, bool (*follow)(unsigned char))
{
    size_t k = p->i;
    bool first = true;
    while (k < p->len) {
        if (p->in[k] == '\\' && k + 1 < p->len && p->in[k + 1] == ',') {
            k += 2;
        } else if (first ? sh_start_word((unsigned char)p->in[k])
                         : follow((unsigned char)p->in[k])) {
            k++;
        } else {
            break;
        }
        first = false;
    }
    return k - p->i;
}

/* consumed.replace('\\,', ',').rstrip() */
static cJSON *sh_word_value(const char *s, size_t n)
{
    sbuf b = {0};
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\' && k + 1 < n && s[k + 1] == ',') {
            sbuf_putc(&b, ',');
            k++;
        } else {
            sbuf_putc(&b, s[k]);
        }
    }
    while (b.len > 0 && sh_is_space((unsigned char)b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    cJSON *v = cJSON_CreateString(b.data ? b.data : "");
    sbuf_free(&b);
    return v;
}

/* A quoted value: '(?:\\'|[^'])*' with the regex's backtracking (an
 * unterminated run ending in \' closes at that quote). */
static cJSON *sh_quoted(sh_parser *p)
{
    char q = p->in[p->i];
    size_t k = p->i + 1;
    size_t close = 0, last_escaped = 0;
    while (k < p->len) {
        if (p->in[k] == '\\' && k + 1 < p->len && p->in[k + 1] == q) {
            last_escaped = k + 1;
            k += 2;
            continue;
        }
        if (p->in[k] == q) {
            close = k;
            break;
        }
        k++;
    }
    if (!close)
        close = last_escaped;
    if (!close) {
        sh_syntax_error(p, q == '\'' ? "<singled quoted>" : "<double quoted>", "<none>");
        return NULL;
    }
    sbuf b = {0};
    for (size_t j = p->i + 1; j < close; j++) {
        if (p->in[j] == '\\' && j + 1 < close && (p->in[j + 1] == q || p->in[j + 1] == '\\')) {
            sbuf_putc(&b, p->in[j + 1]);
            j++;
        } else {
            sbuf_putc(&b, p->in[j]);
        }
    }
    p->i = close + 1;
    cJSON *v = cJSON_CreateString(b.data ? b.data : "");
    sbuf_free(&b);
    return v;
}

static cJSON *sh_first_value(sh_parser *p)
{
    int c = sh_cur(p);
    if (c == '\'' || c == '"')
        return sh_quoted(p);
    size_t n = sh_match_word(p, sh_first_follow);
    cJSON *v = sh_word_value(p->in + p->i, n);
    p->i += n;
    return v;
}

static cJSON *sh_second_value(sh_parser *p)
{
    int c = sh_cur(p);
    if (c == '\'' || c == '"')
        return sh_quoted(p);
    size_t n = sh_match_word(p, sh_second_follow);
    if (n == 0) {
        sh_syntax_error(p, "<second>", "<none>");
        return NULL;
    }
    cJSON *v = sh_word_value(p->in + p->i, n);
    p->i += n;
    return v;
}

static cJSON *sh_explicit_values(sh_parser *p);

static cJSON *sh_explicit_list(sh_parser *p)
{
    if (!sh_expect(p, '[', true))
        return NULL;
    cJSON *list = cJSON_CreateArray();
    while (sh_cur(p) != ']') {
        cJSON *v = sh_explicit_values(p);
        if (!v)
            goto fail;
        cJSON_AddItemToArray(list, v);
        sh_skip_space(p);
        if (sh_cur(p) != ']') {
            if (!sh_expect(p, ',', false))
                goto fail;
            sh_skip_space(p);
        }
    }
    if (sh_expect(p, ']', false))
        return list;
fail:
    cJSON_Delete(list);
    return NULL;
}

static cJSON *sh_hash_literal(sh_parser *p)
{
    if (!sh_expect(p, '{', true))
        return NULL;
    cJSON *obj = cJSON_CreateObject();
    while (sh_cur(p) != '}') {
        char *key = sh_key(p);
        cJSON *v = NULL;
        if (sh_expect(p, '=', true))
            v = sh_explicit_values(p);
        if (!v) {
            free(key);
            goto fail;
        }
        sh_skip_space(p);
        if (sh_cur(p) != '}' && !sh_expect(p, ',', false)) {
            cJSON_Delete(v);
            free(key);
            goto fail;
        }
        sh_skip_space(p);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key); /* Python: last wins */
        cJSON_AddItemToObject(obj, key, v);
        free(key);
    }
    if (sh_expect(p, '}', false))
        return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *sh_explicit_values(sh_parser *p)
{
    if (sh_cur(p) == '[')
        return sh_explicit_list(p);
    if (sh_cur(p) == '{')
        return sh_hash_literal(p);
    return sh_first_value(p);
}

/* a | a,b,c: after a comma, a word followed by '=' starts the next key. */
static cJSON *sh_csv_value(sh_parser *p)
{
    cJSON *first = sh_first_value(p);
    if (!first)
        return NULL;
    sh_skip_space(p);
    if (sh_eof(p) || p->in[p->i] != ',')
        return first;
    if (!sh_expect(p, ',', true)) {
        cJSON_Delete(first);
        return NULL;
    }
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, first);
    for (;;) {
        /* A failed alternative is not an error unless input ran out:
         * remember the error state so backtracking can undo it. */
        size_t err_len = p->err->len;
        cJSON *cur = sh_second_value(p);
        if (cur) {
            sh_skip_space(p);
            if (sh_eof(p)) {
                cJSON_AddItemToArray(list, cur);
                break;
            }
            if (sh_expect(p, ',', true)) {
                cJSON_AddItemToArray(list, cur);
                continue;
            }
            cJSON_Delete(cur);
        }
        if (sh_eof(p)) {
            cJSON_Delete(list);
            return NULL;
        }
        p->failed = false;
        p->err->len = err_len;
        if (p->err->data)
            p->err->data[err_len] = '\0';
        while (p->i > 0 && p->in[p->i] != ',')
            p->i--;
        break;
    }
    if (cJSON_GetArraySize(list) == 1) {
        cJSON *only = cJSON_DetachItemFromArray(list, 0);
        cJSON_Delete(list);
        return only;
    }
    return list;
}

static cJSON *sh_values(sh_parser *p)
{
    if (sh_eof(p))
        return cJSON_CreateString("");
    if (p->in[p->i] == '[')
        return sh_explicit_list(p);
    if (p->in[p->i] == '{')
        return sh_hash_literal(p);
    return sh_csv_value(p);
}

cJSON *args_parse_shorthand(const char *input, sbuf *err)
{
    sh_parser p = {.in = input, .len = strlen(input), .err = err};
    cJSON *obj = cJSON_CreateObject();
    size_t last_index = 0;
    bool first = true;
    while (first || !sh_eof(&p)) {
        if (!first && !sh_expect(&p, ',', true))
            goto fail;
        first = false;
        char *key = sh_key(&p);
        cJSON *v = NULL;
        if (sh_expect(&p, '=', true))
            v = sh_values(&p);
        if (!v) {
            free(key);
            goto fail;
        }
        if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
            sbuf_printf(err, "Second instance of key \"%s\" encountered for input:\n", key);
            sh_error_location(&p, last_index + 1);
            sbuf_puts(err, "\nThis is often because there is a preceding \",\" instead of a space.");
            cJSON_Delete(v);
            free(key);
            goto fail;
        }
        cJSON_AddItemToObject(obj, key, v);
        free(key);
        last_index = p.i;
    }
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Values → wire parameters.                                            */
/* ------------------------------------------------------------------ */

static bool args_looks_like_json(const char *s, char open)
{
    while (sh_is_space((unsigned char)*s))
        s++;
    return *s == open;
}

static cJSON *args_parse_json(const char *flag, const char *s, sbuf *err)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(s, &end, true);
    if (!v) {
        size_t at = (end && end >= s) ? (size_t)(end - s) : 0;
        sbuf_printf(err, "Error parsing parameter '--%s': Invalid JSON: error at character %zu\n"
                         "JSON received: %s", flag, at, s);
    }
    return v;
}

/* Appends name.<member>.N for each string in list (a string counts as a
 * one-item list, as the aws CLI's BackCompatVisitor does); an empty list
 * is sent as "name=" like botocore. */
static bool args_put_list(const char *name, const char *member, const cJSON *list,
                          const char *display, query *out, sbuf *err)
{
    if (cJSON_IsString(list)) {
        char *key = xasprintf("%s.%s.1", name, member);
        query_add(out, key, list->valuestring);
        free(key);
        return true;
    }
    if (!cJSON_IsArray(list)) {
        sbuf_printf(err, "Parameter validation failed:\nInvalid type for parameter %s: "
                         "expected a list of strings", display);
        return false;
    }
    if (cJSON_GetArraySize(list) == 0) {
        query_add(out, name, "");
        return true;
    }
    int n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        n++;
        if (!cJSON_IsString(item)) {
            sbuf_printf(err, "Parameter validation failed:\nInvalid type for parameter %s[%d]: "
                             "expected a string", display, n - 1);
            return false;
        }
        char *key = xasprintf("%s.%s.%d", name, member, n);
        query_add(out, key, item->valuestring);
        free(key);
    }
    return true;
}

static const arg_field *args_find_field(const arg_shape *shape, const char *name)
{
    for (const arg_field *f = shape->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* One structure at prefix ("Tags.Tag.1"); display names it in errors
 * ("Tags[0]"). Members go out in the input's order, as botocore's
 * serializer iterates the user's dict. */
static bool args_put_struct(const arg_shape *shape, const cJSON *obj, const char *prefix,
                            const char *display, query *out, sbuf *err)
{
    if (!cJSON_IsObject(obj)) {
        sbuf_printf(err, "Parameter validation failed:\nInvalid type for parameter %s: "
                         "expected a structure", display);
        return false;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) {
        if (!args_find_field(shape, m->string)) {
            sbuf_printf(err, "Parameter validation failed:\nUnknown parameter in %s: \"%s\", "
                             "must be one of: ", display, m->string);
            for (const arg_field *f = shape->fields; f->name; f++)
                sbuf_printf(err, "%s%s", f == shape->fields ? "" : ", ", f->name);
            return false;
        }
    }
    for (const arg_field *f = shape->fields; f->name; f++) {
        if (f->required && !cJSON_GetObjectItemCaseSensitive(obj, f->name)) {
            sbuf_printf(err, "Parameter validation failed:\nMissing required parameter in %s: "
                             "\"%s\"", display, f->name);
            return false;
        }
    }
    cJSON_ArrayForEach(m, obj) {
        const arg_field *f = args_find_field(shape, m->string);
        char *key = xasprintf("%s.%s", prefix, f->name);
        char *sub = xasprintf("%s.%s", display, f->name);
        bool good = true;
        if (f->list_member) {
            good = args_put_list(key, f->list_member, m, sub, out, err);
        } else if (cJSON_IsString(m)) {
            query_add(out, key, m->valuestring);
        } else {
            sbuf_printf(err, "Parameter validation failed:\nInvalid type for parameter %s: "
                             "expected a string", sub);
            good = false;
        }
        free(key);
        free(sub);
        if (!good)
            return false;
    }
    return true;
}

/* Builds the tree for ARG_STRUCT / ARG_STRUCT_LIST from the words: one
 * JSON document, several JSON objects, or shorthand words. */
static cJSON *args_struct_tree(const arg_spec *s, const args_slot *slot, sbuf *err)
{
    bool json = args_looks_like_json(slot->words[0], '[') ||
                args_looks_like_json(slot->words[0], '{');
    if (s->type == ARG_STRUCT) {
        return json ? args_parse_json(s->flag, slot->words[0], err) : NULL;
    }
    if (json && slot->nwords == 1 && args_looks_like_json(slot->words[0], '['))
        return args_parse_json(s->flag, slot->words[0], err);
    cJSON *list = cJSON_CreateArray();
    for (int k = 0; k < slot->nwords; k++) {
        cJSON *item = NULL;
        if (json) {
            item = args_parse_json(s->flag, slot->words[k], err);
        } else {
            sbuf msg = {0};
            item = args_parse_shorthand(slot->words[k], &msg);
            if (!item)
                sbuf_printf(err, "Error parsing parameter '--%s': %s", s->flag, msg.data ? msg.data : "");
            sbuf_free(&msg);
        }
        if (!item) {
            cJSON_Delete(list);
            return NULL;
        }
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

static bool args_put_structured(const arg_spec *s, const args_slot *slot, query *out, sbuf *err)
{
    cJSON *tree = NULL;
    if (s->type == ARG_STRUCT && !args_looks_like_json(slot->words[0], '{')) {
        sbuf msg = {0};
        tree = args_parse_shorthand(slot->words[0], &msg);
        if (!tree)
            sbuf_printf(err, "Error parsing parameter '--%s': %s", s->flag, msg.data ? msg.data : "");
        sbuf_free(&msg);
    } else {
        tree = args_struct_tree(s, slot, err);
    }
    if (!tree)
        return false;
    bool good = true;
    if (s->type == ARG_STRUCT) {
        good = args_put_struct(s->shape, tree, s->param, s->param, out, err);
    } else if (!cJSON_IsArray(tree)) {
        sbuf_printf(err, "Parameter validation failed:\nInvalid type for parameter %s: "
                         "expected a list", s->param);
        good = false;
    } else if (cJSON_GetArraySize(tree) == 0) {
        query_add(out, s->param, "");
    } else {
        int n = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, tree) {
            n++;
            char *prefix = xasprintf("%s.%s.%d", s->param, s->member, n);
            char *display = xasprintf("%s[%d]", s->param, n - 1);
            good = args_put_struct(s->shape, item, prefix, display, out, err);
            free(prefix);
            free(display);
            if (!good)
                break;
        }
    }
    cJSON_Delete(tree);
    return good;
}

static bool args_put_string_list(const arg_spec *s, const args_slot *slot, query *out, sbuf *err)
{
    if (slot->nwords == 1 && args_looks_like_json(slot->words[0], '[')) {
        cJSON *tree = args_parse_json(s->flag, slot->words[0], err);
        if (!tree)
            return false;
        bool good = args_put_list(s->param, s->member, tree, s->param, out, err);
        cJSON_Delete(tree);
        return good;
    }
    for (int k = 0; k < slot->nwords; k++) {
        char *key = xasprintf("%s.%s.%d", s->param, s->member, k + 1);
        query_add(out, key, slot->words[k]);
        free(key);
    }
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); avoids timegm's
 * dependence on the C library for years it may refuse. */
static int64_t args_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at *p into *out. */
static bool args_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (!isdigit((unsigned char)(*p)[k]))
            return false;
        v = v * 10 + ((*p)[k] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool args_format_timestamp(const char *in, char *out, size_t size)
{
    int64_t secs = 0;
    long usec = 0;
    const char *p = in;
    bool numeric = *p != '\0';
    for (const char *q = in; *q; q++)
        if (!isdigit((unsigned char)*q) && *q != '.')
            numeric = false;
    if (numeric) {
        /* Epoch seconds, as the aws CLI accepts them. */
        errno = 0;
        char *end = NULL;
        double v = strtod(in, &end);
        if (errno || *end || !isfinite(v) || v < 0 || v > 253402300799.0)
            return false;
        secs = (int64_t)v;
        usec = lround((v - (double)secs) * 1e6);
        if (usec >= 1000000) {
            secs++;
            usec -= 1000000;
        }
    } else {
        int y, mo, d, h = 0, mi = 0, s = 0;
        if (!args_digits(&p, 4, &y) || *p++ != '-' || !args_digits(&p, 2, &mo) || *p++ != '-' ||
            !args_digits(&p, 2, &d))
            return false;
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
            return false;
        if (*p == 'T' || *p == 't' || *p == ' ') {
            p++;
            if (!args_digits(&p, 2, &h) || *p++ != ':' || !args_digits(&p, 2, &mi))
                return false;
            if (*p == ':') {
                p++;
                if (!args_digits(&p, 2, &s))
                    return false;
                if (*p == '.') {
                    p++;
                    int ndig = 0;
                    while (isdigit((unsigned char)*p)) {
                        if (ndig < 6)
                            usec = usec * 10 + (*p - '0');
                        ndig++;
                        p++;
                    }
                    if (ndig == 0)
                        return false;
                    for (; ndig < 6; ndig++)
                        usec *= 10;
                }
            }
        }
        if (h > 23 || mi > 59 || s > 60)
            return false;
        int offset_min = 0;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!args_digits(&p, 2, &oh))
                return false;
            if (*p == ':')
                p++;
            if (*p && !args_digits(&p, 2, &om))
                return false;
            offset_min = sign * (oh * 60 + om);
        }
        if (*p)
            return false;
        secs = args_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
               (int64_t)offset_min * 60;
    }
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t yy = yoe + era * 400 + (mm <= 2);
    int n;
    if (usec > 0)
        n = snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%06ldZ", (long long)yy, mm, dd,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), usec);
    else
        n = snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)yy, mm, dd,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return n > 0 && (size_t)n < size && yy >= 0 && yy <= 9999;
}

/* Converts one collected slot into wire (or local) parameters. */
static args_status args_put_slot(const arg_spec *s, const args_slot *slot, query *params,
                                 query *opts, sbuf *err)
{
    query *out = s->param ? params : opts;
    const char *name = s->param ? s->param : s->flag;
    const char *word = slot->nwords > 0 ? slot->words[0] : NULL;
    switch (s->type) {
    case ARG_STRING:
        query_add(out, name, word);
        return ARGS_OK;
    case ARG_INT: {
        int64_t v;
        const char *w = word;
        if (*w == '+')
            w++; /* Python's int() accepts a sign */
        if (!str_to_int64(w, -2147483648LL, 2147483647LL, &v) ||
            (word[0] == '+' && word[1] == '-')) {
            sbuf_printf(err, "argument --%s: invalid integer value: '%s'", s->flag, word);
            return ARGS_USAGE_ERROR;
        }
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        query_add(out, name, buf);
        return ARGS_OK;
    }
    case ARG_BOOL:
        query_add(out, name, slot->bool_value ? "true" : "false");
        return ARGS_OK;
    case ARG_FLAG:
        query_add(out, name, "true");
        return ARGS_OK;
    case ARG_SECONDS: {
        errno = 0;
        char *end = NULL;
        double v = strtod(word, &end);
        if (errno || end == word || *end || !isfinite(v) || v < 0) {
            sbuf_printf(err, "argument --%s: invalid number of seconds: '%s'", s->flag, word);
            return ARGS_USAGE_ERROR;
        }
        query_add(out, name, word);
        return ARGS_OK;
    }
    case ARG_TIMESTAMP: {
        char buf[48];
        if (!args_format_timestamp(word, buf, sizeof buf)) {
            sbuf_printf(err, "Parameter validation failed:\nInvalid type for parameter %s, "
                             "value: %s, valid types: timestamp-string", name, word);
            return ARGS_PARAM_ERROR;
        }
        query_add(out, name, buf);
        return ARGS_OK;
    }
    case ARG_LIST:
        return args_put_string_list(s, slot, out, err) ? ARGS_OK : ARGS_PARAM_ERROR;
    case ARG_STRUCT:
    case ARG_STRUCT_LIST:
        return args_put_structured(s, slot, out, err) ? ARGS_OK : ARGS_PARAM_ERROR;
    }
    return ARGS_OK;
}

static bool args_takes_words(arg_type t)
{
    return t == ARG_LIST || t == ARG_STRUCT_LIST;
}

/* Finds the spec for "--name"; sets *negated for "--no-x" of a boolean. */
static int args_find_spec(const arg_spec *specs, const char *name, size_t len, bool *negated)
{
    for (int k = 0; specs[k].flag; k++) {
        const char *f = specs[k].flag;
        if (strlen(f) == len && strncmp(f, name, len) == 0) {
            *negated = false;
            return k;
        }
    }
    if (len > 3 && strncmp(name, "no-", 3) == 0) {
        for (int k = 0; specs[k].flag; k++) {
            const char *f = specs[k].flag;
            if (specs[k].type == ARG_BOOL && strlen(f) == len - 3 &&
                strncmp(f, name + 3, len - 3) == 0) {
                *negated = true;
                return k;
            }
        }
    }
    return -1;
}

static bool args_is_flag(const char *w)
{
    return w[0] == '-' && w[1] == '-' && w[2] != '\0';
}

args_status args_parse(const arg_spec *specs, int argc, char *const *argv, query *params,
                       query *opts, sbuf *err)
{
    int nspecs = 0;
    while (specs[nspecs].flag)
        nspecs++;
    args_slot *slots = xcalloc((size_t)nspecs + 1, sizeof *slots);
    /* An inline "--x=v" value needs a home that outlives this loop. */
    char **inline_words = xcalloc((size_t)argc + 1, sizeof *inline_words);
    sbuf unknown = {0};
    args_status st = ARGS_OK;

    for (int i = 0; i < argc && st == ARGS_OK; i++) {
        const char *w = argv[i];
        if (strlen(w) > ARGS_MAX_VALUE_LEN) {
            sbuf_printf(err, "argument %.40s...: value longer than %d bytes", w, ARGS_MAX_VALUE_LEN);
            st = ARGS_USAGE_ERROR;
            break;
        }
        if (!args_is_flag(w)) {
            sbuf_printf(&unknown, "%s%s", unknown.len ? ", " : "", w);
            continue;
        }
        const char *name = w + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        bool negated = false;
        int k = args_find_spec(specs, name, len, &negated);
        if (k < 0) {
            sbuf_printf(&unknown, "%s%s", unknown.len ? ", " : "", w);
            continue;
        }
        const arg_spec *s = &specs[k];
        args_slot *slot = &slots[k];
        slot->seen = true;
        if (s->type == ARG_BOOL || s->type == ARG_FLAG) {
            if (eq) {
                sbuf_printf(err, "argument --%.*s: ignored explicit argument '%s'", (int)len, name,
                            eq + 1);
                st = ARGS_USAGE_ERROR;
            }
            slot->bool_value = !negated;
            continue;
        }
        if (eq) {
            inline_words[i] = xstrdup(eq + 1);
            slot->words = &inline_words[i];
            slot->nwords = 1;
            if (!args_takes_words(s->type))
                continue;
            /* "--tags=a b": argparse takes more words after the inline one
             * only as separate arguments, which are unknowns here. */
            continue;
        }
        int n = 0;
        while (i + 1 + n < argc && !args_is_flag(argv[i + 1 + n]) &&
               (n == 0 || args_takes_words(s->type)))
            n++;
        if (n == 0) {
            sbuf_printf(err, "argument --%s: expected %s", s->flag,
                        args_takes_words(s->type) ? "at least one argument" : "one argument");
            st = ARGS_USAGE_ERROR;
            break;
        }
        if (n > ARGS_MAX_WORDS) {
            sbuf_printf(err, "argument --%s: more than %d values", s->flag, ARGS_MAX_WORDS);
            st = ARGS_USAGE_ERROR;
            break;
        }
        slot->words = &argv[i + 1];
        slot->nwords = n;
        i += n;
    }
    if (st == ARGS_OK && unknown.len) {
        sbuf_printf(err, "Unknown options: %s", unknown.data);
        st = ARGS_USAGE_ERROR;
    }
    if (st == ARGS_OK) {
        sbuf missing = {0};
        for (int k = 0; k < nspecs; k++)
            if (specs[k].required && !slots[k].seen)
                sbuf_printf(&missing, "%s--%s", missing.len ? ", " : "", specs[k].flag);
        if (missing.len) {
            sbuf_printf(err, "the following arguments are required: %s", missing.data);
            st = ARGS_USAGE_ERROR;
        }
        sbuf_free(&missing);
    }
    for (int k = 0; k < nspecs && st == ARGS_OK; k++)
        if (slots[k].seen)
            st = args_put_slot(&specs[k], &slots[k], params, opts, err);

    for (int i = 0; i < argc; i++)
        free(inline_words[i]);
    free(inline_words);
    free(slots);
    sbuf_free(&unknown);
    return st;
}

bool args_opt_int(const query *opts, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out, sbuf *err)
{
    const char *v = query_get(opts, name);
    if (!v) {
        *out = def;
        return true;
    }
    if (!str_to_int64(v, min, max, out)) {
        sbuf_printf(err, "argument --%s: must be an integer from %lld to %lld", name,
                    (long long)min, (long long)max);
        return false;
    }
    return true;
}
