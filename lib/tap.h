/* tap: a tiny Test Anything Protocol emitter for the C unit tests.
 *
 * Header-only so every test is one file. Use ok()/is_int()/is_str(), then
 * return done_testing() from main: it prints the plan and returns the exit
 * status (non-zero if any test failed). */
#ifndef RDSIM_TAP_H
#define RDSIM_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_count_;
static int tap_failed_;

static inline bool tap_ok_(bool cond, const char *file, int line, const char *name)
{
    tap_count_++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_count_, name);
    if (!cond) {
        tap_failed_++;
        printf("#   Failed test '%s' at %s:%d\n", name, file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, name) tap_ok_((cond), __FILE__, __LINE__, (name))

#define is_int(got, want, name)                                                     \
    do {                                                                            \
        long long g_ = (long long)(got), w_ = (long long)(want);                    \
        if (!tap_ok_(g_ == w_, __FILE__, __LINE__, (name)))                         \
            printf("#          got: %lld\n#     expected: %lld\n", g_, w_);         \
    } while (0)

#define is_str(got, want, name)                                                     \
    do {                                                                            \
        const char *g_ = (got), *w_ = (want);                                       \
        bool eq_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                      \
        if (!tap_ok_(eq_, __FILE__, __LINE__, (name)))                              \
            printf("#          got: '%s'\n#     expected: '%s'\n", g_ ? g_ : "(null)", \
                   w_ ? w_ : "(null)");                                            \
    } while (0)

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static inline int done_testing(void)
{
    printf("1..%d\n", tap_count_);
    return tap_failed_ ? 1 : 0;
}

#endif
