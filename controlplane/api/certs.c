/* certs: see certs.h. */
#include "controlplane/api/certs.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "lib/rclock.h"
#include "lib/util.h"

static void add_time(cJSON *o, const char *name, int64_t s)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(s * 1000, buf, sizeof buf));
}

static cJSON *certs_render(const region *r, const tlsca_info *ca)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "CertificateIdentifier", ca->id);
    cJSON_AddStringToObject(o, "CertificateType", "CA");
    cJSON_AddStringToObject(o, "Thumbprint", ca->thumbprint);
    add_time(o, "ValidFrom", ca->valid_from_s);
    add_time(o, "ValidTill", ca->valid_till_s);
    char *arn = xasprintf("arn:aws:rds:%s::cert:%s", r->cfg.name, ca->id);
    cJSON_AddStringToObject(o, "CertificateArn", arn);
    free(arn);
    cJSON_AddBoolToObject(o, "CustomerOverride", false);
    return o;
}

bool certs_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max;
    if (!params_get_paging(p, &max, NULL, err))
        return false;
    if (params_get(p, "Filters.Filter.1.Name"))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter Filters is not supported.");
    const char *want = params_get(p, "CertificateIdentifier");
    const char *marker = params_get(p, "Marker");
    if (want && !tlsca_find(r->tls, want))
        return awserr_set(err, AWSERR_CERTIFICATE_NOT_FOUND, "Certificate %.100s not found.",
                          want);
    cJSON_AddStringToObject(result, "DefaultCertificateForNewLaunches", TLSCA_DEFAULT);
    cJSON *out = cJSON_AddArrayToObject(result, "Certificates");
    bool past = marker == NULL;
    int64_t shown = 0;
    const char *last = "";
    for (size_t i = 0; i < tlsca_count(r->tls); i++) {
        const tlsca_info *ca = tlsca_at(r->tls, i);
        if (want && strcmp(want, ca->id) != 0)
            continue;
        if (!past) {
            past = strcmp(marker, ca->id) == 0;
            continue;
        }
        if (shown == max) {
            cJSON_AddStringToObject(result, "Marker", last);
            break;
        }
        cJSON_AddItemToArray(out, certs_render(r, ca));
        last = ca->id;
        shown++;
    }
    return true;
}
