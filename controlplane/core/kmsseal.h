/* kmsseal: the key service's two secrets at rest (kms.h).
 *
 * AES-256-GCM sealing with associated data (what binds a sealed blob to
 * its key id), and the region master key file: 32 random bytes, created
 * 0600 with O_EXCL on first use and fsync'd with its directory, refused
 * when it is not a regular file, is readable by group or others, or is
 * not exactly 32 bytes. Pure: no store, no state. */
#ifndef RDSIM_KMSSEAL_H
#define RDSIM_KMSSEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMSSEAL_KEY_LEN 32
#define KMSSEAL_NONCE_LEN 12
#define KMSSEAL_TAG_LEN 16
#define KMSSEAL_OVERHEAD (KMSSEAL_NONCE_LEN + KMSSEAL_TAG_LEN)

/* out = nonce | AES-256-GCM(key, plain; aad) | tag: len +
 * KMSSEAL_OVERHEAD bytes, with a fresh random nonce. false (logged) when
 * OpenSSL fails. */
bool kmsseal_seal(const uint8_t key[KMSSEAL_KEY_LEN], const void *aad, size_t aad_len,
                  const uint8_t *plain, size_t len, uint8_t *out);
/* The inverse: in is nonce | ciphertext | tag; plain gets in_len -
 * KMSSEAL_OVERHEAD bytes. false (plain wiped) when in is too short or the
 * tag does not verify: a wrong key, wrong aad or altered bytes. */
bool kmsseal_open(const uint8_t key[KMSSEAL_KEY_LEN], const void *aad, size_t aad_len,
                  const uint8_t *in, size_t in_len, uint8_t *plain);

/* Reads the master key file at path into key, creating it when missing.
 * false (logged, key wiped) on any of the refusals above. */
bool kmsseal_master_load(const char *path, uint8_t key[KMSSEAL_KEY_LEN]);

#endif
