/* validate: RDS's parameter rules, as the botocore model and the RDS
 * User Guide state them (shared/RDS-REFERENCE.md §1). Pure functions:
 * each returns true when the value is valid, else false with the AWS
 * error (code and message as RDS words it) in err (err may be NULL).
 * Unless said otherwise the error is InvalidParameterValue, and a NULL or
 * empty string given to a string validator is MissingParameter ("The
 * parameter X must be provided and must not be blank."). */
#ifndef RDSIM_VALIDATE_H
#define RDSIM_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "controlplane/core/awserr.h"

/* DBInstanceIdentifier: 1–63 letters, digits, hyphens; first a letter; no
 * trailing hyphen; no "--". `param` names the parameter in the message. */
bool validate_db_instance_id(const char *id, const char *param, awserr *err);
/* DBSnapshotIdentifier / FinalDBSnapshotIdentifier: same rules, 1–255;
 * automated names "rds:..." are refused for user-supplied identifiers. */
bool validate_db_snapshot_id(const char *id, const char *param, awserr *err);
/* MasterUsername: 1–16 letters, digits, underscores; first a letter; not a
 * PostgreSQL reserved word (any case), nor a name RDS keeps: admin,
 * rdsadmin, rdsrepladmin, rdstopmgr, public, none, rds_*, pg_*.
 * "postgres" is allowed (the RDS console's default for PostgreSQL). */
bool validate_master_username(const char *name, awserr *err);
/* MasterUserPassword for postgres: 8–128 printable ASCII except / " @ and space. */
bool validate_master_password(const char *pw, awserr *err);
/* DBName for postgres: 1–63 letters, digits, underscores, first a letter,
 * not a reserved word, not rdsadmin/template0/template1 (they exist on
 * every instance). "postgres" is allowed: it names the default database. */
bool validate_db_name(const char *name, awserr *err);
/* StorageType: gp2|gp3|io1|io2|standard. */
bool validate_storage_type(const char *type, awserr *err);
/* AllocatedStorage (GiB) range for the storage type (postgres):
 * gp2/gp3 20–65536, io1/io2 100–65536, standard 5–3072. */
/* The i-th (0-based) storage type RDS for PostgreSQL offers and its
 * allocated storage range in GiB; false past the last. */
bool validate_storage_type_at(size_t i, const char **type, int64_t *min_gib, int64_t *max_gib);
bool validate_allocated_storage(const char *storage_type, int64_t gib, awserr *err);
/* Iops against storage type and size: io1/io2 require Iops, ratio 0.5–50
 * IOPS per GiB and 1000–256000; gp3 Iops only at ≥ 400 GiB (12000–64000)
 * and ≤ 500 per GiB; gp2/standard take none. has_iops=false means absent.
 * A missing or misplaced Iops is InvalidParameterCombination; a value out
 * of range InvalidParameterValue. */
bool validate_iops(const char *storage_type, int64_t gib, bool has_iops, int64_t iops,
                   awserr *err);
/* Port: 1150–65535. */
bool validate_port(int64_t port, awserr *err);
/* BackupRetentionPeriod: 0–35. */
bool validate_backup_retention(int64_t days, awserr *err);
/* DBInstanceClass: "db.<family>.<size>" (else InvalidParameterValue
 * "Invalid DB Instance class: X") and one the region knows (else
 * InvalidParameterCombination "RDS does not support creating a DB
 * instance with the following combination: ..."). */
bool validate_db_instance_class(const char *cls, awserr *err);
/* The memory in MiB of a known class (db.t3.micro 1024, db.t3.small 2048,
 * db.m5.large 8192, ...), or 0 for an unknown class. */
int64_t validate_class_memory_mib(const char *cls);
/* vCPUs of a known class, or 0. */
int validate_class_vcpus(const char *cls);
/* The NULL-terminated list of classes the region offers (static). */
const char *const *validate_class_list(void);
/* PreferredBackupWindow "hh24:mi-hh24:mi" (≥ 30 min, UTC) and
 * PreferredMaintenanceWindow "ddd:hh24:mi-ddd:hh24:mi" (≥ 30 min, < 24 h;
 * days mon..sun in any case). Hours 00–23, minutes 00–59, two digits
 * each. Windows may wrap midnight ("23:45-00:15") and the maintenance
 * window the week ("sun:23:45-mon:00:15"); equal ends are a 0-minute
 * window (refused). */
bool validate_backup_window(const char *w, awserr *err);
bool validate_maintenance_window(const char *w, awserr *err);

/* --- additions beyond the first contract --- */

/* Both windows valid (as above) and not overlapping on any day of the
 * week: "Must not conflict with the preferred maintenance window".
 * Overlap is InvalidParameterCombination. */
bool validate_windows_disjoint(const char *backup, const char *maintenance, awserr *err);
/* Parse a window that has the right format (no duration check) into
 * minutes: backup → minutes of the day [0,1440); maintenance → minutes
 * of the week from Monday 00:00 UTC [0,10080). end < start means the
 * window wraps. False (outputs unspecified) when malformed. For the
 * scheduler: "is now inside the window". */
bool validate_parse_backup_window(const char *w, int *start, int *end);
bool validate_parse_maintenance_window(const char *w, int *start, int *end);
/* True when name (any case) is a PostgreSQL reserved key word (reserved,
 * or reserved-can-be-function-or-type, in the SQL Key Words appendix). */
bool validate_reserved_word(const char *name);
/* MonitoringInterval: 0, 1, 5, 10, 15, 30 or 60 (seconds). */
bool validate_monitoring_interval(int64_t seconds, awserr *err);
/* PerformanceInsightsRetentionPeriod: 7, 731, or 31*months (1–23). */
bool validate_pi_retention(int64_t days, awserr *err);
/* One EnableCloudwatchLogsExports entry for postgres: postgresql, upgrade
 * or iam-db-auth-error. */
bool validate_log_export_type(const char *type, awserr *err);

#endif
