/* scram: PostgreSQL's SCRAM-SHA-256 password verifier, computed here so the
 * controlplane never needs to keep or send a plaintext password.
 *
 * The verifier is exactly what PostgreSQL stores in pg_authid.rolpassword
 * (src/common/scram-common.c, RFC 5802/7677):
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 * with SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations),
 * ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = SHA256(ClientKey),
 * ServerKey = HMAC(SaltedPassword, "Server Key"). `ALTER ROLE … PASSWORD
 * '<verifier>'` stores it as it is. The password is used as given (no
 * SASLprep: RDS master passwords are printable ASCII, for which SASLprep is
 * the identity). Pure: no state, no logging of inputs. */
#ifndef RDSIM_SCRAM_H
#define RDSIM_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRAM_ITERATIONS 4096 /* PostgreSQL's scram_iterations default */
#define SCRAM_SALT_LEN 16     /* PostgreSQL's SCRAM_DEFAULT_SALT_LEN */

/* The verifier for password with the given salt and iterations (>= 1), or
 * NULL when OpenSSL fails (logged). Caller frees. */
char *scram_verifier_salted(const char *password, const uint8_t *salt, size_t salt_len,
                            int iterations);
/* The same with a fresh random 16-byte salt and 4096 iterations. */
char *scram_verifier(const char *password);
/* true when text has the verifier's shape (prefix, iterations, three
 * base64 fields of the right decoded sizes); nothing else is checked. */
bool scram_is_verifier(const char *text);
/* true when password matches verifier (recomputed with its salt). */
bool scram_check(const char *password, const char *verifier);

#endif
