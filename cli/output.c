/* output: see output.h.
 *
 * The text and table renderers are ports of awscli/text.py and
 * awscli/table.py (aws-cli 1.x), kept structurally close to the originals
 * so that differences can be checked line by line: same sort orders, same
 * integer arithmetic for widths (Python's round-half-even included). */
#include "cli/output.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool output_parse_format(const char *name, output_format *out)
{
    static const struct {
        const char *name;
        output_format format;
    } formats[] = {{"json", OUTPUT_JSON}, {"text", OUTPUT_TEXT}, {"table", OUTPUT_TABLE}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].format;
            return true;
        }
    }
    return false;
}

static bool output_is_scalar(const cJSON *v)
{
    return !cJSON_IsArray(v) && !cJSON_IsObject(v);
}

/* A number as Python prints it: integers without a fraction, other values
 * with the fewest digits that read back the same (float.__repr__). */
static void output_number(double d, sbuf *out)
{
    if (isnan(d)) {
        sbuf_puts(out, "NaN");
    } else if (isinf(d)) {
        sbuf_puts(out, d > 0 ? "Infinity" : "-Infinity");
    } else if (d == floor(d) && fabs(d) < 1e15) {
        sbuf_printf(out, "%lld", (long long)d);
    } else {
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        sbuf_puts(out, buf);
    }
}

/* ---------------------------------------------------------------- json */

static void output_json_string(const char *s, sbuf *out)
{
    sbuf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sbuf_puts(out, "\\\""); break;
        case '\\': sbuf_puts(out, "\\\\"); break;
        case '\n': sbuf_puts(out, "\\n"); break;
        case '\r': sbuf_puts(out, "\\r"); break;
        case '\t': sbuf_puts(out, "\\t"); break;
        case '\b': sbuf_puts(out, "\\b"); break;
        case '\f': sbuf_puts(out, "\\f"); break;
        default:
            if (*p < 0x20)
                sbuf_printf(out, "\\u%04x", *p);
            else
                sbuf_putc(out, (char)*p);
        }
    }
    sbuf_putc(out, '"');
}

static void output_indent(sbuf *out, int level)
{
    sbuf_putc(out, '\n');
    for (int i = 0; i < level * 4; i++)
        sbuf_putc(out, ' ');
}

static void output_json_value(const cJSON *v, int level, sbuf *out)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool obj = cJSON_IsObject(v);
        if (!v->child) {
            sbuf_puts(out, obj ? "{}" : "[]");
            return;
        }
        sbuf_putc(out, obj ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            output_indent(out, level + 1);
            if (obj) {
                output_json_string(c->string ? c->string : "", out);
                sbuf_puts(out, ": ");
            }
            output_json_value(c, level + 1, out);
            if (c->next)
                sbuf_putc(out, ',');
        }
        output_indent(out, level);
        sbuf_putc(out, obj ? '}' : ']');
    } else if (cJSON_IsString(v)) {
        output_json_string(v->valuestring, out);
    } else if (cJSON_IsNumber(v)) {
        output_number(v->valuedouble, out);
    } else if (cJSON_IsBool(v)) {
        sbuf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
    } else {
        sbuf_puts(out, "null");
    }
}

void output_json(const cJSON *v, sbuf *out)
{
    output_json_value(v, 0, out);
    sbuf_putc(out, '\n');
}

/* Python's str() of a value. Containers (only reached on irregular
 * shapes) print as compact JSON rather than Python's repr. */
static void output_str(const cJSON *v, sbuf *out)
{
    if (cJSON_IsString(v)) {
        sbuf_puts(out, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        output_number(v->valuedouble, out);
    } else if (cJSON_IsBool(v)) {
        sbuf_puts(out, cJSON_IsTrue(v) ? "True" : "False");
    } else if (cJSON_IsNull(v)) {
        sbuf_puts(out, "None");
    } else {
        char *s = cJSON_PrintUnformatted(v);
        sbuf_puts(out, s ? s : "");
        free(s);
    }
}

static char *output_str_dup(const cJSON *v)
{
    sbuf b = {0};
    output_str(v, &b);
    return sbuf_take(&b);
}

/* ------------------------------------------------------- sorted keys */

typedef struct {
    const char **keys;
    size_t len;
    size_t cap;
} keyset;

static bool keyset_has(const keyset *k, const char *key)
{
    for (size_t i = 0; i < k->len; i++)
        if (strcmp(k->keys[i], key) == 0)
            return true;
    return false;
}

static void keyset_add(keyset *k, const char *key)
{
    if (keyset_has(k, key))
        return;
    if (k->len == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 8;
        k->keys = xrealloc(k->keys, k->cap * sizeof *k->keys);
    }
    k->keys[k->len++] = key;
}

static int keyset_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void keyset_sort(keyset *k)
{
    if (k->len > 1)
        qsort(k->keys, k->len, sizeof *k->keys, keyset_cmp);
}

static void keyset_free(keyset *k)
{
    free(k->keys);
    k->keys = NULL;
    k->len = k->cap = 0;
}

/* Splits an object's keys into sorted scalar and non-scalar sets. */
static void output_group_keys(const cJSON *obj, keyset *scalars, keyset *more)
{
    for (const cJSON *c = obj->child; c; c = c->next)
        keyset_add(output_is_scalar(c) ? scalars : more, c->string);
    keyset_sort(scalars);
    keyset_sort(more);
}

/* ---------------------------------------------------------------- text */

static void text_format(const cJSON *item, const char *identifier, const keyset *scalar_keys,
                        sbuf *out);

static void text_put_upper(const char *s, sbuf *out)
{
    for (; *s; s++)
        sbuf_putc(out, (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s);
}

static void text_scalar_list(const cJSON *list, bool only_scalars, const char *identifier,
                             sbuf *out)
{
    bool first = true;
    for (const cJSON *c = list->child; c; c = c->next) {
        if (only_scalars && !output_is_scalar(c))
            continue;
        if (identifier) {
            text_put_upper(identifier, out);
            sbuf_putc(out, '\t');
            output_str(c, out);
            sbuf_putc(out, '\n');
        } else {
            if (!first)
                sbuf_putc(out, '\t');
            output_str(c, out);
        }
        first = false;
    }
    if (!identifier)
        sbuf_putc(out, '\n');
}

static void text_list(const cJSON *item, const char *identifier, sbuf *out)
{
    if (!item->child)
        return;
    bool any_dict = false, any_list = false;
    for (const cJSON *c = item->child; c; c = c->next) {
        any_dict |= cJSON_IsObject(c);
        any_list |= cJSON_IsArray(c);
    }
    if (any_dict) {
        keyset all = {0};
        for (const cJSON *c = item->child; c; c = c->next)
            if (cJSON_IsObject(c))
                for (const cJSON *m = c->child; m; m = m->next)
                    if (output_is_scalar(m))
                        keyset_add(&all, m->string);
        keyset_sort(&all);
        for (const cJSON *c = item->child; c; c = c->next)
            text_format(c, identifier, &all, out);
        keyset_free(&all);
    } else if (any_list) {
        bool any_scalar = false;
        for (const cJSON *c = item->child; c; c = c->next)
            any_scalar |= output_is_scalar(c);
        if (any_scalar)
            text_scalar_list(item, true, identifier, out);
        for (const cJSON *c = item->child; c; c = c->next)
            if (!output_is_scalar(c))
                text_format(c, identifier, NULL, out);
    } else {
        text_scalar_list(item, false, identifier, out);
    }
}

static void text_dict(const keyset *scalar_keys, const cJSON *item, const char *identifier,
                      sbuf *out)
{
    keyset scalars = {0}, more = {0};
    const keyset *cols = scalar_keys;
    if (!scalar_keys) {
        output_group_keys(item, &scalars, &more);
        cols = &scalars;
    } else {
        for (const cJSON *c = item->child; c; c = c->next)
            if (!keyset_has(scalar_keys, c->string))
                keyset_add(&more, c->string);
        keyset_sort(&more);
    }
    if (cols->len) {
        bool first = true;
        if (identifier) {
            text_put_upper(identifier, out);
            first = false;
        }
        for (size_t i = 0; i < cols->len; i++) {
            if (!first)
                sbuf_putc(out, '\t');
            first = false;
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, cols->keys[i]);
            if (v)
                output_str(v, out);
        }
        sbuf_putc(out, '\n');
    }
    for (size_t i = 0; i < more.len; i++)
        text_format(cJSON_GetObjectItemCaseSensitive(item, more.keys[i]), more.keys[i], NULL, out);
    keyset_free(&scalars);
    keyset_free(&more);
}

static void text_format(const cJSON *item, const char *identifier, const keyset *scalar_keys,
                        sbuf *out)
{
    if (cJSON_IsObject(item)) {
        text_dict(scalar_keys, item, identifier, out);
    } else if (cJSON_IsArray(item)) {
        text_list(item, identifier, out);
    } else {
        output_str(item, out);
        sbuf_putc(out, '\n');
    }
}

void output_text(const cJSON *v, sbuf *out)
{
    text_format(v, NULL, NULL, out);
}

/* --------------------------------------------------------------- table */

typedef struct {
    char **cells;
    size_t n;
} trow;

typedef struct {
    char *title;
    int indent;
    char **headers;
    size_t nheaders;
    trow *rows;
    size_t nrows;
    int *max_widths; /* text widths per column, grown by headers and rows */
    size_t ncols;
} tsection;

typedef struct {
    tsection *s;
    size_t n;
    size_t cap;
} ttable;

/* Display columns of UTF-8 text: one per character, two for the wide East
 * Asian blocks (awscli also counts "ambiguous" characters as two; that
 * table is not reproduced here). */
static int table_text_len(const char *s)
{
    int n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp = *p;
        int extra = 0;
        if (cp >= 0xf0) {
            cp &= 0x07;
            extra = 3;
        } else if (cp >= 0xe0) {
            cp &= 0x0f;
            extra = 2;
        } else if (cp >= 0xc0) {
            cp &= 0x1f;
            extra = 1;
        }
        p++;
        for (; extra > 0 && (*p & 0xc0) == 0x80; extra--, p++)
            cp = (cp << 6) | (*p & 0x3f);
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
                    (cp >= 0x20000 && cp <= 0x3fffd);
        n += wide ? 2 : 1;
    }
    return n;
}

static tsection *table_new_section(ttable *t, const char *title, int indent)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->s = xrealloc(t->s, t->cap * sizeof *t->s);
    }
    tsection *s = &t->s[t->n++];
    memset(s, 0, sizeof *s);
    s->title = xstrdup(title ? title : "");
    s->indent = indent;
    return s;
}

static tsection *table_current(ttable *t)
{
    return t->n ? &t->s[t->n - 1] : table_new_section(t, "", 0);
}

static void table_update_widths(tsection *s, char *const *cells, size_t n)
{
    if (n > s->ncols) {
        s->max_widths = xrealloc(s->max_widths, n * sizeof *s->max_widths);
        for (size_t i = s->ncols; i < n; i++)
            s->max_widths[i] = 0;
        s->ncols = n;
    }
    for (size_t i = 0; i < n; i++) {
        int w = table_text_len(cells[i]);
        if (w > s->max_widths[i])
            s->max_widths[i] = w;
    }
}

/* Takes ownership of cells. */
static void table_add_row(ttable *t, char **cells, size_t n)
{
    tsection *s = table_current(t);
    s->rows = xrealloc(s->rows, (s->nrows + 1) * sizeof *s->rows);
    s->rows[s->nrows].cells = cells;
    s->rows[s->nrows].n = n;
    s->nrows++;
    table_update_widths(s, cells, n);
}

static void table_add_header(ttable *t, const keyset *headers)
{
    tsection *s = table_current(t);
    for (size_t i = 0; i < s->nheaders; i++)
        free(s->headers[i]);
    free(s->headers);
    s->nheaders = headers->len;
    s->headers = xcalloc(headers->len + 1, sizeof *s->headers);
    for (size_t i = 0; i < headers->len; i++)
        s->headers[i] = xstrdup(headers->keys[i]);
    table_update_widths(s, s->headers, s->nheaders);
}

static bool table_build(ttable *t, const char *title, const cJSON *cur, int indent);

static void table_from_dict(ttable *t, const cJSON *cur, int indent)
{
    keyset headers = {0}, more = {0};
    output_group_keys(cur, &headers, &more);
    if (headers.len == 1) {
        char **cells = xcalloc(2, sizeof *cells);
        cells[0] = xstrdup(headers.keys[0]);
        cells[1] = output_str_dup(cJSON_GetObjectItemCaseSensitive(cur, headers.keys[0]));
        table_add_row(t, cells, 2);
    } else if (headers.len) {
        table_add_header(t, &headers);
        char **cells = xcalloc(headers.len, sizeof *cells);
        for (size_t i = 0; i < headers.len; i++)
            cells[i] = output_str_dup(cJSON_GetObjectItemCaseSensitive(cur, headers.keys[i]));
        table_add_row(t, cells, headers.len);
    }
    for (size_t i = 0; i < more.len; i++)
        table_build(t, more.keys[i], cJSON_GetObjectItemCaseSensitive(cur, more.keys[i]), indent + 1);
    keyset_free(&headers);
    keyset_free(&more);
}

static void table_from_list(ttable *t, const cJSON *cur, int indent, const char *title)
{
    keyset headers = {0}, more = {0};
    for (const cJSON *e = cur->child; e; e = e->next) {
        if (!cJSON_IsObject(e))
            continue;
        for (const cJSON *c = e->child; c; c = c->next)
            keyset_add(output_is_scalar(c) ? &headers : &more, c->string);
    }
    keyset_sort(&headers);
    keyset_sort(&more);
    table_add_header(t, &headers);
    bool first = true;
    for (const cJSON *e = cur->child; e; e = e->next) {
        if (!first && more.len) {
            table_new_section(t, title, indent);
            table_add_header(t, &headers);
        }
        first = false;
        char **cells = xcalloc(headers.len + 1, sizeof *cells);
        for (size_t i = 0; i < headers.len; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, headers.keys[i]);
            cells[i] = v ? output_str_dup(v) : xstrdup("");
        }
        table_add_row(t, cells, headers.len);
        for (size_t i = 0; i < more.len; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, more.keys[i]);
            if (v)
                table_build(t, more.keys[i], v, indent + 1);
        }
    }
    keyset_free(&headers);
    keyset_free(&more);
}

/* Python truthiness of a value. */
static bool table_truthy(const cJSON *v)
{
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        return v->child != NULL;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    return cJSON_IsTrue(v);
}

static bool table_build(ttable *t, const char *title, const cJSON *cur, int indent)
{
    if (!table_truthy(cur))
        return false;
    if (title)
        table_new_section(t, title, indent);
    if (cJSON_IsArray(cur)) {
        if (cJSON_IsObject(cur->child)) {
            table_from_list(t, cur, indent, title);
        } else {
            for (const cJSON *item = cur->child; item; item = item->next) {
                bool all_scalar = cJSON_IsArray(item);
                for (const cJSON *e = cJSON_IsArray(item) ? item->child : NULL; e; e = e->next)
                    all_scalar &= output_is_scalar(e);
                if (output_is_scalar(item)) {
                    char **cells = xcalloc(1, sizeof *cells);
                    cells[0] = output_str_dup(item);
                    table_add_row(t, cells, 1);
                } else if (all_scalar) {
                    size_t n = (size_t)cJSON_GetArraySize(item);
                    char **cells = xcalloc(n + 1, sizeof *cells);
                    size_t i = 0;
                    for (const cJSON *e = item->child; e; e = e->next)
                        cells[i++] = output_str_dup(e);
                    table_add_row(t, cells, n);
                } else {
                    table_build(t, NULL, item, indent);
                }
            }
        }
    }
    if (cJSON_IsObject(cur))
        table_from_dict(t, cur, indent);
    return true;
}

static int table_total_width(const tsection *s)
{
    int total = 0;
    for (size_t i = 0; i < s->ncols; i++)
        total += s->max_widths[i] + 4;
    total += 2 + 2 * s->indent;
    int title = table_text_len(s->title) + 2 + 2 * s->indent;
    return title > total ? title : total;
}

static int table_max_width(const ttable *t)
{
    int max = 0;
    for (size_t i = 0; i < t->n; i++) {
        int w = table_total_width(&t->s[i]);
        if (w > max)
            max = w;
    }
    return max;
}

/* Sections with one row and headers become header/value pairs. */
static void table_make_vertical(ttable *t)
{
    for (size_t i = 0; i < t->n; i++) {
        tsection *s = &t->s[i];
        if (s->nrows != 1 || s->nheaders == 0)
            continue;
        trow row = s->rows[0];
        char **headers = s->headers;
        size_t nheaders = s->nheaders;
        free(s->rows);
        free(s->max_widths);
        s->rows = NULL;
        s->nrows = 0;
        s->max_widths = NULL;
        s->ncols = 0;
        s->headers = NULL;
        s->nheaders = 0;
        ttable one = {.s = s, .n = 1, .cap = 1};
        size_t pairs = nheaders < row.n ? nheaders : row.n;
        for (size_t k = 0; k < pairs; k++) {
            char **cells = xcalloc(2, sizeof *cells);
            cells[0] = headers[k];
            cells[1] = row.cells[k];
            headers[k] = row.cells[k] = NULL;
            table_add_row(&one, cells, 2);
        }
        for (size_t k = 0; k < nheaders; k++)
            free(headers[k]);
        for (size_t k = 0; k < row.n; k++)
            free(row.cells[k]);
        free(headers);
        free(row.cells);
    }
}

/* Column widths that sum to max_width, scaled from the text widths. */
static int *table_column_widths(const tsection *s, int max_width)
{
    if (s->ncols == 0)
        return NULL;
    int *w = xcalloc(s->ncols, sizeof *w);
    long sum = 0;
    for (size_t i = 0; i < s->ncols; i++)
        sum += s->max_widths[i] + 4;
    double scale = (double)max_width / (double)sum;
    long total = 0;
    for (size_t i = 0; i < s->ncols; i++) {
        w[i] = (int)nearbyint(scale * (s->max_widths[i] + 4));
        total += w[i];
    }
    long off_by = total - max_width;
    while (off_by != 0) {
        for (size_t k = 0; k < s->ncols && off_by != 0; k++) {
            size_t i = off_by < 0 ? s->ncols - 1 - k : k;
            if (off_by > 0) {
                w[i]--;
                off_by--;
            } else {
                w[i]++;
                off_by++;
            }
        }
    }
    return w;
}

static void table_spaces(sbuf *out, long n)
{
    for (long i = 0; i < n; i++)
        sbuf_putc(out, ' ');
}

static void table_center(sbuf *out, const char *text, int length, const char *left,
                         const char *right)
{
    int text_len = table_text_len(text);
    long char_start = (length / 2) - (text_len / 2) - 1;
    sbuf_puts(out, left);
    table_spaces(out, char_start);
    sbuf_puts(out, text);
    long so_far = (long)strlen(left) + char_start + text_len;
    table_spaces(out, length - (long)strlen(right) - so_far);
    sbuf_puts(out, right);
}

static void table_align_left(sbuf *out, const char *text, int length, const char *left,
                             const char *right)
{
    int text_len = table_text_len(text);
    long computed = text_len + 2 + (long)strlen(left) + (long)strlen(right);
    long padding = length - computed >= 0 ? 2 : 0;
    sbuf_puts(out, left);
    table_spaces(out, padding);
    sbuf_puts(out, text);
    table_spaces(out, length - ((long)strlen(left) + padding + text_len) - (long)strlen(right));
    sbuf_puts(out, right);
}

/* Writes one line of a section: indent bars, the line, indent bars. */
static void table_line(sbuf *out, int indent, const sbuf *line)
{
    for (int i = 0; i < indent; i++)
        sbuf_putc(out, '|');
    if (line->data)
        sbuf_append(out, line->data, line->len);
    for (int i = 0; i < indent; i++)
        sbuf_putc(out, '|');
    sbuf_putc(out, '\n');
}

static void table_line_break(sbuf *out, int indent, const int *widths, size_t n)
{
    sbuf line = {0};
    for (size_t i = 0; i < n; i++) {
        if (i == 0) {
            sbuf_putc(&line, '+');
            for (int k = 0; k < widths[i] - 2; k++)
                sbuf_putc(&line, '-');
        } else {
            for (int k = 0; k < widths[i] - 1; k++)
                sbuf_putc(&line, '-');
        }
        sbuf_putc(&line, '+');
    }
    table_line(out, indent, &line);
    sbuf_free(&line);
}

static void table_render_section(const tsection *s, int max_width, sbuf *out)
{
    max_width -= s->indent * 2;
    sbuf line = {0};
    if (s->title[0]) {
        table_center(&line, s->title, max_width, "|", "|");
        table_line(out, s->indent, &line);
        line.len = 0;
        if (s->nheaders == 0 && s->nrows == 0) {
            sbuf_putc(&line, '+');
            for (int k = 0; k < max_width - 2; k++)
                sbuf_putc(&line, '-');
            sbuf_putc(&line, '+');
            table_line(out, s->indent, &line);
            line.len = 0;
        }
    }
    int *widths = table_column_widths(s, max_width);
    if (s->nheaders && widths) {
        for (size_t i = 0; i < s->nheaders && i < s->ncols; i++)
            table_center(&line, s->headers[i], widths[i], i == 0 ? "|" : "", "|");
        table_line_break(out, s->indent, widths, s->ncols);
        table_line(out, s->indent, &line);
        line.len = 0;
    }
    if (s->nrows && widths) {
        table_line_break(out, s->indent, widths, s->ncols);
        for (size_t r = 0; r < s->nrows; r++) {
            line.len = 0;
            for (size_t i = 0; i < s->rows[r].n && i < s->ncols; i++)
                table_align_left(&line, s->rows[r].cells[i], widths[i], i == 0 ? "|" : "", "|");
            table_line(out, s->indent, &line);
        }
        line.len = 0;
        table_line_break(out, s->indent, widths, s->ncols);
    }
    free(widths);
    sbuf_free(&line);
}

static void table_free(ttable *t)
{
    for (size_t i = 0; i < t->n; i++) {
        tsection *s = &t->s[i];
        free(s->title);
        for (size_t k = 0; k < s->nheaders; k++)
            free(s->headers[k]);
        free(s->headers);
        for (size_t r = 0; r < s->nrows; r++) {
            for (size_t k = 0; k < s->rows[r].n; k++)
                free(s->rows[r].cells[k]);
            free(s->rows[r].cells);
        }
        free(s->rows);
        free(s->max_widths);
    }
    free(t->s);
}

void output_table(const cJSON *v, const char *title, int width, sbuf *out)
{
    ttable t = {0};
    if (table_build(&t, title, v, 0) && t.n > 0) {
        int max_width = table_max_width(&t);
        if (max_width > width) {
            table_make_vertical(&t);
            max_width = table_max_width(&t);
        }
        for (int i = 0; i < max_width; i++)
            sbuf_putc(out, '-');
        sbuf_putc(out, '\n');
        for (size_t i = 0; i < t.n; i++)
            table_render_section(&t.s[i], max_width, out);
    }
    table_free(&t);
}

void output_render(output_format format, const cJSON *v, const char *title, int width, sbuf *out)
{
    if (cJSON_IsObject(v) && !v->child)
        return;
    switch (format) {
    case OUTPUT_JSON:
        output_json(v, out);
        break;
    case OUTPUT_TEXT:
        output_text(v, out);
        break;
    case OUTPUT_TABLE:
        output_table(v, title, width > 0 ? width : 80, out);
        break;
    }
}
