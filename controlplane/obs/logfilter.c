/* logfilter: see logfilter.h. */
#include "controlplane/obs/logfilter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

enum { TERM_ALL, TERM_ANY, TERM_NOT };

typedef struct {
    int kind;
    char *text;
} term;

struct logfilter {
    term *terms;
    size_t n;
    bool has_any;
};

void logfilter_free(logfilter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->terms[i].text);
    free(f->terms);
    free(f);
}

static logfilter *refuse(logfilter *f, char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    logfilter_free(f);
    return NULL;
}

/* One term at *p (after its ? or -): a quoted phrase or a word up to a
 * blank. NULL for an unterminated quote. */
static char *read_term(const char **p)
{
    const char *s = *p;
    size_t cap = strlen(s) + 1, n = 0;
    char *out = xmalloc(cap);
    if (*s == '"') {
        s++;
        while (*s && *s != '"') {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            out[n++] = *s++;
        }
        if (*s != '"') {
            free(out);
            return NULL;
        }
        s++;
    } else {
        while (*s && *s != ' ' && *s != '\t')
            out[n++] = *s++;
    }
    out[n] = '\0';
    *p = s;
    return out;
}

logfilter *logfilter_compile(const char *pattern, char *why, size_t whylen)
{
    logfilter *f = xcalloc(1, sizeof *f);
    if (!pattern)
        return f;
    if (strlen(pattern) > LOGFILTER_MAX)
        return refuse(f, why, whylen, "filterPattern is longer than 1024 characters.");
    const char *p = pattern;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '{')
        return refuse(f, why, whylen, "rdsim's CloudWatch Logs does not support JSON filter "
                      "patterns; use terms, \"quoted phrases\", ?alternatives and -exclusions.");
    if (*p == '[')
        return refuse(f, why, whylen, "rdsim's CloudWatch Logs does not support space-delimited "
                      "filter patterns; use terms, \"quoted phrases\", ?alternatives and "
                      "-exclusions.");
    if (*p == '%')
        return refuse(f, why, whylen, "rdsim's CloudWatch Logs does not support regular "
                      "expressions in filter patterns.");
    while (*p) {
        if (*p == ' ' || *p == '\t') {
            p++;
            continue;
        }
        int kind = TERM_ALL;
        if (*p == '?' || (*p == '-' && p[1] && p[1] != ' ')) {
            kind = *p == '?' ? TERM_ANY : TERM_NOT;
            p++;
        }
        char *t = read_term(&p);
        if (!t)
            return refuse(f, why, whylen, "Invalid filter pattern: an unterminated quote.");
        if (!*t) {
            free(t);
            continue; /* "" or a lone ?: nothing to match */
        }
        f->terms = xrealloc(f->terms, (f->n + 1) * sizeof *f->terms);
        f->terms[f->n++] = (term){kind, t};
        f->has_any = f->has_any || kind == TERM_ANY;
    }
    return f;
}

bool logfilter_match(const logfilter *f, const char *msg)
{
    bool any = false;
    for (size_t i = 0; i < f->n; i++) {
        bool in = strstr(msg, f->terms[i].text) != NULL;
        if ((f->terms[i].kind == TERM_ALL && !in) || (f->terms[i].kind == TERM_NOT && in))
            return false;
        any = any || (f->terms[i].kind == TERM_ANY && in);
    }
    return !f->has_any || any;
}
