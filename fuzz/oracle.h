/* oracle: the libFuzzer entry points of a target whose oracle is one
 * function `const char *check(const uint8_t *, size_t)` answering NULL when
 * every rule held, else why not. FUZZ_ORACLE_MAIN(name, check) defines
 * LLVMFuzzerInitialize (errors-only logging) and LLVMFuzzerTestOneInput
 * (abort with "<name>: <why>" on a broken rule). A replay unit test
 * defines FUZZ_NO_ENTRY before including the target, so only the oracle is
 * compiled in. */
#ifndef RDSIM_FUZZ_ORACLE_H
#define RDSIM_FUZZ_ORACLE_H

#ifndef FUZZ_NO_ENTRY
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/log.h"

#define FUZZ_ORACLE_MAIN(name, check)                                   \
    int LLVMFuzzerInitialize(int *argc, char ***argv);                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);       \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                   \
    {                                                                   \
        (void)argc;                                                     \
        (void)argv;                                                     \
        log_set_level(LOG_LEVEL_ERROR);                                 \
        return 0;                                                       \
    }                                                                   \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)        \
    {                                                                   \
        const char *why = check(data, size);                            \
        if (why) {                                                      \
            fprintf(stderr, "%s: %s\n", name, why);                     \
            abort();                                                    \
        }                                                               \
        return 0;                                                       \
    }
#else
#define FUZZ_ORACLE_MAIN(name, check)
#endif

#endif
