/* kmswatch: an encrypted instance whose KMS key becomes unusable.
 *
 * RDS cannot read an instance's storage without its key. From the cron,
 * every encrypted instance that is `available` (or `backing-up`,
 * `storage-full`) while its key is disabled or pending deletion becomes
 * `inaccessible-encryption-credentials-recoverable`: its archiver stops,
 * no backup is taken, the API refuses what needs it available. Enabling
 * the key (or cancelling its deletion) makes it `available` again. A key
 * that no longer exists, or 7 days (region clock) in the recoverable
 * state, makes it `inaccessible-encryption-credentials`: terminal, only
 * DeleteDBInstance (and restoring a backup under another key) is left, as
 * RDS documents. */
#ifndef RDSIM_KMSWATCH_H
#define RDSIM_KMSWATCH_H

#include <stdbool.h>

typedef struct region region;

#define KMSWATCH_RECOVERABLE_MS (7LL * 86400 * 1000)

/* One pass (rate-limited inside); true when a status changed. */
bool kmswatch_tick(region *r);

#endif
