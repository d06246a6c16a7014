/* policy: see policy.h.
 *
 * The checker and the evaluator read the same grammar: policy_check is
 * what PutUserPolicy runs, so every stored document parses; the
 * evaluator still treats anything it cannot read as granting nothing,
 * the safe side of a policy bug. Keys are compared case-sensitively
 * (cJSON_GetObjectItemCaseSensitive) and duplicate keys are refused, so
 * there is one reading of each document. */
#include "controlplane/core/policy.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_len,
                                                        const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* ---- matching ---- */

static bool same_char(char a, char b, bool fold)
{
    return fold ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

bool policy_match(const char *pattern, const char *text, bool fold)
{
    /* Greedy with one backtrack point (the last '*'): linear enough for
     * patterns a policy holds, and no recursion to blow up. */
    const char *p = pattern, *t = text, *star = NULL, *resume = NULL;
    while (*t) {
        if (*p == '*') {
            star = p++;
            resume = t;
        } else if (*p && (*p == '?' || same_char(*p, *t, fold))) {
            p++;
            t++;
        } else if (star) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

size_t policy_size(const char *doc)
{
    size_t n = 0;
    for (const char *c = doc; *c; c++)
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
            n++;
    return n;
}

/* ---- checking ---- */

static bool keys_known(const cJSON *o, const char *const *known, size_t n_known, char *why,
                       size_t why_len)
{
    for (const cJSON *a = o->child; a; a = a->next) {
        bool ok = false;
        for (size_t i = 0; i < n_known; i++)
            ok = ok || strcmp(a->string, known[i]) == 0;
        if (!ok)
            return fail(why, why_len, "Syntax errors in policy: unknown element %.100s.", a->string);
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return fail(why, why_len, "Syntax errors in policy: duplicate element %.100s.",
                            a->string);
    }
    return true;
}

static bool action_ok(const char *s)
{
    if (strcmp(s, "*") == 0)
        return true;
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || colon[1] == '\0')
        return false;
    for (const char *c = s; c < colon; c++)
        if (!isalnum((unsigned char)*c) && *c != '-')
            return false;
    return true;
}

static bool resource_ok(const char *s)
{
    return strcmp(s, "*") == 0 || strncmp(s, "arn:", 4) == 0;
}

static bool bad_element(const char *s, bool actions, char *why, size_t why_len)
{
    if (actions)
        return fail(why, why_len,
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, "
                    "etc. (%.200s)", s);
    return fail(why, why_len, "Resource %.200s must be in ARN format or \"*\".", s);
}

/* A string or a non-empty list of strings, each an action (actions) or
 * a resource. */
static bool strings_ok(const cJSON *v, bool actions, char *why, size_t why_len)
{
    bool (*ok)(const char *) = actions ? action_ok : resource_ok;
    if (cJSON_IsString(v))
        return ok(v->valuestring) || bad_element(v->valuestring, actions, why, why_len);
    if (!cJSON_IsArray(v) || !v->child)
        return fail(why, why_len, "Syntax errors in policy.");
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return fail(why, why_len, "Syntax errors in policy.");
        if (!ok(e->valuestring))
            return bad_element(e->valuestring, actions, why, why_len);
    }
    return true;
}

static bool statement_ok(const cJSON *s, char *why, size_t why_len)
{
    static const char *const known[] = {"Sid",      "Effect",      "Action",
                                        "NotAction", "Resource",   "NotResource",
                                        "Principal", "NotPrincipal", "Condition"};
    if (!cJSON_IsObject(s))
        return fail(why, why_len, "Syntax errors in policy.");
    if (!keys_known(s, known, sizeof known / sizeof known[0], why, why_len))
        return false;
    if (cJSON_GetObjectItemCaseSensitive(s, "Principal") ||
        cJSON_GetObjectItemCaseSensitive(s, "NotPrincipal"))
        return fail(why, why_len, "Policy document should not specify a principal.");
    if (cJSON_GetObjectItemCaseSensitive(s, "Condition"))
        return fail(why, why_len, "rdsim does not evaluate Condition elements; remove it.");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(s, "Sid");
    if (sid && !cJSON_IsString(sid))
        return fail(why, why_len, "Syntax errors in policy.");
    const cJSON *effect = cJSON_GetObjectItemCaseSensitive(s, "Effect");
    if (!effect)
        return fail(why, why_len, "Missing required field Effect.");
    if (!cJSON_IsString(effect) ||
        (strcmp(effect->valuestring, "Allow") != 0 && strcmp(effect->valuestring, "Deny") != 0))
        return fail(why, why_len, "Invalid effect: %.100s",
                    cJSON_IsString(effect) ? effect->valuestring : "(not a string)");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, "Action");
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(s, "NotAction");
    if (a && na)
        return fail(why, why_len, "Syntax errors in policy: Action and NotAction together.");
    if (!a && !na)
        return fail(why, why_len, "Policy statement must contain actions.");
    if (!strings_ok(a ? a : na, true, why, why_len))
        return false;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "Resource");
    const cJSON *nr = cJSON_GetObjectItemCaseSensitive(s, "NotResource");
    if (r && nr)
        return fail(why, why_len, "Syntax errors in policy: Resource and NotResource together.");
    if (!r && !nr)
        return fail(why, why_len, "Policy statement must contain resources.");
    return strings_ok(r ? r : nr, false, why, why_len);
}

bool policy_check(const char *doc, size_t len, char *why, size_t why_len)
{
    if (!doc || len == 0 || len > POLICY_DOC_MAX || memchr(doc, '\0', len))
        return fail(why, why_len, "Syntax errors in policy.");
    cJSON *root = cJSON_ParseWithLength(doc, len);
    bool ok = false;
    static const char *const known[] = {"Version", "Id", "Statement"};
    if (!cJSON_IsObject(root)) {
        fail(why, why_len, "Syntax errors in policy.");
        goto done;
    }
    if (!keys_known(root, known, sizeof known / sizeof known[0], why, why_len))
        goto done;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "Version");
    if (v && (!cJSON_IsString(v) || (strcmp(v->valuestring, "2012-10-17") != 0 &&
                                     strcmp(v->valuestring, "2008-10-17") != 0))) {
        fail(why, why_len, "The policy failed legacy parsing");
        goto done;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "Id");
    if (id && !cJSON_IsString(id)) {
        fail(why, why_len, "Syntax errors in policy.");
        goto done;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "Statement");
    if (!st) {
        fail(why, why_len, "Missing required field Statement.");
        goto done;
    }
    if (cJSON_IsArray(st)) {
        if (!st->child) {
            fail(why, why_len, "Syntax errors in policy: an empty Statement list.");
            goto done;
        }
        for (const cJSON *s = st->child; s; s = s->next)
            if (!statement_ok(s, why, why_len))
                goto done;
    } else if (!statement_ok(st, why, why_len)) {
        goto done;
    }
    ok = true;
done:
    cJSON_Delete(root);
    return ok;
}

/* ---- evaluation ---- */

/* Does any string of v (a string or a list) match text? */
static bool any_matches(const cJSON *v, const char *text, bool fold)
{
    if (cJSON_IsString(v))
        return policy_match(v->valuestring, text, fold);
    for (const cJSON *e = cJSON_IsArray(v) ? v->child : NULL; e; e = e->next)
        if (cJSON_IsString(e) && policy_match(e->valuestring, text, fold))
            return true;
    return false;
}

/* Does statement s apply to (action, resource)? false for anything that
 * does not read as a statement. */
static bool statement_applies(const cJSON *s, const char *action, const char *resource)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, "Action");
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(s, "NotAction");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "Resource");
    const cJSON *nr = cJSON_GetObjectItemCaseSensitive(s, "NotResource");
    if ((a != NULL) == (na != NULL) || (r != NULL) == (nr != NULL))
        return false;
    bool act = a ? any_matches(a, action, true) : !any_matches(na, action, true);
    bool res = r ? any_matches(r, resource, false) : !any_matches(nr, resource, false);
    return act && res;
}

policy_verdict policy_evaluate(const char *const *docs, size_t n, const char *action,
                               const char *resource)
{
    bool allowed = false;
    for (size_t i = 0; i < n; i++) {
        cJSON *root = cJSON_Parse(docs[i]);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "Statement");
        const cJSON *first = cJSON_IsArray(st) ? st->child : st;
        bool deny = false;
        for (const cJSON *s = first; s && cJSON_IsObject(s);
             s = cJSON_IsArray(st) ? s->next : NULL) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "Effect");
            if (!cJSON_IsString(e) || cJSON_GetObjectItemCaseSensitive(s, "Condition") ||
                !statement_applies(s, action, resource))
                continue;
            if (strcmp(e->valuestring, "Deny") == 0)
                deny = true;
            else if (strcmp(e->valuestring, "Allow") == 0)
                allowed = true;
        }
        cJSON_Delete(root);
        if (deny)
            return POLICY_EXPLICIT_DENY;
    }
    return allowed ? POLICY_ALLOW : POLICY_IMPLICIT_DENY;
}

void policy_denied_message(char *out, size_t out_len, const char *arn, const char *action,
                           const char *resource, policy_verdict verdict)
{
    bool named = resource && strcmp(resource, "*") != 0;
    if (verdict == POLICY_EXPLICIT_DENY)
        snprintf(out, out_len,
                 "User: %s is not authorized to perform: %s%s%s with an explicit deny in an "
                 "identity-based policy",
                 arn, action, named ? " on resource: " : "", named ? resource : "");
    else
        snprintf(out, out_len,
                 "User: %s is not authorized to perform: %s%s%s because no identity-based "
                 "policy allows the %s action",
                 arn, action, named ? " on resource: " : "", named ? resource : "", action);
}
