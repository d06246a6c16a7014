/* snapjob: the children that make DB snapshots' objects.
 *
 * A snapshot in `creating` gets one `bin/rds-backup` child of this
 * process (`snapshot` of the instance's primary, or `copy` of another
 * snapshot's object), started by snapjob_tick, which the cron calls; the
 * child reaches the key service through the controlplane's own KMS API.
 * A tick starts a child for every `creating` snapshot that has none in
 * this process — also after a restart, which makes a kill -9 of the
 * controlplane harmless (the children die with it) — and records each
 * child's end: `available` with the object's size, or `failed` with the
 * first line of the child's log. The children are reaped by lib/reaper,
 * never waited for. */
#ifndef RDSIM_SNAPJOB_H
#define RDSIM_SNAPJOB_H

typedef struct region region;

/* Reaps the children that ended (recording each snapshot's end), then
 * starts one for each snapshot in `creating` that has none, at most 16 at
 * once. */
void snapjob_tick(region *r);

#endif
