/* certs: DescribeCertificates, the region's CAs as RDS lists them
 * (core/tlsca.h): CertificateIdentifier, CertificateType "CA", Thumbprint,
 * ValidFrom, ValidTill, CertificateArn, CustomerOverride (false: rdsim has
 * no ModifyCertificates), and DefaultCertificateForNewLaunches. */
#ifndef RDSIM_CERTS_H
#define RDSIM_CERTS_H

#include <stdbool.h>

#include "controlplane/core/service.h"

/* CertificateIdentifier (optional: one CA, or CertificateNotFound),
 * MaxRecords 20..100 and Marker (the last identifier shown), Filters
 * refused as RDS does ("not supported"). */
bool certs_action_describe(region *r, const params *p, cJSON *result, awserr *err);

#endif
