/* pgtls: how the lab and the chaos harness ask libpq for TLS (issue 14).
 *
 * With the region's CA bundle (<RDS_HOME>/certs/global-bundle.pem,
 * controlplane/core/tlsca.h) they connect with sslmode=verify-full and
 * sslrootcert=<bundle>, passing the node's address as both host and
 * hostaddr: every node certificate carries its IP as a SAN, so a client
 * that dials a node by address checks the same certificate a client of
 * the endpoint name does. Without a bundle (a region made before its CAs),
 * sslmode=require. */
#ifndef RDSIM_CLI_PGTLS_H
#define RDSIM_CLI_PGTLS_H

/* The bundle's path under rds_home (malloc'd) when it is readable, else
 * NULL. */
char *pgtls_bundle(const char *rds_home);

/* "verify-full" with a bundle, "require" without (bundle NULL). */
const char *pgtls_mode(const char *bundle);

#endif
