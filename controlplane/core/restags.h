/* restags: the tags of the RDS resources that are not DB instances —
 * parameter groups (pg), DB cluster parameter groups (cluster-pg), subnet
 * groups (subgrp), DB snapshots (snapshot),
 * event subscriptions (es), option groups (og) — and the tag rules every
 * RDS resource shares (DB instances keep theirs in their own row, see
 * api/tags.h).
 *
 * Table resource_tags(type, name, tags): tags a JSON array of {Key, Value}
 * in the order given. The tags go with their resource: a trigger on each
 * resource's table (store.c, migration 10) deletes them in the same
 * statement that deletes the resource's row, so a crash never leaves a
 * resource's tags to a later resource of the same name. (REPLACE INTO, the
 * way some modules rewrite a row, fires no delete trigger in SQLite
 * without recursive_triggers: a Modify keeps the tags.) */
#ifndef RDSIM_RESTAGS_H
#define RDSIM_RESTAGS_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

typedef struct store store;

/* RDS's limits: 50 tags a resource, keys 1..128 characters, values at
 * most 256, no key starting with "aws:". */
#define RESTAGS_MAX 50

/* Tags.Tag.N.Key/Value merged into `existing` (a JSON array, may be NULL),
 * replacing equal keys. The new JSON text (malloc'd), or NULL with
 * InvalidParameterValue when a tag breaks a rule above. */
char *restags_merge(const params *p, const char *existing, awserr *err);

/* The same for another service's tag list: LIST.ITEM.N.Key/Value (SNS:
 * "Tags", "member"). */
char *restags_merge_list(const params *p, const char *list, const char *item,
                         const char *existing, awserr *err);

/* `existing` without the keys TagKeys.member.N (unknown keys are no
 * error, as in RDS): new JSON text, or NULL with InvalidParameterValue
 * for a malformed list. */
char *restags_remove(const params *p, const char *existing, awserr *err);

/* The tags of (type, name): malloc'd JSON text, "[]" when it has none;
 * NULL when the store fails (logged). */
char *restags_get(store *s, const char *type, const char *name);

/* Stores tags (JSON text) as the tags of (type, name); "[]" removes the
 * row. false when the store fails (logged). Inside the caller's
 * transaction. */
bool restags_put(store *s, const char *type, const char *name, const char *tags);

/* The Tags of a Create* request for the new resource (type, name): the
 * rules checked, then stored. No Tags: nothing written. false with the
 * error (InvalidParameterValue, or InternalFailure when the store fails). */
bool restags_create(store *s, const char *type, const char *name, const params *p, awserr *err);

#endif
