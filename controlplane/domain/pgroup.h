/* pgroup: what paramgroup.c (groups, instances, specs), pgroupapi.c (the
 * actions) and clusterpg.c (DB cluster parameter groups, whose rows live
 * in the same table under the key "cluster-pg:<name>") share about
 * parameter groups. Private to those three files: other modules use
 * paramgroup.h and clusterpg.h.
 *
 * A group's `key` is what db_parameters.grp and an instance's extra hold:
 * a DB parameter group's lowercase name, or clusterpg_key's form. */
#ifndef RDSIM_PGROUP_H
#define RDSIM_PGROUP_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

typedef struct region region;
typedef struct cJSON cJSON;

/* A stored group's row. Owned: pgroup_row_clear. */
typedef struct {
    char *family, *description;
} pgroup_row;

/* The formula the default group states for a system-set parameter
 * (shared_buffers, max_connections, effective_cache_size,
 * maintenance_work_mem), or NULL. Static. */
const char *pgroup_system_value(const char *name);

/* "default.postgres<major>" and "postgres<major>" (malloc'd). */
char *pgroup_default_name(const region *r);
char *pgroup_family_name(const region *r);
/* true when name (any case) is the region's default group. */
bool pgroup_is_default(const region *r, const char *name);
/* 1-255 letters, digits, hyphens; a letter first; no "--", no trailing '-'. */
bool pgroup_name_ok(const char *s);

void pgroup_row_clear(pgroup_row *g);
/* The group by lowercase name: true when it exists (the default always);
 * *out filled then (owned), empty otherwise. */
bool pgroup_get(region *r, const char *name, pgroup_row *out);
/* Rows of a group as {name: {"value": v, "method": m}}; a new object. */
cJSON *pgroup_rows(region *r, const char *name);
/* In the caller's transaction: the rows of key `from` copied to `to`;
 * every row of `key` deleted. false on a store error. */
bool pgroup_copy_rows(region *r, const char *from, const char *to);
bool pgroup_delete_rows(region *r, const char *key);
/* Parameters.Parameter.N (paramgroup_check_params) stored under key, each
 * with its ApplyMethod (absent: immediate when dynamic, else
 * pending-reboot); reset: ResetAllParameters (the default without a list)
 * or the listed names deleted. Own transaction; false with the error
 * (MissingParameter for a Modify without parameters,
 * InvalidParameterCombination for both ResetAllParameters and a list). */
bool pgroup_set_rows(region *r, const char *key, const params *p, awserr *err);
bool pgroup_reset_rows(region *r, const char *key, const params *p, awserr *err);
/* The Parameters of key (NULL: the engine defaults) after the Source
 * filter and the parameter-name Filters, paged (MaxRecords/Marker) into
 * result; false with InvalidParameterValue for a bad Source or filter. */
bool pgroup_describe_rows(region *r, const params *p, const char *key, cJSON *result,
                          awserr *err);

/* The wanted and applied groups of an instance, from its extra JSON
 * (malloc'd). */
void pgroup_instance_groups(region *r, const cJSON *extra, char **want, char **applied);

#endif
