/* validate: RDS's parameter rules, as the botocore model and the RDS
 * User Guide state them (shared/RDS-REFERENCE.md §1). Pure functions:
 * each returns true when the value is valid, else false with the AWS
 * error (code and message as RDS words it) in err. */
#ifndef RDSIM_VALIDATE_H
#define RDSIM_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/awserr.h"

/* DBInstanceIdentifier: 1–63 letters, digits, hyphens; first a letter; no
 * trailing hyphen; no "--". `param` names the parameter in the message. */
bool validate_db_instance_id(const char *id, const char *param, awserr *err);
/* DBSnapshotIdentifier / FinalDBSnapshotIdentifier: same rules, 1–255;
 * automated names "rds:..." are refused for user-supplied identifiers. */
bool validate_db_snapshot_id(const char *id, const char *param, awserr *err);
/* MasterUsername: 1–16 letters, digits, underscores; first a letter; not a
 * PostgreSQL reserved word nor "rdsadmin"/"postgres"-style reserved names
 * as RDS refuses them. */
bool validate_master_username(const char *name, awserr *err);
/* MasterUserPassword for postgres: 8–128 printable ASCII except / " @ and space. */
bool validate_master_password(const char *pw, awserr *err);
/* DBName for postgres: 1–63 letters, digits, underscores, first a letter,
 * not a reserved word. */
bool validate_db_name(const char *name, awserr *err);
/* StorageType: gp2|gp3|io1|io2|standard. */
bool validate_storage_type(const char *type, awserr *err);
/* AllocatedStorage (GiB) range for the storage type (postgres):
 * gp2/gp3 20–65536, io1/io2 100–65536, standard 5–3072. */
bool validate_allocated_storage(const char *storage_type, int64_t gib, awserr *err);
/* Iops against storage type and size: io1/io2 require Iops, ratio 0.5–50
 * IOPS per GiB and 1000–256000; gp3 Iops only at ≥ 400 GiB (12000–64000)
 * and ≤ 500 per GiB; gp2/standard take none. has_iops=false means absent. */
bool validate_iops(const char *storage_type, int64_t gib, bool has_iops, int64_t iops,
                   awserr *err);
/* Port: 1150–65535. */
bool validate_port(int64_t port, awserr *err);
/* BackupRetentionPeriod: 0–35. */
bool validate_backup_retention(int64_t days, awserr *err);
/* DBInstanceClass: "db.<family>.<size>" and one the region knows
 * (validate_class_memory_mib gives its memory). */
bool validate_db_instance_class(const char *cls, awserr *err);
/* The memory in MiB of a known class (db.t3.micro 1024, db.t3.small 2048,
 * db.m5.large 8192, ...), or 0 for an unknown class. */
int64_t validate_class_memory_mib(const char *cls);
/* vCPUs of a known class, or 0. */
int validate_class_vcpus(const char *cls);
/* The null-terminated list of classes the region offers. */
const char *const *validate_class_list(void);
/* PreferredBackupWindow "hh24:mi-hh24:mi" (≥ 30 min, UTC) and
 * PreferredMaintenanceWindow "ddd:hh24:mi-ddd:hh24:mi" (≥ 30 min). */
bool validate_backup_window(const char *w, awserr *err);
bool validate_maintenance_window(const char *w, awserr *err);

#endif
