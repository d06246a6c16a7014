/* Unit tests for cli/wait: every acceptor of both waiters, in botocore's
 * order, with botocore's explanations. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli/wait.h"
#include "lib/tap.h"

typedef struct {
    const char *name;
    const char *waiter;
    int http_status;
    const char *body;
    wait_state want;
    const char *reason; /* WAIT_FAILURE: exact reason */
} wait_case;

#define NOT_FOUND "{\"Error\":{\"Code\":\"DBInstanceNotFound\",\"Message\":\"DBInstance x not found.\"}}"
#define ONE(st) "{\"DBInstances\":[{\"DBInstanceStatus\":\"" st "\"}]}"

static const wait_case cases[] = {
    {"available: available", "db-instance-available", 200, ONE("available"), WAIT_SUCCESS, NULL},
    {"available: creating keeps waiting", "db-instance-available", 200, ONE("creating"), WAIT_RETRY, NULL},
    {"available: modifying keeps waiting", "db-instance-available", 200, ONE("modifying"), WAIT_RETRY, NULL},
    {"available: all must be available", "db-instance-available", 200,
     "{\"DBInstances\":[{\"DBInstanceStatus\":\"available\"},{\"DBInstanceStatus\":\"backing-up\"}]}",
     WAIT_RETRY, NULL},
    {"available: empty list keeps waiting (pathAll of nothing is false)", "db-instance-available", 200,
     "{\"DBInstances\":[]}", WAIT_RETRY, NULL},
    {"available: deleted fails", "db-instance-available", 200, ONE("deleted"), WAIT_FAILURE,
     "Waiter encountered a terminal failure state: For expression \"DBInstances[].DBInstanceStatus\" "
     "we matched expected path: \"deleted\" at least once"},
    {"available: deleting fails", "db-instance-available", 200, ONE("deleting"), WAIT_FAILURE,
     "Waiter encountered a terminal failure state: For expression \"DBInstances[].DBInstanceStatus\" "
     "we matched expected path: \"deleting\" at least once"},
    {"available: failed fails", "db-instance-available", 200, ONE("failed"), WAIT_FAILURE, NULL},
    {"available: incompatible-restore fails", "db-instance-available", 200, ONE("incompatible-restore"),
     WAIT_FAILURE, NULL},
    {"available: incompatible-parameters fails", "db-instance-available", 200,
     ONE("incompatible-parameters"), WAIT_FAILURE, NULL},
    {"available: not found is an unexpected error", "db-instance-available", 404, NOT_FOUND, WAIT_FAILURE,
     "An error occurred (DBInstanceNotFound): DBInstance x not found."},
    {"deleted: not found succeeds", "db-instance-deleted", 404, NOT_FOUND, WAIT_SUCCESS, NULL},
    {"deleted: empty list succeeds", "db-instance-deleted", 200, "{\"DBInstances\":[]}", WAIT_SUCCESS, NULL},
    {"deleted: deleting keeps waiting", "db-instance-deleted", 200, ONE("deleting"), WAIT_RETRY, NULL},
    {"deleted: available keeps waiting", "db-instance-deleted", 200, ONE("available"), WAIT_RETRY, NULL},
    {"deleted: creating fails", "db-instance-deleted", 200, ONE("creating"), WAIT_FAILURE,
     "Waiter encountered a terminal failure state: For expression \"DBInstances[].DBInstanceStatus\" "
     "we matched expected path: \"creating\" at least once"},
    {"deleted: modifying fails", "db-instance-deleted", 200, ONE("modifying"), WAIT_FAILURE, NULL},
    {"deleted: rebooting fails", "db-instance-deleted", 200, ONE("rebooting"), WAIT_FAILURE, NULL},
    {"deleted: resetting-master-credentials fails", "db-instance-deleted", 200,
     ONE("resetting-master-credentials"), WAIT_FAILURE, NULL},
    {"deleted: another error fails", "db-instance-deleted", 400,
     "{\"Error\":{\"Code\":\"InvalidParameterValue\",\"Message\":\"bad\"}}", WAIT_FAILURE,
     "An error occurred (InvalidParameterValue): bad"},
    {"deleted: reply without the list keeps waiting", "db-instance-deleted", 200, "{}", WAIT_RETRY, NULL},
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const wait_case *c = &cases[i];
        const wait_spec *w = wait_find(c->waiter);
        if (!ok(w != NULL, "waiter exists"))
            continue;
        api_reply reply;
        api_parse_reply(c->http_status, c->body, &reply);
        sbuf reason = {0};
        wait_state st = wait_evaluate(w, &reply, &reason);
        is_int(st, c->want, c->name);
        if (c->reason)
            is_str(reason.data, c->reason, c->name);
        sbuf_free(&reason);
        api_reply_free(&reply);
    }
    ok(wait_find("db-instance-happy") == NULL, "unknown waiter");
    ok(strcmp(wait_find("db-instance-deleted")->waiter, "DBInstanceDeleted") == 0, "botocore name");
    return done_testing();
}
