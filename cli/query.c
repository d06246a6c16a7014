/* query: see query.h. */
#include "cli/query.h"

#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* The RDS API version every request names. */
#define QUERY_API_VERSION "2014-10-31"

void query_add(query *q, const char *name, const char *value)
{
    if (q->len == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->items = xrealloc(q->items, q->cap * sizeof *q->items);
    }
    q->items[q->len].name = xstrdup(name);
    q->items[q->len].value = xstrdup(value);
    q->len++;
}

void query_set(query *q, const char *name, const char *value)
{
    for (size_t i = 0; i < q->len; i++) {
        if (strcmp(q->items[i].name, name) == 0) {
            free(q->items[i].value);
            q->items[i].value = xstrdup(value);
            return;
        }
    }
    query_add(q, name, value);
}

const char *query_get(const query *q, const char *name)
{
    for (size_t i = 0; i < q->len; i++)
        if (strcmp(q->items[i].name, name) == 0)
            return q->items[i].value;
    return NULL;
}

void query_remove(query *q, const char *name)
{
    size_t kept = 0;
    for (size_t i = 0; i < q->len; i++) {
        if (strcmp(q->items[i].name, name) == 0) {
            free(q->items[i].name);
            free(q->items[i].value);
        } else {
            q->items[kept++] = q->items[i];
        }
    }
    q->len = kept;
}

void query_free(query *q)
{
    for (size_t i = 0; i < q->len; i++) {
        free(q->items[i].name);
        free(q->items[i].value);
    }
    free(q->items);
    q->items = NULL;
    q->len = q->cap = 0;
}

static void query_put_encoded(sbuf *b, const char *s)
{
    /* space_as_plus=1: botocore uses quote_plus for form bodies. */
    char *enc = evhttp_uriencode(s, -1, 1);
    if (!enc)
        abort(); /* evhttp_uriencode fails only on out-of-memory */
    sbuf_puts(b, enc);
    free(enc);
}

char *query_encode(const char *action, const query *q, bool redact)
{
    return query_encode_version(action, NULL, q, redact);
}

char *query_encode_version(const char *action, const char *version, const query *q,
                           bool redact)
{
    sbuf b = {0};
    sbuf_puts(&b, "Action=");
    query_put_encoded(&b, action);
    sbuf_puts(&b, "&Version=");
    query_put_encoded(&b, version ? version : QUERY_API_VERSION);
    for (size_t i = 0; i < q->len; i++) {
        sbuf_putc(&b, '&');
        query_put_encoded(&b, q->items[i].name);
        sbuf_putc(&b, '=');
        if (redact && strstr(q->items[i].name, "Password"))
            sbuf_puts(&b, "REDACTED");
        else
            query_put_encoded(&b, q->items[i].value);
    }
    return sbuf_take(&b);
}
