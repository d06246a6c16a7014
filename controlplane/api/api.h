/* api: the controlplane's HTTP front: the AWS Query protocol on POST /
 * (and GET /?Action=…), and the agents' heartbeat on
 * POST /agent/v1/heartbeat.
 *
 * Every request ends in exactly one reply. A Query request is parsed
 * (query.h), dispatched through the action table (actions.h), and
 * rendered (render.h) as AWS XML, or JSON when the request's Accept
 * header asks for application/json. */
#ifndef RDSIM_API_H
#define RDSIM_API_H

#include <stdbool.h>
#include <stdint.h>

typedef struct region region;
typedef struct api api;

/* Listens on addr:port (0: ephemeral); *bound gets the port. NULL (logged)
 * if it cannot bind. */
api *api_start(region *r, const char *addr, uint16_t port, uint16_t *bound);
void api_stop(api *a);

#endif
