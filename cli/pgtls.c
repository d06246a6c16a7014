/* pgtls: see pgtls.h. */
#include "cli/pgtls.h"

#include <stdlib.h>
#include <unistd.h>

#include "lib/util.h"

char *pgtls_bundle(const char *rds_home)
{
    if (!rds_home)
        return NULL;
    char *path = xasprintf("%s/certs/global-bundle.pem", rds_home);
    if (access(path, R_OK) == 0)
        return path;
    free(path);
    return NULL;
}

const char *pgtls_mode(const char *bundle)
{
    return bundle ? "verify-full" : "require";
}
