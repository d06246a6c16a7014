/* Unit tests for lib/httpc's callback contract: a request whose connect
 * the kernel refuses at once (here a broadcast address, without
 * SO_BROADCAST: EACCES inside connect(), as a blackhole route gives
 * EINVAL) is reported exactly once, and never before httpc_request has
 * returned — the caller may mark it in flight after the call (the agent's
 * heartbeat did, and stayed "in flight" for good after a partition). */
#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/httpc.h"
#include "lib/tap.h"

typedef struct {
    int calls;
    int status;
    bool returned; /* httpc_request had returned when the callback ran */
    bool *in_flight;
} seen;

static void on_reply(int status, const char *body, size_t len, void *arg)
{
    (void)body;
    (void)len;
    seen *s = arg;
    s->calls++;
    s->status = status;
    *s->in_flight = false;
}

int main(void)
{
    struct event_base *base = event_base_new();
    bool in_flight = false;
    seen s = {.in_flight = &in_flight};
    httpc_opts opts = {.method = "GET", .timeout_s = 2};
    bool started = httpc_request(base, "http://255.255.255.255:9/", &opts, on_reply, &s);
    ok(started, "a request to a refused address starts");
    ok(s.calls == 0, "its failure is not reported inside httpc_request");
    if (started)
        in_flight = true; /* what a caller does after a request started */
    event_base_dispatch(base);
    is_int(s.calls, 1, "the failure is reported once, on a later turn of the loop");
    is_int(s.status, 0, "as a transport failure (status 0)");
    ok(!in_flight, "so the caller's in-flight mark is cleared");
    event_base_free(base);
    return done_testing();
}
