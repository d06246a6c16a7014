/* kmsclient: see kmsclient.h. */
#include "lib/kmsclient.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/awscreds.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/util.h"

static char *b64_encode(const uint8_t *in, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        abort();
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

/* Decodes into out (capacity *out_len); false when malformed or too long. */
static bool b64_decode(const char *in, uint8_t *out, size_t *out_len)
{
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > *out_len + 2)
        return false;
    uint8_t *tmp = malloc(n / 4 * 3 + 1);
    if (!tmp)
        abort();
    int got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
    bool ok = got >= 0;
    if (ok) {
        size_t len = (size_t)got - (in[n - 1] == '=') - (in[n - 2] == '=');
        ok = len <= *out_len;
        if (ok) {
            memcpy(out, tmp, len);
            *out_len = len;
        }
    }
    OPENSSL_cleanse(tmp, n / 4 * 3 + 1);
    free(tmp);
    return ok;
}

static char *body_of(const char *k1, const char *v1, const char *k2, const char *v2)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, k1, v1);
    cJSON_AddStringToObject(o, k2, v2);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

char *kmsclient_encrypt_body(const char *key_ref, const uint8_t *plain, size_t len)
{
    char *b64 = b64_encode(plain, len);
    char *s = body_of("KeyId", key_ref, "Plaintext", b64);
    OPENSSL_cleanse(b64, strlen(b64));
    free(b64);
    return s;
}

char *kmsclient_decrypt_body(const char *key_id, const uint8_t *blob, size_t len)
{
    char *b64 = b64_encode(blob, len);
    char *s = body_of("CiphertextBlob", b64, "KeyId", key_id);
    free(b64);
    return s;
}

bool kmsclient_parse_reply(const char *body, const char *field, uint8_t *out, size_t *out_len,
                           char *key_id_out)
{
    cJSON *o = body ? cJSON_Parse(body) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "KeyId");
    bool ok = cJSON_IsString(v) && b64_decode(v->valuestring, out, out_len);
    if (ok && key_id_out) {
        ok = cJSON_IsString(k) && strlen(k->valuestring) < ENVELOPE_KEY_ID_MAX;
        if (ok)
            snprintf(key_id_out, ENVELOPE_KEY_ID_MAX, "%s", k->valuestring);
    }
    if (cJSON_IsString(v))
        OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
    cJSON_Delete(o);
    return ok;
}

envelope_status kmsclient_error_status(const char *body)
{
    cJSON *o = body ? cJSON_Parse(body) : NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "__type");
    envelope_status st = ENVELOPE_IO;
    if (cJSON_IsString(t)) {
        const char *name = t->valuestring;
        if (strcmp(name, "DisabledException") == 0 || strcmp(name, "NotFoundException") == 0 ||
            strcmp(name, "KMSInvalidStateException") == 0)
            st = ENVELOPE_KEY;
        else if (strcmp(name, "InvalidCiphertextException") == 0 ||
                 strcmp(name, "IncorrectKeyException") == 0)
            st = ENVELOPE_CORRUPT;
    }
    cJSON_Delete(o);
    return st;
}

/* One TrentService call, signed (SigV4, service kms) with the key pair of
 * this process's environment (awscreds.h: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, which the controlplane or the agent put there);
 * unsigned without one, which the region refuses. The reply body (caller
 * frees) or NULL. */
static char *call(kmsclient *c, const char *op, const char *body, int *status)
{
    static const char ctype[] = "application/x-amz-json-1.1";
    char *target = xasprintf("TrentService.%s", op);
    const char *headers[] = {"X-Amz-Target", target, NULL};
    awscreds creds;
    char **signed_headers = NULL;
    if (awscreds_load(&creds, NULL))
        signed_headers = awscreds_sign_post(&creds, "kms", c->endpoint, ctype, headers, body,
                                            strlen(body), (long long)time(NULL));
    awscreds_clear(&creds);
    httpc_opts o = {.method = "POST", .content_type = ctype, .body = body,
                    .body_len = strlen(body), .timeout_s = 10,
                    .headers = signed_headers ? (const char *const *)signed_headers : headers};
    char *reply = NULL;
    *status = httpc_request_sync(c->endpoint, &o, &reply, NULL);
    awscreds_headers_free(signed_headers);
    free(target);
    if (*status != 200)
        snprintf(c->error, sizeof c->error, "kms %s: HTTP %d %.180s", op, *status,
                 reply ? reply : "");
    return reply;
}

bool kmsclient_wrap(void *ctx, const uint8_t *plain_key, size_t len, uint8_t *out,
                    size_t *out_len, char *key_id_out)
{
    kmsclient *c = ctx;
    char *body = kmsclient_encrypt_body(c->key_ref, plain_key, len);
    int status = 0;
    char *reply = call(c, "Encrypt", body, &status);
    OPENSSL_cleanse(body, strlen(body));
    free(body);
    bool ok = status == 200 &&
              kmsclient_parse_reply(reply, "CiphertextBlob", out, out_len, key_id_out);
    if (status == 200 && !ok)
        snprintf(c->error, sizeof c->error, "kms Encrypt: malformed reply");
    free(reply);
    return ok;
}

envelope_status kmsclient_unwrap(void *ctx, const char *key_id, const uint8_t *wrapped,
                                 size_t wrapped_len, uint8_t *plain_out, size_t *plain_len)
{
    kmsclient *c = ctx;
    char *body = kmsclient_decrypt_body(key_id, wrapped, wrapped_len);
    int status = 0;
    char *reply = call(c, "Decrypt", body, &status);
    free(body);
    envelope_status st;
    if (status == 200)
        st = kmsclient_parse_reply(reply, "Plaintext", plain_out, plain_len, NULL)
                 ? ENVELOPE_OK
                 : ENVELOPE_CORRUPT;
    else
        st = status == 0 ? ENVELOPE_IO : kmsclient_error_status(reply);
    if (reply)
        OPENSSL_cleanse(reply, strlen(reply));
    free(reply);
    return st;
}
