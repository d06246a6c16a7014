/* pgroup: what paramgroup.c (groups, instances, specs) and pgroupapi.c
 * (the actions) share about DB parameter groups. Private to those two
 * files: other modules use paramgroup.h. */
#ifndef RDSIM_PGROUP_H
#define RDSIM_PGROUP_H

#include <stdbool.h>

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
/* The wanted and applied groups of an instance, from its extra JSON
 * (malloc'd). */
void pgroup_instance_groups(region *r, const cJSON *extra, char **want, char **applied);

#endif
