/* paramgroup: DB parameter groups — the actions (Create/Describe/Modify/
 * Reset/DeleteDBParameterGroup, DescribeDBParameters,
 * DescribeEngineDefaultParameters), an instance's group and its
 * ParameterApplyStatus, the `parameters` member of its nodes' spec, and
 * the default group's system rows (the memory settings every spec starts
 * from, paramgroup_system_settings).
 *
 * Tables (core/store.c's schema): db_parameter_groups(name, family,
 * description, created_ms) and db_parameters(grp, name, value, method).
 * The default group `default.postgres<major>` is virtual: no rows, never
 * modified or deleted. Values are checked against PostgreSQL's own list
 * (pgcatalog.h).
 *
 * An instance keeps in its `extra` JSON:
 *   "DBParameterGroupName"  the group it should use (absent: the default);
 *   "ParamGroupApplied"     the group its nodes run with (absent: the same);
 *   "ParamBoot"             {name: value} of that group when the nodes
 *                           last (re)started.
 * What the nodes get (paramgroup_spec) is, for each parameter of the
 * applied group: its current value when it is dynamic and was changed
 * with ApplyMethod immediate, else its value at the last boot. So a
 * dynamic change reaches the nodes on the next heartbeat (the agent
 * reloads PostgreSQL), and a static change or a group swap waits for a
 * restart (paramgroup_on_restart, called by the reboot, modify and start
 * workflows in the same step that bumps restart_seq).
 *
 * ParameterApplyStatus: pending-reboot when what the nodes get differs from
 * what they would get after a restart; else applying while a running node
 * has not reported the spec's parameters_id; else in-sync. */
#ifndef RDSIM_PARAMGROUP_H
#define RDSIM_PARAMGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/quotas.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

struct cJSON;
struct region;
struct pgcatalog;

#define PARAMGROUP_MAX_MODIFY 20 /* parameters per Modify/Reset request, as RDS */
#define PARAMGROUP_QUOTA QUOTA_DB_PARAMETER_GROUPS

/* Creates the tables and loads PostgreSQL's parameter list (cached in
 * <home>/pg-describe-config.txt). Before the loop only; false (logged) on
 * failure. */
bool paramgroup_open(struct region *r);
void paramgroup_close(struct region *r);

bool paramgroup_action_create(struct region *r, const params *p, struct cJSON *result,
                              awserr *err);
/* CopyDBParameterGroup: a new group with the source's family and user-set
 * parameters (the source a name or an ARN; the default group copies to a
 * group with none set), and its own Tags. */
bool paramgroup_action_copy(struct region *r, const params *p, struct cJSON *result,
                            awserr *err);
bool paramgroup_action_describe(struct region *r, const params *p, struct cJSON *result,
                                awserr *err);
bool paramgroup_action_delete(struct region *r, const params *p, struct cJSON *result,
                              awserr *err);
bool paramgroup_action_modify(struct region *r, const params *p, struct cJSON *result,
                              awserr *err);
bool paramgroup_action_reset(struct region *r, const params *p, struct cJSON *result,
                             awserr *err);
bool paramgroup_action_describe_parameters(struct region *r, const params *p,
                                           struct cJSON *result, awserr *err);
bool paramgroup_action_engine_defaults(struct region *r, const params *p, struct cJSON *result,
                                       awserr *err);

/* CreateDBInstance: DBParameterGroupName (must exist: DBParameterGroupNotFound)
 * into extra, with the applied group and the boot snapshot. */
bool paramgroup_read_create(struct region *r, const params *p, struct cJSON *extra, awserr *err);
/* ModifyDBInstance: a new DBParameterGroupName waits for a reboot (RDS
 * applies a group change only then, ApplyImmediately or not). Sets
 * *changed when it was given. */
bool paramgroup_read_modify(struct region *r, const params *p, struct cJSON *extra,
                            bool *changed, awserr *err);

/* Checks Parameters.Parameter.N of a Modify (need_value) or Reset request
 * against the catalogue — pure: at most PARAMGROUP_MAX_MODIFY, every name
 * known, every value valid (need_value), ApplyMethod immediate |
 * pending-reboot, never immediate for a static parameter
 * (InvalidParameterCombination, as RDS). Returns the count (0 when absent)
 * or -1 with the error. */
int paramgroup_check_params(const struct pgcatalog *cat, const params *p, bool need_value,
                            awserr *err);

/* Points extra at group key (a DB parameter group's lowercase name, or a
 * DB cluster parameter group's clusterpg_key): attach — wanted and
 * applied, with the boot snapshot of its values now (a new instance or
 * member); want — wanted only, the nodes keep the applied group until
 * their next restart (a group swap). */
void paramgroup_attach(struct region *r, struct cJSON *extra, const char *key);
void paramgroup_want(struct region *r, struct cJSON *extra, const char *key);

/* ParameterApplyStatus (and a cluster member's DBClusterParameterGroupStatus):
 * "pending-reboot", "applying" or "in-sync" (see above). Static string. */
const char *paramgroup_apply_status(struct region *r, const store_instance *in);
/* The DBInstance member DBParameterGroups (to o); a cluster member shows
 * the default DB parameter group (its parameters are its cluster's). */
void paramgroup_render(struct region *r, const store_instance *in, struct cJSON *o);
/* The default group's system rows (the memory settings) evaluated for
 * db_class (an unknown one counts as 1 GiB): a new object {name: value} in
 * PostgreSQL's syntax ("256MB", "112", "68608kB"), the base of every node's
 * spec "settings"; values in 8 kB pages as whole MB, rounded down.
 * shared_buffers is capped at 1/16 of host_bytes (0: no cap), as formulas
 * in a group are, but not below 16MB. Pure. */
struct cJSON *paramgroup_system_settings(const char *db_class, int64_t host_bytes);
/* Adds "parameters" ({name: value}, formulas evaluated for the instance's
 * class) and "parameters_id" to a node's spec. */
void paramgroup_spec(struct region *r, const store_instance *in, struct cJSON *spec);
/* rds.force_ssl as in's nodes run with it (a dynamic parameter: the
 * group's value at once), the default (1) when the group does not set it;
 * true for 1/on/true/yes. */
bool paramgroup_force_ssl(struct region *r, const store_instance *in);
/* The nodes are about to restart: the wanted group and all its current
 * values become what they run with. Rewrites in->extra. */
void paramgroup_on_restart(struct region *r, store_instance *in);

#endif
