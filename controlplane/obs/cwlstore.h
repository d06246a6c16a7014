/* cwlstore: CloudWatch Logs' groups, streams and events in the store.
 *
 * Tables (core/store_migrations.inc, 13 -> 14):
 *   cwl_groups(name, created_ms, retention_days)      0: never expire
 *   cwl_streams(grp, name, created_ms, first_ts, last_ts, last_ingest, bytes)
 *   cwl_events(id, grp, stream, ts, ingest, msg)      id: the eventId
 * Invariant: a stream's bytes is the sum of its events' message lengths.
 *
 * Bounds (events are tenant data: a tenant can log megabytes a second):
 * a message is at most LOGLINE_EVENT_MAX bytes; a group holds at most
 * CWL_GROUP_MAX_BYTES of messages, its oldest events dropped past that
 * (cwl_group_trim); retention drops events older than retention_days on
 * the region clock (cwl_expire, from the cron). Every call runs in the
 * caller's transaction; false means an SQL failure (logged). */
#ifndef RDSIM_CWLSTORE_H
#define RDSIM_CWLSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct region region;

#define CWL_GROUP_MAX_BYTES (64LL * 1024 * 1024)

/* *existed: the group (stream) was already there (nothing changed). */
bool cwl_group_create(region *r, const char *name, int64_t now_ms, bool *existed);
bool cwl_group_exists(region *r, const char *name, bool *found);
bool cwl_group_delete(region *r, const char *name, bool *found);
bool cwl_group_set_retention(region *r, const char *name, int days, bool *found);
bool cwl_stream_create(region *r, const char *grp, const char *name, int64_t now_ms,
                       bool *existed);
bool cwl_stream_exists(region *r, const char *grp, const char *name, bool *found);

/* Appends one event (msg valid UTF-8, len bytes, no NUL) to a stream that
 * exists. */
bool cwl_event_add(region *r, const char *grp, const char *stream, int64_t ts, int64_t ingest,
                   const char *msg, size_t len);

/* Drops the group's oldest events while it holds more than max_bytes. */
bool cwl_group_trim(region *r, const char *grp, int64_t max_bytes);

/* Drops the events past their group's retention at now_ms. */
bool cwl_expire(region *r, int64_t now_ms);

/* Whether days is one of CloudWatch's retention values. */
bool cwl_retention_valid(int64_t days);

/* The store's connection statement helpers shared by obs/ files. */
struct sqlite3_stmt *cwl_prep(region *r, const char *sql);
bool cwl_step_done(struct sqlite3_stmt *st);

#endif
