/* liveview: the region's live view, a read-only web page on the API port
 * (GET /view/...): the instances and their status, the event stream
 * pushed live (Server-Sent Events, api/livefeed.h), a failover timeline
 * and graphs of each instance's metrics (api/livedata.h). The page
 * (controlplane/api/liveview/: HTML, CSS, JS, no library) is compiled in
 * (scripts/embed-assets.sh); nothing is read from disk at run time.
 *
 * Who may look (the trust model: the page shows what DescribeDBInstances
 * and DescribeEvents show, so it takes the same credentials):
 *  1. `rdsctl view-url` presigns GET /view/login with the caller's
 *     access key (SigV4 query form, service rds, X-Amz-Expires at most
 *     LIVEVIEW_URL_MAX_S). The secret never leaves the client; the URL is
 *     good for at most 15 minutes.
 *  2. /view/login checks it (auth_presigned_view: signature, expiry,
 *     region, and rds:DescribeDBInstances for the key's principal) and
 *     answers 303 to /view/ with a session cookie "rdsview" (HttpOnly,
 *     SameSite=Strict, Path=/view/, Max-Age LIVEVIEW_SESSION_S):
 *     v1.<access key id>.<expiry, epoch s>.<HMAC-SHA256 hex under this
 *     controlplane's session key, made at start and never stored>.
 *  3. Every other /view request needs that cookie: a valid MAC, an
 *     unexpired session, and a key that still exists and still may
 *     rds:DescribeDBInstances (so deleting the key or its permission
 *     ends the session at the next request). Anything else: 403.
 * A restarted controlplane has a new session key: sessions end (the
 * cookie is a credential, not state the store must keep); run view-url
 * again.
 *
 * Every /view reply carries no-store, nosniff, no-referrer, DENY framing
 * and a Content-Security-Policy that allows only this origin's script
 * and style (no inline script), a second wall behind the page's rule of
 * setting tenant strings only as textContent. */
#ifndef RDSIM_LIVEVIEW_H
#define RDSIM_LIVEVIEW_H

#include <stdbool.h>

#include "controlplane/core/region.h"

struct evhttp_request;
typedef struct httpguard httpguard;
typedef struct liveview liveview;

#define LIVEVIEW_URL_MAX_S 900
#define LIVEVIEW_SESSION_S 3600
#define LIVEVIEW_LOGIN_PATH "/view/login"

/* The view with a fresh session key, or NULL (logged) when the random
 * source fails. guard is borrowed (for the event streams). */
liveview *liveview_new(region *r, httpguard *guard);

/* Whether path belongs to the view ("/view" or under "/view/"). */
bool liveview_is_path(const char *path);

/* Answers req (exactly one reply, or the start of an event stream). */
void liveview_request(liveview *v, struct evhttp_request *req, const char *path);

/* Ends the event streams and frees; before evhttp_free. NULL is fine. */
void liveview_free(liveview *v);

#endif
