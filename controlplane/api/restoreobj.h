/* restoreobj: the routes that serve a restore's objects to the agent of
 * the node being restored (issue 17 part 4), on the API listener and the
 * agents' door (--agent-addr):
 *
 *   GET /agent/v1/restore/<node_id>/<token>/base        the base backup's object
 *   GET /agent/v1/restore/<node_id>/<token>/wal/        {"objects": [names]}
 *   GET /agent/v1/restore/<node_id>/<token>/wal/<name>  one archived WAL object
 *
 * Authorization is the capability in the path (core/restoretoken.h: made
 * for that node, that kind and that source), checked against the node's
 * restore source in the store now (domain/restoresrc.h). A request that
 * is malformed (400), not authorized (403: no such node, no restore, a
 * token for another node, kind or source) or for an object that is not
 * there (404) gets a JSON {"error": ...}, is logged, and changes nothing.
 * Objects go out with evbuffer_add_file (sendfile): never copied into
 * memory, whatever their size. */
#ifndef RDSIM_RESTOREOBJ_H
#define RDSIM_RESTOREOBJ_H

#include "controlplane/core/region.h"
#include "lib/httpguard.h"

struct evhttp_request;

/* Answers req, a GET whose path starts with RESTORETOKEN_PATH. */
void restoreobj_serve(region *r, httpguard *g, struct evhttp_request *req, const char *path);

/* The route's parts: "<node>/<token>/<what>" after the prefix, each
 * bounded; what is "base", "wal", "wal/" or "wal/<name>". False when the
 * path has another shape. Pure, for the unit tests. */
typedef struct {
    char node[129];
    char token[65];
    char kind[8];   /* "base" or "wal" */
    char name[64];  /* wal/<name>, "" for the listing or the base */
    bool listing;   /* wal or wal/ */
} restoreobj_route;

bool restoreobj_parse(const char *path, restoreobj_route *out);

/* A WAL object's name as the archive has them: a segment, a partial or a
 * history file with ".env" (lib/wal.h); never a path. */
bool restoreobj_wal_name_ok(const char *name);

#endif
