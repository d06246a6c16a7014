/* kmsclient: the KMS request bodies and reply parsing the backup helper
 * uses (base64 both ways, limits, KeyId), and the map from KMS error types
 * to envelope statuses (a disabled key must read as ENVELOPE_KEY). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kmsclient.h"
#include "lib/tap.h"

static void test_bodies(void)
{
    const uint8_t key[4] = {0x00, 0xff, 0x10, 0x20};
    char *b = kmsclient_encrypt_body("alias/aws/rds", key, sizeof key);
    cJSON *o = cJSON_Parse(b);
    is_str(cJSON_GetObjectItem(o, "KeyId")->valuestring, "alias/aws/rds", "Encrypt names the key");
    is_str(cJSON_GetObjectItem(o, "Plaintext")->valuestring, "AP8QIA==", "Plaintext is base64");
    cJSON_Delete(o);
    free(b);
    b = kmsclient_decrypt_body("arn:k", key, 3);
    o = cJSON_Parse(b);
    is_str(cJSON_GetObjectItem(o, "CiphertextBlob")->valuestring, "AP8Q", "CiphertextBlob is base64");
    is_str(cJSON_GetObjectItem(o, "KeyId")->valuestring, "arn:k", "Decrypt names the key");
    cJSON_Delete(o);
    free(b);
}

static void test_parse(void)
{
    uint8_t out[8];
    size_t len = sizeof out;
    char kid[ENVELOPE_KEY_ID_MAX];
    ok(kmsclient_parse_reply("{\"CiphertextBlob\":\"AP8QIA==\",\"KeyId\":\"arn:x\"}",
                             "CiphertextBlob", out, &len, kid),
       "a reply parses");
    is_int(len, 4, "four bytes");
    ok(out[0] == 0 && out[1] == 0xff && out[3] == 0x20, "the bytes decoded");
    is_str(kid, "arn:x", "KeyId copied");
    len = 2;
    ok(!kmsclient_parse_reply("{\"Plaintext\":\"AP8QIA==\"}", "Plaintext", out, &len, NULL),
       "more bytes than room: refused");
    len = sizeof out;
    ok(!kmsclient_parse_reply("{\"Plaintext\":\"A?==\"}", "Plaintext", out, &len, NULL),
       "not base64: refused");
    len = sizeof out;
    ok(!kmsclient_parse_reply("{\"Plaintext\":\"AP8=\"}", "Plaintext", out, &len, kid),
       "KeyId missing when asked: refused");
    len = sizeof out;
    ok(!kmsclient_parse_reply("not json", "Plaintext", out, &len, NULL), "not JSON: refused");
    len = sizeof out;
    ok(!kmsclient_parse_reply(NULL, "Plaintext", out, &len, NULL), "no body: refused");
}

static void test_errors(void)
{
    is_int(kmsclient_error_status("{\"__type\":\"DisabledException\"}"), ENVELOPE_KEY,
           "DisabledException: key inaccessible");
    is_int(kmsclient_error_status("{\"__type\":\"NotFoundException\"}"), ENVELOPE_KEY,
           "NotFoundException: key inaccessible");
    is_int(kmsclient_error_status("{\"__type\":\"KMSInvalidStateException\"}"), ENVELOPE_KEY,
           "pending deletion: key inaccessible");
    is_int(kmsclient_error_status("{\"__type\":\"InvalidCiphertextException\"}"),
           ENVELOPE_CORRUPT, "a bad blob: corrupt");
    is_int(kmsclient_error_status("{\"__type\":\"KMSInternalException\"}"), ENVELOPE_IO,
           "anything else: io");
    is_int(kmsclient_error_status(NULL), ENVELOPE_IO, "no body: io");
}

int main(void)
{
    test_bodies();
    test_parse();
    test_errors();
    return done_testing();
}
