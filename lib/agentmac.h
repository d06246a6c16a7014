/* agentmac: authentication of the agent <-> controlplane channel, and
 * sealing of the secrets that travel on it (agent/README.md "Trust").
 *
 * Every agent has its own 32-byte secret, shared with the controlplane only
 * (a key file of 64 hex digits, mode 0600). A request carries four headers:
 *   X-Rdsim-Agent      the agent id ([A-Za-z0-9-]{1,63})
 *   X-Rdsim-Time       wall-clock ms since the epoch, decimal
 *   X-Rdsim-Nonce      32 hex digits, fresh per request
 *   X-Rdsim-Signature  hex HMAC-SHA256(key, string to sign)
 * and a reply two (X-Rdsim-Time, X-Rdsim-Signature), its string to sign
 * naming the HTTP status and binding the REQUEST's nonce, so a reply is
 * good for exactly one request. The string to sign is
 *   "rdsim-agent-v1\n" kind "\n" method "\n" path "\n" agent_id "\n"
 *   time "\n" nonce "\n" hex(SHA-256(body))
 * with kind "request" or "reply" (for a reply, method is the status).
 *
 * Invariants:
 *  1. A signature is compared in constant time (CRYPTO_memcmp).
 *  2. A time more than AGENTMAC_WINDOW_MS from now is refused; a nonce is
 *     remembered until its time leaves the window, so within the window a
 *     second use is refused and after it the time is. A full replay cache
 *     refuses (fails closed), never forgets early.
 *  3. A sealed value is AES-256-GCM under a key derived from the agent's
 *     secret (HMAC-SHA256(secret, "rdsim-agent-seal-v1")), a fresh 96-bit
 *     IV, and the caller's label as associated data: it opens only with the
 *     same secret and the same label. */
#ifndef RDSIM_AGENTMAC_H
#define RDSIM_AGENTMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENTMAC_KEY_LEN 32
#define AGENTMAC_WINDOW_MS 60000
#define AGENTMAC_NONCE_HEX 32 /* characters, NUL not included */
#define AGENTMAC_SIG_HEX 64
#define AGENTMAC_ID_MAX 64 /* id buffer size, NUL included */

#define AGENTMAC_H_AGENT "X-Rdsim-Agent"
#define AGENTMAC_H_TIME "X-Rdsim-Time"
#define AGENTMAC_H_NONCE "X-Rdsim-Nonce"
#define AGENTMAC_H_SIG "X-Rdsim-Signature"

typedef enum { AGENTMAC_REQUEST, AGENTMAC_REPLY } agentmac_kind;

typedef enum {
    AGENTMAC_OK,
    AGENTMAC_MISSING,       /* a header is absent */
    AGENTMAC_MALFORMED,     /* a header is not of its form */
    AGENTMAC_BAD_SIGNATURE, /* wrong key, tampered or truncated */
    AGENTMAC_EXPIRED,       /* time outside the window */
    AGENTMAC_REPLAY,        /* nonce already seen within the window */
    AGENTMAC_BUSY,          /* replay cache full: refused, fail closed */
} agentmac_result;

/* A short reason ("bad signature", …) for logs and error replies. */
const char *agentmac_result_name(agentmac_result r);

/* true if id is a usable agent id ([A-Za-z0-9-]{1,63}): it names a key
 * file, so it can never hold '/' or '.'. */
bool agentmac_id_valid(const char *id);

/* Reads a key file: 64 hex digits, optional trailing whitespace. Refuses
 * (false, reason in err) a missing or unreadable file, one that group or
 * others may read or write, or any other content. */
bool agentmac_key_load(const char *path, uint8_t key[AGENTMAC_KEY_LEN], char *err, size_t errlen);
/* Parses the text of a key file (as above, without the mode check). */
bool agentmac_key_parse(const char *text, size_t len, uint8_t key[AGENTMAC_KEY_LEN]);

/* A fresh nonce of AGENTMAC_NONCE_HEX hex digits (OpenSSL's RAND_bytes;
 * aborts if the generator fails). */
void agentmac_nonce(char out[AGENTMAC_NONCE_HEX + 1]);

/* The signature over the fields (see the top). time is the decimal string
 * as sent. out gets AGENTMAC_SIG_HEX hex digits. */
void agentmac_sign(const uint8_t key[AGENTMAC_KEY_LEN], agentmac_kind kind, const char *method,
                   const char *path, const char *agent_id, const char *time, const char *nonce,
                   const void *body, size_t len, char out[AGENTMAC_SIG_HEX + 1]);

/* Formats now_ms as the X-Rdsim-Time value. */
void agentmac_time(int64_t now_ms, char out[24]);

typedef struct agentmac_replay agentmac_replay;
/* A replay cache of at most cap nonces. */
agentmac_replay *agentmac_replay_new(size_t cap);
void agentmac_replay_free(agentmac_replay *c);

/* Checks a signed message: the time within the window of now_ms, the
 * signature (invariant 1), then, only for a good signature and when cache
 * is not NULL, the nonce (remembered from then on, invariant 2). A NULL
 * header is AGENTMAC_MISSING. */
agentmac_result agentmac_verify(const uint8_t key[AGENTMAC_KEY_LEN], agentmac_kind kind,
                                const char *method, const char *path, const char *agent_id,
                                const char *time, const char *nonce, const void *body,
                                size_t len, const char *sig, int64_t now_ms,
                                agentmac_replay *cache);

/* Seals plaintext under the agent's secret with label as associated data
 * (invariant 3): "v1:" followed by hex(iv || ciphertext || tag). Caller
 * frees. */
char *agentmac_seal(const uint8_t key[AGENTMAC_KEY_LEN], const char *label, const char *plaintext);
/* Opens a sealed value; NULL when it is not of the form, or the key or
 * label differs, or it was tampered with. Caller frees (the plaintext: wipe
 * before free where it matters). */
char *agentmac_open(const uint8_t key[AGENTMAC_KEY_LEN], const char *label, const char *sealed);

#endif
