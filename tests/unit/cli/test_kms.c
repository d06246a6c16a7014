/* rdsctl kms: request bodies from flags, the JSON 1.1 headers on the
 * wire (against a fake service forked on a free port), paging, error
 * printing, and timestamps shown as ISO 8601. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/exitcode.h"
#include "cli/kms.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

/* ------------------------------------------------------------ bodies */

static void test_bodies(void)
{
    static const struct {
        const char *sub;
        const char *words[8];
        args_status st;
        const char *body;
        bool paged;
    } cases[] = {
        {"create-key", {NULL}, ARGS_OK, "{}", false},
        {"create-key", {"--description", "orders key", NULL}, ARGS_OK, "{\"Description\":\"orders key\"}", false},
        {"create-key", {"--description=x", "--no-multi-region", NULL}, ARGS_OK, "{\"Description\":\"x\",\"MultiRegion\":false}", false},
        {"describe-key", {"--key-id", "alias/aws/rds", NULL}, ARGS_OK, "{\"KeyId\":\"alias/aws/rds\"}", false},
        {"describe-key", {NULL}, ARGS_USAGE_ERROR, NULL, false},
        {"describe-key", {"--key-id", NULL}, ARGS_USAGE_ERROR, NULL, false},
        {"describe-key", {"--key", "x", NULL}, ARGS_USAGE_ERROR, NULL, false},
        {"schedule-key-deletion", {"--key-id", "k", "--pending-window-in-days", "7", NULL}, ARGS_OK,
         "{\"KeyId\":\"k\",\"PendingWindowInDays\":7}", false},
        {"schedule-key-deletion", {"--pending-window-in-days", "07", "--key-id", "k", NULL}, ARGS_OK,
         "{\"KeyId\":\"k\",\"PendingWindowInDays\":7}", false},
        {"schedule-key-deletion", {"--key-id", "k", "--pending-window-in-days", "seven", NULL},
         ARGS_USAGE_ERROR, NULL, false},
        {"cancel-key-deletion", {"--key-id", "k", NULL}, ARGS_OK, "{\"KeyId\":\"k\"}", false},
        {"disable-key", {"--key-id", "k", NULL}, ARGS_OK, "{\"KeyId\":\"k\"}", false},
        {"enable-key", {"--key-id", "k", NULL}, ARGS_OK, "{\"KeyId\":\"k\"}", false},
        {"list-keys", {NULL}, ARGS_OK, "{}", false},
        {"list-keys", {"--limit", "5", NULL}, ARGS_OK, "{\"Limit\":5}", true},
        {"list-keys", {"--marker", "9", NULL}, ARGS_OK, "{\"Marker\":\"9\"}", true},
        {"list-aliases", {"--key-id", "k", NULL}, ARGS_OK, "{\"KeyId\":\"k\"}", false},
        {"create-alias", {"--alias-name", "alias/a", "--target-key-id", "k", NULL}, ARGS_OK,
         "{\"AliasName\":\"alias/a\",\"TargetKeyId\":\"k\"}", false},
        {"create-alias", {"--alias-name", "alias/a", NULL}, ARGS_USAGE_ERROR, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const kms_cli_subcommand *sc = kms_cli_find(cases[i].sub);
        int argc = 0;
        while (cases[i].words[argc])
            argc++;
        char *body = NULL;
        bool paged = false;
        sbuf err = {0};
        args_status st = sc ? kms_cli_build_body(sc, argc, (char *const *)cases[i].words, &body,
                                                 &paged, &err)
                            : ARGS_PARAM_ERROR;
        char name[200];
        snprintf(name, sizeof name, "%s %s%s → %s", cases[i].sub, cases[i].words[0] ? cases[i].words[0] : "",
                 argc > 1 ? " ..." : "", cases[i].body ? cases[i].body : "usage error");
        ok(st == cases[i].st && (cases[i].body ? body && strcmp(body, cases[i].body) == 0 : body == NULL) &&
               (st != ARGS_OK || paged == cases[i].paged) && (st == ARGS_OK || err.len > 0),
           name);
        if (body && cases[i].body && strcmp(body, cases[i].body) != 0)
            diag("got %s", body);
        free(body);
        sbuf_free(&err);
    }
    ok(kms_cli_find("delete-key") == NULL, "an unknown subcommand is not found");
    is_str(kms_cli_find("schedule-key-deletion")->operation, "ScheduleKeyDeletion", "operation names");
}

static void test_dates(void)
{
    cJSON *v = cJSON_Parse("{\"KeyMetadata\":{\"CreationDate\":1790000000.123,\"KeyId\":\"k\","
                           "\"DeletionDate\":1790000001},\"Aliases\":[{\"CreationDate\":0,"
                           "\"LastUpdatedDate\":1.5}],\"PendingWindowInDays\":30}");
    kms_cli_show_dates(v);
    char *s = cJSON_PrintUnformatted(v);
    is_str(s, "{\"KeyMetadata\":{\"CreationDate\":\"2026-09-21T14:13:20.123Z\",\"KeyId\":\"k\","
              "\"DeletionDate\":\"2026-09-21T14:13:21.000Z\"},\"Aliases\":[{\"CreationDate\":"
              "\"1970-01-01T00:00:00.000Z\",\"LastUpdatedDate\":\"1970-01-01T00:00:01.500Z\"}],"
              "\"PendingWindowInDays\":30}",
           "epoch-second dates become ISO 8601 at any depth; other numbers stay");
    free(s);
    cJSON_Delete(v);
    kms_cli_show_dates(NULL);
    ok(1, "NULL is fine");
}

/* ------------------------------------------------------- fake service */

static void fake_reply(struct evhttp_request *req, int status, const char *body)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, body, strlen(body));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/x-amz-json-1.1");
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Bad Request", b);
    evbuffer_free(b);
}

/* Echoes what it got for TrentService.Echo; pages ListKeys; fails
 * DescribeKey of "gone" as AWS does. */
static void fake_handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *target = evhttp_find_header(h, "X-Amz-Target");
    const char *ctype = evhttp_find_header(h, "Content-Type");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char *body = xmalloc(n + 1);
    evbuffer_copyout(in, body, n);
    body[n] = '\0';
    cJSON *j = cJSON_Parse(body);
    const cJSON *marker = cJSON_GetObjectItem(j, "Marker");
    target = target ? target : "";
    if (strcmp(target, "TrentService.Echo") == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Target", target);
        cJSON_AddStringToObject(o, "ContentType", ctype ? ctype : "");
        cJSON_AddStringToObject(o, "Path", evhttp_request_get_uri(req));
        cJSON_AddStringToObject(o, "Body", body);
        char *s = cJSON_PrintUnformatted(o);
        fake_reply(req, 200, s);
        free(s);
        cJSON_Delete(o);
    } else if (strcmp(target, "TrentService.ListKeys") == 0) {
        if (!marker)
            fake_reply(req, 200, "{\"Keys\":[{\"KeyId\":\"a\"}],\"NextMarker\":\"m1\",\"Truncated\":true}");
        else if (strcmp(marker->valuestring, "m1") == 0)
            fake_reply(req, 200, "{\"Keys\":[{\"KeyId\":\"b\"}],\"NextMarker\":\"m2\",\"Truncated\":true}");
        else
            fake_reply(req, 200, "{\"Keys\":[{\"KeyId\":\"c\"}],\"Truncated\":false}");
    } else if (strcmp(target, "TrentService.DisableKey") == 0) {
        fake_reply(req, 200, "");
    } else {
        fake_reply(req, 400, "{\"__type\":\"com.amazonaws.kms#NotFoundException\",\"message\":\"nope\"}");
    }
    cJSON_Delete(j);
    free(body);
}

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    *port = ntohs(a.sin_port);
    return fd;
}

static pid_t fake_start(int *port)
{
    int fd = listen_any(port);
    pid_t pid = fork();
    if (pid == 0) {
        struct event_base *base = event_base_new();
        struct evhttp *http = evhttp_new(base);
        evutil_make_socket_nonblocking(fd);
        evhttp_accept_socket(http, fd);
        evhttp_set_gencb(http, fake_handle, NULL);
        event_base_dispatch(base);
        _exit(0);
    }
    close(fd);
    return pid;
}

/* Runs kms_cli_run with stdout and stderr captured. */
static int run(const char *endpoint, const char *const *words, char **out, char **err)
{
    char outp[] = "/tmp/rdsim-kmsout-XXXXXX", errp[] = "/tmp/rdsim-kmserr-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(ofd, 1);
    dup2(efd, 2);
    int argc = 0;
    while (words[argc])
        argc++;
    cli_ctx ctx = {.endpoint = (char *)endpoint, .output = OUTPUT_JSON, .width = 80};
    int rc = kms_cli_run(&ctx, NULL, argc, (char **)words);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(ofd);
    close(efd);
    *out = fs_read_all(outp, 1 << 20, NULL);
    *err = fs_read_all(errp, 1 << 20, NULL);
    unlink(outp);
    unlink(errp);
    return rc;
}

static void test_wire(void)
{
    int port;
    pid_t pid = fake_start(&port);
    char *endpoint = xasprintf("http://127.0.0.1:%d", port);

    char *reply = NULL;
    int status = kms_cli_post(endpoint, "Echo", "{\"KeyId\":\"k\"}", 5, &reply);
    cJSON *j = cJSON_Parse(reply);
    is_int(status, 200, "a call gets an answer");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "Target")), "TrentService.Echo",
           "X-Amz-Target names the operation");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "ContentType")), "application/x-amz-json-1.1",
           "Content-Type is the JSON 1.1 type");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "Path")), "/", "POST /");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "Body")), "{\"KeyId\":\"k\"}", "the body as built");
    cJSON_Delete(j);
    free(reply);

    char *out, *err;
    const char *list[] = {"list-keys", NULL};
    int rc = run(endpoint, list, &out, &err);
    j = cJSON_Parse(out ? out : "");
    cJSON *keys = cJSON_GetObjectItem(j, "Keys");
    ok(rc == CLI_EXIT_OK && cJSON_GetArraySize(keys) == 3 && !cJSON_GetObjectItem(j, "NextMarker") &&
           !cJSON_GetObjectItem(j, "Truncated"),
       "list-keys follows NextMarker through three pages and merges them");
    cJSON_Delete(j);
    free(out);
    free(err);

    const char *one[] = {"list-keys", "--limit", "1", NULL};
    rc = run(endpoint, one, &out, &err);
    j = cJSON_Parse(out ? out : "");
    ok(rc == CLI_EXIT_OK && cJSON_GetArraySize(cJSON_GetObjectItem(j, "Keys")) == 1 &&
           cJSON_GetObjectItem(j, "NextMarker"),
       "with --limit one page and its NextMarker");
    cJSON_Delete(j);
    free(out);
    free(err);

    const char *gone[] = {"describe-key", "--key-id", "gone", NULL};
    rc = run(endpoint, gone, &out, &err);
    is_int(rc, CLI_EXIT_SERVICE_ERROR, "a service error exits 254");
    is_str(err, "\nAn error occurred (NotFoundException) when calling the DescribeKey operation: nope\n",
           "and prints as the aws CLI does, namespace stripped");
    free(out);
    free(err);

    const char *disable[] = {"disable-key", "--key-id", "k", NULL};
    rc = run(endpoint, disable, &out, &err);
    ok(rc == CLI_EXIT_OK && out && out[0] == '\0', "an empty reply prints nothing");
    free(out);
    free(err);

    const char *bad[] = {"frobnicate-key", NULL};
    rc = run(endpoint, bad, &out, &err);
    ok(rc == CLI_EXIT_USAGE && err && strstr(err, "Invalid choice: 'frobnicate-key'"), "unknown subcommand → 252");
    free(out);
    free(err);
    const char *none[] = {NULL};
    rc = run(endpoint, none, &out, &err);
    is_int(rc, CLI_EXIT_USAGE, "no subcommand → 252");
    free(out);
    free(err);
    const char *help[] = {"schedule-key-deletion", "help", NULL};
    rc = run(endpoint, help, &out, &err);
    ok(rc == CLI_EXIT_OK && out && strstr(out, "--pending-window-in-days"), "subcommand help lists its flags");
    free(out);
    free(err);

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    /* The port is free now: nothing answers. */
    status = kms_cli_post(endpoint, "Echo", "{}", 2, &reply);
    ok(status == 0 && reply && reply[0] == '\0', "a refused connection is status 0");
    free(reply);
    const char *desc[] = {"describe-key", "--key-id", "k", NULL};
    rc = run(endpoint, desc, &out, &err);
    ok(rc == CLI_EXIT_FAILURE && err && strstr(err, "Could not connect to the endpoint URL"),
       "no answer exits 255 with the aws CLI's message");
    free(out);
    free(err);
    status = kms_cli_post("ftp://x", "Echo", "{}", 2, &reply);
    ok(status == 0, "a non-http endpoint is refused");
    free(reply);
    free(endpoint);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_bodies();
    test_dates();
    test_wire();
    return done_testing();
}
