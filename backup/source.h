/* source: where a restore reads an object — a path in the backup store,
 * or (issue 17 part 4: an agent on another machine) a URL of the
 * controlplane's restore routes (controlplane/api/restoreobj.h).
 *
 * A URL is streamed: a child process downloads it (lib/httpc.h with
 * on_body) into a pipe whose read end the caller hands to envelope_open
 * (envelope_source_fd), so no object is ever held whole in memory. The
 * download keeps httpc's deadline: a server silent for SOURCE_IDLE_S
 * seconds ends it, so a restore never hangs on a dead controlplane. */
#ifndef RDSIM_BACKUP_SOURCE_H
#define RDSIM_BACKUP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SOURCE_IDLE_S 60

/* restore's --in and --wal-dir when given in the environment instead
 * (the agent does for URLs: a token is not for ps to show). */
#define RESTORE_ENV_IN "RDSIM_RESTORE_IN"
#define RESTORE_ENV_WAL "RDSIM_RESTORE_WAL"

typedef struct {
    int fd;    /* read from here */
    pid_t pid; /* the downloader, or -1 for a file */
} source;

/* "http://..." */
bool source_is_url(const char *s);

/* Opens src for reading: a file (raising store_access around the open)
 * or a URL's download. Returns an exit code (a failure said on stderr). */
int source_open(const char *src, source *out);

/* Closes s and ends its download: EXIT_OK when it was a file or the whole
 * object arrived with status 200; else EXIT_FAIL, the downloader having
 * said why on stderr. Call after reading what was needed. */
int source_close(source *s);

/* A small reply (a listing) of url, whole: the body (the caller frees)
 * when the status is 200 and it is at most max bytes, else NULL (said on
 * stderr). */
char *source_get(const char *url, size_t max);

/* url with its capability token (the path segment after the node id)
 * replaced by "...": what is said in logs. The caller frees it. */
char *source_label(const char *url);

#endif
