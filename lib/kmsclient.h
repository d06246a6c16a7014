/* kmsclient: the envelope.h key callbacks of a process outside the
 * controlplane (bin/rds-backup): a data key is wrapped and unwrapped by the
 * region's key service over its AWS KMS JSON 1.1 API (Encrypt, Decrypt on
 * the controlplane's endpoint), so key material never leaves the
 * controlplane except as a data key in this process's memory, and a
 * disabled or deleted key refuses the unwrap (ENVELOPE_KEY).
 *
 * The request bodies and reply parsing are pure (unit-tested); the calls
 * block (httpc_request_sync): for helper processes only. */
#ifndef RDSIM_KMSCLIENT_H
#define RDSIM_KMSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/envelope.h"

typedef struct {
    const char *endpoint; /* "http://127.0.0.1:PORT/" */
    const char *key_ref;  /* the key to wrap with (an ARN, id or alias); unwrap ignores it */
    char error[256];      /* the last failure, for the caller's message */
} kmsclient;

/* {"KeyId": key_ref, "Plaintext": base64(plain)}; caller frees. */
char *kmsclient_encrypt_body(const char *key_ref, const uint8_t *plain, size_t len);
/* {"CiphertextBlob": base64(blob), "KeyId": key_id}; caller frees. */
char *kmsclient_decrypt_body(const char *key_id, const uint8_t *blob, size_t len);
/* Decodes the base64 member `field` of a 200 reply into out (capacity
 * *out_len; set to the length). key_id_out (may be NULL, capacity
 * ENVELOPE_KEY_ID_MAX) gets "KeyId". false for anything malformed. */
bool kmsclient_parse_reply(const char *body, const char *field, uint8_t *out, size_t *out_len,
                           char *key_id_out);
/* ENVELOPE_KEY for the errors of an inaccessible key (DisabledException,
 * NotFoundException, KMSInvalidStateException), ENVELOPE_CORRUPT for a
 * bad ciphertext, ENVELOPE_IO otherwise. */
envelope_status kmsclient_error_status(const char *body);

/* envelope_wrap_fn / envelope_unwrap_fn over a kmsclient (ctx). */
bool kmsclient_wrap(void *ctx, const uint8_t *plain_key, size_t len, uint8_t *out,
                    size_t *out_len, char *key_id_out);
envelope_status kmsclient_unwrap(void *ctx, const char *key_id, const uint8_t *wrapped,
                                 size_t wrapped_len, uint8_t *plain_out, size_t *plain_len);

#endif
