/* Unit tests for lib/scram: the verifier equals one PostgreSQL 15 computed
 * (CREATE ROLE x PASSWORD 'p4ssw0rd-Known!' with password_encryption =
 * scram-sha-256, read back from pg_authid), recomputed with its salt. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scram.h"
#include "lib/tap.h"

#define PG_PASSWORD "p4ssw0rd-Known!"
#define PG_VERIFIER                                                                                \
    "SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:"   \
    "gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg="

int main(void)
{
    static const uint8_t salt[16] = {0x09, 0x41, 0xb2, 0x26, 0x31, 0x04, 0x46, 0xca,
                                     0xb4, 0xcc, 0x4f, 0xd7, 0x78, 0x6b, 0x04, 0x21};
    char *v = scram_verifier_salted(PG_PASSWORD, salt, sizeof salt, 4096);
    is_str(v, PG_VERIFIER, "verifier equals PostgreSQL's for the same salt");
    free(v);
    ok(scram_is_verifier(PG_VERIFIER), "PostgreSQL's verifier has the shape");
    ok(scram_check(PG_PASSWORD, PG_VERIFIER), "right password checks");
    ok(!scram_check("p4ssw0rd-known!", PG_VERIFIER), "wrong password fails");

    char *a = scram_verifier(PG_PASSWORD), *b = scram_verifier(PG_PASSWORD);
    ok(a && b && strcmp(a, b) != 0, "two fresh verifiers have different salts");
    ok(a && strncmp(a, "SCRAM-SHA-256$4096:", 19) == 0, "4096 iterations");
    ok(scram_is_verifier(a) && scram_check(PG_PASSWORD, a), "fresh verifier checks");
    free(a);
    free(b);

    static const char *const bad[] = {
        "", "p4ssw0rd", "md5abc", "SCRAM-SHA-256$", "SCRAM-SHA-256$4096:$a:b",
        "SCRAM-SHA-256$x:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:"
        "gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=",
        "SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hf=:"
        "gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=",
        "SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:"
        "gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=' OR '1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(!scram_is_verifier(bad[i]), "malformed verifier refused");
    ok(scram_verifier_salted("p", salt, 0, 4096) == NULL, "empty salt refused");
    ok(scram_verifier_salted("p", salt, 16, 0) == NULL, "zero iterations refused");
    return done_testing();
}
