/* abstore: what automated backups keep — their tables, their rows, the
 * paths of their objects, and the region clock's history that turns the
 * rows' real times into region times.
 *
 * Tables (created by the store's schema, core/store.c):
 *  - ab_backups: one row per DbiResourceId, `active` while its instance
 *    exists, `retained` after DeleteDBInstance --no-delete-automated-
 *    backups, `deleting` until the cron removes it. `info` is what a
 *    restore and DescribeDBInstanceAutomatedBackups need of the instance,
 *    kept for when it is gone; restorable_ms the archive's reach when it
 *    stopped; gaps/gap_ms the archive's last hole (no restore crosses it).
 *  - ab_bases: the base backups (`creating`, `available`, `failed`).
 *  - ab_restores: what a point-in-time-restored instance's primary is
 *    built from.
 * Objects live under <RDS_HOME>/backups/automated/<DbiResourceId>/ (wal/,
 * base/) and the archiver's working files under
 * <RDS_HOME>/archiver/<DbiResourceId>/. Times in ab_bases are real times
 * (PostgreSQL's commit timestamps are). */
#ifndef RDSIM_ABSTORE_H
#define RDSIM_ABSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/store.h"
#include "lib/rclock.h"

typedef struct region region;
typedef struct cJSON cJSON;

/* The two status columns as enums, each with one name table. X_name(v)
 * is the stored/API name (a static string; an out-of-range value names
 * itself "(invalid)"); X_parse(name, &v) is true and sets v for one of
 * the names, false (v untouched) for any other string or NULL. */
typedef enum { AB_ACTIVE, AB_RETAINED, AB_DELETING, AB_STATUS_COUNT } abstore_status;
const char *abstore_status_name(abstore_status s);
bool abstore_status_parse(const char *name, abstore_status *out);

typedef enum {
    AB_BASE_CREATING,
    AB_BASE_AVAILABLE,
    AB_BASE_FAILED,
    AB_BASE_STATUS_COUNT
} abstore_base_status;
const char *abstore_base_status_name(abstore_base_status s);
bool abstore_base_status_parse(const char *name, abstore_base_status *out);

/* An ab_backups row. Owned: abstore_row_clear. */
typedef struct {
    char *rid, *instance_id;
    abstore_status status;
    cJSON *info;
    int64_t retention, deleted_ms, restorable_ms, gaps, gap_ms;
} abstore_row;

void abstore_row_clear(abstore_row *a);
/* The row of rid; false when there is none. A row whose status is no
 * name of abstore_status is logged and treated as absent, here and in
 * abstore_list. */
bool abstore_get(region *r, const char *rid, abstore_row *out);
/* Every row, by instance then rid; *out is freed with abstore_list_free. */
int abstore_list(region *r, abstore_row **out);
void abstore_list_free(abstore_row *rows, int n);
/* The instance's row made or refreshed `active` with its info and
 * retention. */
bool abstore_upsert_active(region *r, const store_instance *in);
/* The instance's settings as ab_backups.info keeps them (JSON text,
 * malloc'd). */
char *abstore_instance_info(region *r, const store_instance *in);
/* Removes rid's rows, base backups and objects. */
void abstore_remove(region *r, const char *rid);

/* An ab_bases row. */
typedef struct {
    char *id;
    abstore_base_status status;
    char *start_lsn;
    int64_t start_ms, end_ms, size_bytes;
} abstore_base;

/* rid's base backups in status, by end then start time; *out is freed
 * with abstore_bases_free. */
int abstore_bases(region *r, const char *rid, abstore_base_status status, abstore_base **out);
void abstore_bases_free(abstore_base *b, int n);

/* Paths, malloc'd: <RDS_HOME>/backups/automated/<rid>[/sub],
 * <RDS_HOME>/archiver/<rid>[/sub], a base backup's object; and the KMS
 * endpoint the children use (this controlplane's API). */
char *abstore_dir(region *r, const char *rid, const char *sub);
char *abstore_archiver_dir(region *r, const char *rid, const char *sub);
char *abstore_base_object(region *r, const char *rid, const char *base_id);
char *abstore_kms_url(region *r);

/* The region clock's history (store meta "clock_history"), to map real
 * times to region times and back. Free c.h. */
typedef struct {
    rclock_step *h;
    int n;
    int64_t current;
} abstore_clock;

abstore_clock abstore_clock_load(region *r);
int64_t abstore_clock_to_region(const abstore_clock *c, int64_t real_ms);
int64_t abstore_clock_to_real(const abstore_clock *c, int64_t region_ms);

#endif
