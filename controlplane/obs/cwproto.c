/* cwproto: see cwproto.h. Decoders first (JSON, CBOR, Query), then the
 * result encoders, the error table and the request getters. */
#include "controlplane/obs/cwproto.h"

#include <cbor.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/render.h"
#include "lib/rclock.h"
#include "lib/util.h"

/* A Query list under construction: an object keyed by index. */
#define CW_F_LIST (1 << 14)

static int cw_depth(const cJSON *o, int d)
{
    if (d > CWPROTO_MAX_DEPTH)
        return d;
    int m = d;
    const cJSON *c;
    if (cJSON_IsArray(o) || cJSON_IsObject(o))
        cJSON_ArrayForEach(c, o) {
            int k = cw_depth(c, d + 1);
            if (k > m)
                m = k;
            if (m > CWPROTO_MAX_DEPTH)
                break;
        }
    return m;
}

cJSON *cwproto_decode_json(const char *body, size_t len, awserr *err)
{
    if (len == 0)
        return cJSON_CreateObject();
    /* cJSON recurses per nesting level and stops at its own limit (1000);
     * the depth is checked again below for the handlers' sake. */
    cJSON *o = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(o) || cw_depth(o, 0) > CWPROTO_MAX_DEPTH) {
        cJSON_Delete(o);
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The request body could not be parsed: it must be one JSON object nested "
                   "at most %d levels.", CWPROTO_MAX_DEPTH);
        return NULL;
    }
    return o;
}

/* ---- CBOR ---- */

/* Walks the item headers of exactly one CBOR data item filling b[0..len)
 * with a bounds check on every read: false when it is truncated, nests
 * deeper than CWPROTO_MAX_DEPTH (a tag counts as a level), uses a reserved
 * header, or is followed by more bytes. libcbor's loader is then safe from
 * deep nesting (its item release recurses) and from absurd lengths. */
static bool cw_cbor_shape_ok(const uint8_t *b, size_t len)
{
    int64_t rem[CWPROTO_MAX_DEPTH + 2]; /* items left per open container; -1 indefinite */
    int depth = 0;
    size_t pos = 0;
    while (pos < len) {
        uint8_t ib = b[pos++];
        int major = ib >> 5, ai = ib & 31;
        uint64_t val = (uint64_t)ai;
        bool indef = false;
        if (ai >= 24 && ai <= 27) {
            size_t n = (size_t)1 << (ai - 24);
            if (len - pos < n)
                return false;
            val = 0;
            for (size_t i = 0; i < n; i++)
                val = (val << 8) | b[pos++];
        } else if (ai >= 28 && ai <= 30) {
            return false;
        } else if (ai == 31) {
            if (major == 7) { /* break */
                if (depth == 0 || rem[depth] != -1)
                    return false;
                depth--;
                goto complete;
            }
            if (major < 2 || major == 6)
                return false;
            indef = true;
        }
        switch (major) {
        case 2:
        case 3:
            if (!indef) {
                if (val > len - pos)
                    return false;
                pos += (size_t)val;
                goto complete;
            }
            break;
        case 4:
        case 5:
            if (!indef) {
                if (val > len - pos || (major == 5 && val > (len - pos) / 2))
                    return false; /* each item takes a byte at least */
                if (val == 0)
                    goto complete;
                val *= (uint64_t)(major == 5 ? 2 : 1);
            }
            break;
        case 6:
            val = 1;
            break;
        default: /* 0, 1, 7: one whole item */
            goto complete;
        }
        if (++depth > CWPROTO_MAX_DEPTH)
            return false;
        rem[depth] = indef ? -1 : (int64_t)val;
        continue;
    complete:
        while (depth > 0 && rem[depth] > 0 && --rem[depth] == 0)
            depth--;
        if (depth == 0)
            return pos == len;
    }
    return false;
}

static cJSON *cw_from_cbor(const cbor_item_t *it, int depth, const char **why);

static char *cw_cbor_text(const cbor_item_t *it)
{
    sbuf b = {0};
    if (cbor_string_is_definite(it)) {
        sbuf_append(&b, (const char *)cbor_string_handle(it), cbor_string_length(it));
    } else {
        cbor_item_t **ch = cbor_string_chunks_handle(it);
        for (size_t i = 0; i < cbor_string_chunk_count(it); i++)
            sbuf_append(&b, (const char *)cbor_string_handle(ch[i]), cbor_string_length(ch[i]));
    }
    return sbuf_take(&b);
}

static cJSON *cw_from_cbor_map(const cbor_item_t *it, int depth, const char **why)
{
    cJSON *o = cJSON_CreateObject();
    struct cbor_pair *pairs = cbor_map_handle(it);
    for (size_t i = 0; i < cbor_map_size(it); i++) {
        if (!cbor_isa_string(pairs[i].key)) {
            *why = "a map key is not a text string";
            cJSON_Delete(o);
            return NULL;
        }
        char *k = cw_cbor_text(pairs[i].key);
        cJSON *v = cw_from_cbor(pairs[i].value, depth + 1, why);
        if (!v || cJSON_GetObjectItemCaseSensitive(o, k)) {
            if (v)
                *why = "a map key repeats";
            cJSON_Delete(v);
            cJSON_Delete(o);
            free(k);
            return NULL;
        }
        if (!cJSON_IsNull(v))
            cJSON_AddItemToObject(o, k, v);
        else
            cJSON_Delete(v); /* a null member is an absent one */
        free(k);
    }
    return o;
}

static cJSON *cw_from_cbor(const cbor_item_t *it, int depth, const char **why)
{
    if (depth > CWPROTO_MAX_DEPTH) {
        *why = "the body nests too deep";
        return NULL;
    }
    switch (cbor_typeof(it)) {
    case CBOR_TYPE_UINT:
        return cJSON_CreateNumber((double)cbor_get_int(it));
    case CBOR_TYPE_NEGINT:
        return cJSON_CreateNumber(-1.0 - (double)cbor_get_int(it));
    case CBOR_TYPE_STRING: {
        char *t = cw_cbor_text(it);
        cJSON *s = cJSON_CreateString(t);
        free(t);
        return s;
    }
    case CBOR_TYPE_ARRAY: {
        cJSON *a = cJSON_CreateArray();
        cbor_item_t **h = cbor_array_handle(it);
        for (size_t i = 0; i < cbor_array_size(it); i++) {
            cJSON *v = cw_from_cbor(h[i], depth + 1, why);
            if (!v) {
                cJSON_Delete(a);
                return NULL;
            }
            cJSON_AddItemToArray(a, v);
        }
        return a;
    }
    case CBOR_TYPE_MAP:
        return cw_from_cbor_map(it, depth, why);
    case CBOR_TYPE_TAG: {
        /* Tag 1: epoch seconds, integer or float (smithy's timestamps). */
        cbor_item_t *in = cbor_tag_item(it);
        cJSON *v = NULL;
        if (cbor_tag_value(it) != 1)
            *why = "a tag other than 1 (epoch time)";
        else if (!(v = cw_from_cbor(in, depth + 1, why)) || !cJSON_IsNumber(v)) {
            if (v)
                *why = "a timestamp (tag 1) that is not a number";
            cJSON_Delete(v);
            v = NULL;
        }
        cbor_decref(&in);
        return v;
    }
    case CBOR_TYPE_FLOAT_CTRL:
        if (cbor_float_ctrl_is_ctrl(it)) {
            uint8_t c = cbor_ctrl_value(it);
            if (c == CBOR_CTRL_TRUE || c == CBOR_CTRL_FALSE)
                return cJSON_CreateBool(c == CBOR_CTRL_TRUE);
            if (c == CBOR_CTRL_NULL || c == CBOR_CTRL_UNDEF)
                return cJSON_CreateNull();
            *why = "an unknown simple value";
            return NULL;
        }
        return cJSON_CreateNumber(cbor_float_get_float(it));
    default:
        *why = "a byte string (no CloudWatch member is a blob)";
        return NULL;
    }
}

cJSON *cwproto_decode_cbor(const uint8_t *body, size_t len, awserr *err)
{
    if (len == 0)
        return cJSON_CreateObject();
    const char *why = "it is not one well-formed CBOR item";
    cJSON *o = NULL;
    if (cw_cbor_shape_ok(body, len)) {
        struct cbor_load_result res;
        cbor_item_t *it = cbor_load(body, len, &res);
        if (it && res.error.code == CBOR_ERR_NONE && res.read == len) {
            if (cbor_isa_map(it))
                o = cw_from_cbor(it, 0, &why);
            else
                why = "the body is not a map";
        }
        if (it)
            cbor_decref(&it);
    }
    if (!o)
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The request body could not be parsed as CBOR: %s.", why);
    return o;
}

/* ---- Query ---- */

/* The child `key` of o as a container (object, list when `list`), made
 * when absent; NULL when a leaf or the other kind is already there. */
static cJSON *q_container(cJSON *o, const char *key, bool list)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!c) {
        c = cJSON_CreateObject();
        if (list)
            c->type |= CW_F_LIST;
        cJSON_AddItemToObject(o, key, c);
        return c;
    }
    if (!cJSON_IsObject(c) || ((c->type & CW_F_LIST) != 0) != list)
        return NULL;
    return c;
}

/* Adds one "A.member.N.B" = value to root; false on a conflict or a bad
 * index. */
static bool q_add(cJSON *root, const char *name, const char *value)
{
    char *copy = xstrdup(name);
    char *segs[64];
    int n = 0;
    for (char *s = copy, *save = NULL, *t; n < 64 && (t = strtok_r(s, ".", &save)); s = NULL)
        segs[n++] = t;
    bool ok = n > 0 && n < 64;
    cJSON *cur = root;
    for (int i = 0; ok && i < n;) {
        char key[16];
        if (i + 2 < n && strcmp(segs[i + 1], "member") == 0) {
            char *end;
            long idx = strtol(segs[i + 2], &end, 10);
            cJSON *l = q_container(cur, segs[i], true);
            if (!l || *end || end == segs[i + 2] || idx < 1 || idx > CWPROTO_MAX_INDEX) {
                ok = false;
                break;
            }
            snprintf(key, sizeof key, "%ld", idx);
            if (i + 3 == n) {
                ok = !cJSON_GetObjectItemCaseSensitive(l, key) &&
                     cJSON_AddStringToObject(l, key, value);
                break;
            }
            cur = q_container(l, key, false);
            ok = cur != NULL;
            i += 3;
        } else if (i + 1 == n) {
            ok = !cJSON_GetObjectItemCaseSensitive(cur, segs[i]) &&
                 cJSON_AddStringToObject(cur, segs[i], value);
            break;
        } else {
            cur = q_container(cur, segs[i], false);
            ok = cur != NULL;
            i++;
        }
    }
    free(copy);
    return ok;
}

static int q_index_cmp(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    long i = strtol(x->string, NULL, 10), j = strtol(y->string, NULL, 10);
    return i < j ? -1 : i > j;
}

/* Turns every list under construction into an array in index order. */
static void q_finish(cJSON *o)
{
    cJSON *c = o->child;
    while (c) {
        cJSON *next = c->next;
        if (cJSON_IsObject(c))
            q_finish(c);
        if (c->type & CW_F_LIST) {
            int n = cJSON_GetArraySize(c);
            cJSON **v = xcalloc((size_t)n + 1, sizeof *v);
            int k = 0;
            cJSON *e;
            cJSON_ArrayForEach(e, c) v[k++] = e;
            qsort(v, (size_t)k, sizeof *v, q_index_cmp);
            cJSON *arr = cJSON_CreateArray();
            for (int i = 0; i < k; i++) {
                cJSON_DetachItemViaPointer(c, v[i]);
                cJSON_AddItemToArray(arr, v[i]);
            }
            free(v);
            arr->string = xstrdup(c->string); /* ViaPointer keeps no key */
            cJSON_ReplaceItemViaPointer(o, c, arr);
        }
        c = next;
    }
}

cJSON *cwproto_decode_query(const params *p, awserr *err)
{
    cJSON *root = cJSON_CreateObject();
    for (size_t i = 0; i < params_count(p); i++) {
        const char *name = params_name_at(p, i);
        if (strcmp(name, "Action") == 0 || strcmp(name, "Version") == 0)
            continue;
        const char *v = params_get(p, name);
        if (!q_add(root, name, v ? v : "")) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "The parameter %.200s is malformed or conflicts with another one.",
                       name);
            cJSON_Delete(root);
            return NULL;
        }
    }
    q_finish(root);
    return root;
}

bool cwproto_gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, awserr *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The body could not be inflated.");
    uint8_t *buf = xmalloc(CWPROTO_MAX_BODY + 1);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = CWPROTO_MAX_BODY + 1; /* one byte more: a body over the bound is seen */
    int rc = inflate(&z, Z_FINISH);
    size_t n = CWPROTO_MAX_BODY + 1 - z.avail_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || n > CWPROTO_MAX_BODY) {
        free(buf);
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          n > CWPROTO_MAX_BODY
                              ? "The request body inflates to more than 1 MiB."
                              : "The request body is not valid gzip (Content-Encoding: gzip).");
    }
    *out = buf;
    *out_len = n;
    return true;
}

/* ---- results ---- */

cJSON *cwproto_time(double epoch_s)
{
    cJSON *n = cJSON_CreateNumber(epoch_s);
    n->type |= CWPROTO_F_TIME;
    return n;
}

cJSON *cwproto_int(int64_t v)
{
    cJSON *n = cJSON_CreateNumber((double)v);
    n->type |= CWPROTO_F_INT;
    return n;
}

static void cw_xml_value(sbuf *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        render_xml_text(b, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        sbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v) && (v->type & CWPROTO_F_TIME)) {
        char t[40];
        rclock_format((int64_t)llround(v->valuedouble * 1000.0), t, sizeof t);
        sbuf_puts(b, t);
    } else if (cJSON_IsNumber(v) && (v->type & CWPROTO_F_INT)) {
        sbuf_printf(b, "%lld", (long long)v->valuedouble);
    } else if (cJSON_IsNumber(v)) {
        sbuf_printf(b, "%.17g", v->valuedouble);
    }
}

static void cw_xml_members(sbuf *b, const cJSON *o);

static void cw_xml_item(sbuf *b, const char *tag, const cJSON *v)
{
    if (cJSON_IsNull(v))
        return;
    sbuf_printf(b, "<%s>", tag);
    if (cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) cw_xml_item(b, "member", e);
    } else if (cJSON_IsObject(v)) {
        cw_xml_members(b, v);
    } else {
        cw_xml_value(b, v);
    }
    sbuf_printf(b, "</%s>", tag);
}

static void cw_xml_members(sbuf *b, const cJSON *o)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, o) cw_xml_item(b, c->string, c);
}

static cbor_item_t *cw_to_cbor(const cJSON *v)
{
    if (cJSON_IsString(v))
        return cbor_build_string(v->valuestring);
    if (cJSON_IsBool(v))
        return cbor_build_bool(cJSON_IsTrue(v));
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (v->type & CWPROTO_F_TIME)
            return cbor_build_tag(1, cbor_move(cbor_build_float8(d)));
        if ((v->type & CWPROTO_F_INT) && d >= 0)
            return cbor_build_uint64((uint64_t)d);
        if (v->type & CWPROTO_F_INT)
            return cbor_build_negint64((uint64_t)(-1.0 - d));
        return cbor_build_float8(d);
    }
    if (cJSON_IsArray(v)) {
        cbor_item_t *a = cbor_new_definite_array((size_t)cJSON_GetArraySize(v));
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            cbor_item_t *x = cw_to_cbor(e);
            if (x)
                cbor_array_push(a, cbor_move(x));
        }
        return a;
    }
    if (cJSON_IsObject(v)) {
        size_t n = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) if (!cJSON_IsNull(e)) n++;
        cbor_item_t *m = cbor_new_definite_map(n);
        cJSON_ArrayForEach(e, v) {
            cbor_item_t *x = cJSON_IsNull(e) ? NULL : cw_to_cbor(e);
            if (x)
                cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_string(e->string)),
                                                   .value = cbor_move(x)});
        }
        return m;
    }
    return NULL;
}

static uint8_t *cw_cbor_bytes(const cJSON *o, size_t *len)
{
    cbor_item_t *it = cw_to_cbor(o);
    unsigned char *buf = NULL;
    size_t size = 0;
    *len = it ? cbor_serialize_alloc(it, &buf, &size) : 0;
    if (it)
        cbor_decref(&it);
    if (!buf || *len == 0) {
        free(buf);
        buf = xmalloc(1);
        buf[0] = 0xa0; /* {} */
        *len = 1;
    }
    return buf;
}

uint8_t *cwproto_encode(cwproto proto, const char *op, const cJSON *result,
                        const char *request_id, size_t *len, const char **ctype)
{
    cJSON *empty = NULL;
    if (!result)
        result = empty = cJSON_CreateObject();
    uint8_t *out;
    if (proto == CWPROTO_CBOR) {
        *ctype = "application/cbor";
        out = cw_cbor_bytes(result, len);
    } else if (proto == CWPROTO_JSON) {
        *ctype = "application/x-amz-json-1.0";
        out = (uint8_t *)cJSON_PrintUnformatted(result);
        *len = strlen((char *)out);
    } else {
        *ctype = "text/xml";
        sbuf b = {0};
        sbuf_printf(&b, "<%sResponse xmlns=\"%s\">", op, CWPROTO_XMLNS);
        if (result->child) {
            sbuf_printf(&b, "<%sResult>", op);
            cw_xml_members(&b, result);
            sbuf_printf(&b, "</%sResult>", op);
        }
        sbuf_printf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
                        "</%sResponse>\n", request_id, op);
        out = (uint8_t *)sbuf_take(&b);
        *len = strlen((char *)out);
    }
    cJSON_Delete(empty);
    return out;
}

cwproto_errinfo cwproto_error_info(awserr_code code)
{
    switch (code) {
    case AWSERR_INVALID_PARAMETER_VALUE:
        return (cwproto_errinfo){"InvalidParameterValueException", "InvalidParameterValue", 400, true};
    case AWSERR_MISSING_PARAMETER:
        return (cwproto_errinfo){"MissingRequiredParameterException", "MissingParameter", 400, true};
    case AWSERR_INVALID_PARAMETER_COMBINATION:
        return (cwproto_errinfo){"InvalidParameterCombinationException",
                                 "InvalidParameterCombination", 400, true};
    case AWSERR_RESOURCE_NOT_FOUND:
        return (cwproto_errinfo){"ResourceNotFound", "ResourceNotFound", 404, true};
    case AWSERR_INVALID_ACTION:
        return (cwproto_errinfo){"UnknownOperationException", "InvalidAction", 400, true};
    case AWSERR_CW_INVALID_NEXT_TOKEN:
        return (cwproto_errinfo){"InvalidNextToken", "InvalidNextToken", 400, true};
    case AWSERR_CW_INVALID_FORMAT:
        return (cwproto_errinfo){"InvalidFormatFault", "InvalidFormat", 400, true};
    case AWSERR_CW_LIMIT_EXCEEDED:
        return (cwproto_errinfo){"LimitExceededFault", "LimitExceeded", 400, true};
    /* The door's refusals (api/auth.h), as AWS's JSON services name them. */
    case AWSERR_MISSING_AUTHENTICATION_TOKEN:
        return (cwproto_errinfo){"MissingAuthenticationTokenException",
                                 "MissingAuthenticationToken", 403, true};
    case AWSERR_INCOMPLETE_SIGNATURE:
        return (cwproto_errinfo){"IncompleteSignatureException", "IncompleteSignature", 400, true};
    case AWSERR_INVALID_CLIENT_TOKEN_ID:
        return (cwproto_errinfo){"UnrecognizedClientException", "InvalidClientTokenId", 403, true};
    case AWSERR_SIGNATURE_DOES_NOT_MATCH:
        return (cwproto_errinfo){"InvalidSignatureException", "SignatureDoesNotMatch", 403, true};
    case AWSERR_REQUEST_EXPIRED:
        return (cwproto_errinfo){"InvalidSignatureException", "RequestExpired", 400, true};
    case AWSERR_ACCESS_DENIED:
        return (cwproto_errinfo){"AccessDeniedException", "AccessDenied", 403, true};
    default:
        return (cwproto_errinfo){"InternalServiceFault", "InternalServiceError", 500, false};
    }
}

uint8_t *cwproto_encode_error(cwproto proto, const awserr *e, const char *request_id,
                              size_t *len, const char **ctype, int *status, char *qerr,
                              size_t qerr_size)
{
    cwproto_errinfo info = cwproto_error_info(e->code);
    *status = info.status;
    qerr[0] = '\0';
    if (proto == CWPROTO_QUERY) {
        sbuf b = {0};
        sbuf_printf(&b, "<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type><Code>%s</Code>"
                        "<Message>", CWPROTO_XMLNS, info.sender ? "Sender" : "Receiver",
                    info.code);
        render_xml_text(&b, e->message);
        sbuf_printf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n",
                    request_id);
        *ctype = "text/xml";
        uint8_t *out = (uint8_t *)sbuf_take(&b);
        *len = strlen((char *)out);
        return out;
    }
    snprintf(qerr, qerr_size, "%s;%s", info.code, info.sender ? "Sender" : "Receiver");
    cJSON *o = cJSON_CreateObject();
    char type[128];
    snprintf(type, sizeof type, "com.amazonaws.cloudwatch#%s", info.shape);
    cJSON_AddStringToObject(o, "__type", type);
    cJSON_AddStringToObject(o, "message", e->message);
    uint8_t *out;
    if (proto == CWPROTO_CBOR) {
        *ctype = "application/cbor";
        out = cw_cbor_bytes(o, len);
    } else {
        *ctype = "application/x-amz-json-1.0";
        out = (uint8_t *)cJSON_PrintUnformatted(o);
        *len = strlen((char *)out);
    }
    cJSON_Delete(o);
    return out;
}

/* ---- getters ---- */

const char *cwreq_str(const cJSON *o, const char *name, bool required, awserr *err, bool *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *ok = true;
    if (v && !cJSON_IsString(v)) {
        *ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                         "The parameter %s must be a string.", name);
        return NULL;
    }
    if (required && (!v || !v->valuestring[0])) {
        *ok = awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter %s is required.", name);
        return NULL;
    }
    return v ? v->valuestring : NULL;
}

bool cwreq_num(const cJSON *o, const char *name, double *out, bool *present, awserr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (present)
        *present = false;
    if (!v)
        return true;
    double d;
    if (cJSON_IsNumber(v)) {
        d = v->valuedouble;
    } else if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        d = strtod(v->valuestring, &end);
        if (*end)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter %s must be a number.", name);
    } else {
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s must be a number.", name);
    }
    if (!isfinite(d))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The value %s for parameter %s is invalid.", "NaN/Infinity", name);
    *out = d;
    if (present)
        *present = true;
    return true;
}

bool cwreq_i64(const cJSON *o, const char *name, int64_t min, int64_t max, int64_t *out,
               bool *present, awserr *err)
{
    double d = 0;
    bool here = false;
    if (!cwreq_num(o, name, &d, &here, err))
        return false;
    if (present)
        *present = here;
    if (!here)
        return true;
    if (d != floor(d) || d < (double)min || d > (double)max)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s must be an integer between %lld and %lld.", name,
                          (long long)min, (long long)max);
    *out = (int64_t)d;
    return true;
}

bool cwreq_bool(const cJSON *o, const char *name, bool *out, bool *present, awserr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (present)
        *present = v != NULL;
    if (!v)
        return true;
    if (cJSON_IsBool(v))
        *out = cJSON_IsTrue(v);
    else if (cJSON_IsString(v) && strcasecmp(v->valuestring, "true") == 0)
        *out = true;
    else if (cJSON_IsString(v) && strcasecmp(v->valuestring, "false") == 0)
        *out = false;
    else
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s must be true or false.", name);
    return true;
}

bool cwreq_time(const cJSON *o, const char *name, int64_t *out, bool *present, awserr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (present)
        *present = v != NULL;
    if (!v)
        return true;
    double d = 0;
    int64_t ms = 0;
    char *end = NULL;
    if (cJSON_IsNumber(v))
        d = v->valuedouble;
    else if (cJSON_IsString(v) && rclock_parse(v->valuestring, &ms))
        d = (double)ms / 1000.0;
    else if (cJSON_IsString(v) && v->valuestring[0] &&
             (d = strtod(v->valuestring, &end), *end == '\0'))
        ;
    else
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s must be a timestamp.", name);
    if (!isfinite(d) || d < 0 || d > 253402300799.0) /* 9999-12-31 */
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s must be a timestamp between 1970 and 9999.", name);
    *out = (int64_t)floor(d);
    return true;
}

bool cwreq_list(const cJSON *o, const char *name, const cJSON **out, awserr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *out = NULL;
    if (!v || (cJSON_IsString(v) && v->valuestring[0] == '\0'))
        return true;
    if (!cJSON_IsArray(v))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s must be a list.", name);
    *out = v;
    return true;
}
