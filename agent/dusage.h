/* dusage: how much disk a node's data directory really uses.
 *
 * The sum of allocated blocks (st_blocks, as du counts) of every file
 * below a directory, not following symlinks (hard links would count twice;
 * PostgreSQL makes none in its data directory). Files that vanish
 * during the walk (PostgreSQL removes WAL segments and temp files at any
 * time) are skipped. A data directory holds a few thousand files: the walk
 * is a few milliseconds, done once per telemetry tick. */
#ifndef RDSIM_AGENT_DUSAGE_H
#define RDSIM_AGENT_DUSAGE_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes used below dir; false if dir itself cannot be read. */
bool dusage_bytes(const char *dir, int64_t *bytes);

#endif
