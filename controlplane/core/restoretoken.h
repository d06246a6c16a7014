/* restoretoken: capabilities for a restore's objects served to an agent
 * (issue 17 part 4: an agent on another machine cannot open the
 * controlplane's backup store, so it fetches the objects over HTTP).
 *
 * A token is hex HMAC-SHA256, under a random 32-byte secret made once in
 * the controlplane's home (restore-url.key, 0600; it survives restarts so
 * a restore in flight across a kill -9 still fetches), of
 *   "rdsim-restore-v1\n<node_id>\n<kind>\n<source>"
 * kind being "base" or "wal" and source the object's (or archive's) path
 * in the backup store. Only the controlplane can make one; it names one
 * node, one kind and one source, so it is worth nothing for another node,
 * for the WAL when made for the base, or once the node's restore names
 * another object. The server still checks, at each request, that the node
 * exists with that restore source now (domain/restoresrc.h): the token
 * dies with the restore. */
#ifndef RDSIM_RESTORETOKEN_H
#define RDSIM_RESTORETOKEN_H

#include <stdbool.h>
#include <stdint.h>

#define RESTORETOKEN_KEY_LEN 32
#define RESTORETOKEN_HEX 64

/* The path prefix of the routes (api/api.c):
 *   GET <prefix><node_id>/<token>/base        the base backup's object
 *   GET <prefix><node_id>/<token>/wal/        {"objects": [names]} of the archive
 *   GET <prefix><node_id>/<token>/wal/<name>  one archived WAL object */
#define RESTORETOKEN_PATH "/agent/v1/restore/"

/* Writes the token (64 hex digits and a NUL) into out. */
void restoretoken_make(const uint8_t key[RESTORETOKEN_KEY_LEN], const char *node_id,
                       const char *kind, const char *source, char out[RESTORETOKEN_HEX + 1]);

/* True when token is exactly the token of (node_id, kind, source):
 * 64 hex digits, compared in constant time. False for NULL or any other
 * length. */
bool restoretoken_check(const uint8_t key[RESTORETOKEN_KEY_LEN], const char *node_id,
                        const char *kind, const char *source, const char *token);

/* A node id as it may appear in a route: [A-Za-z0-9-], 1 to 128 bytes. */
bool restoretoken_valid_node_id(const char *s);

#endif
