/* netstore: the simulated network's objects in the store — EC2 security
 * groups and subnets, RDS DB subnet groups — as JSON documents.
 *
 * One table, network_objects(kind, id, doc), in the controlplane's SQLite
 * database (part of core/store.c's schema),
 * so a change joins the caller's transaction (store_begin/commit) and a
 * kill -9 loses nothing committed. Documents are the API shapes themselves
 * (what Describe* shows), so reading one back needs no mapping.
 *
 * Functions return false (or NULL/-1) on a store error, logged here. */
#ifndef RDSIM_NETSTORE_H
#define RDSIM_NETSTORE_H

#include <stdbool.h>

struct cJSON;
typedef struct store store;

#define NETSTORE_SG "sg"
#define NETSTORE_SUBNET "subnet"
#define NETSTORE_DBSUBNETGROUP "dbsubnetgroup"

/* The document of (kind, id): a new cJSON the caller deletes, or NULL when
 * absent (*found false) or on error. */
struct cJSON *netstore_get(store *s, const char *kind, const char *id, bool *found);
/* Inserts or replaces. */
bool netstore_put(store *s, const char *kind, const char *id, const struct cJSON *doc);
bool netstore_delete(store *s, const char *kind, const char *id);
/* Every document of a kind, ordered by id: a new cJSON array, NULL on error. */
struct cJSON *netstore_list(store *s, const char *kind);

#endif
