/* Unit tests for cli/api and the command dispatcher: endpoint resolution,
 * reply parsing, error messages, and whole rdsctl runs (commands_main)
 * against a small fake controlplane forked on a free port, to check the
 * request's headers and body, Marker pagination, waiters and exit codes. */
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

#include "cli/api.h"
#include "cli/commands.h"
#include "cli/exitcode.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

/* ------------------------------------------------------ fake controlplane */

typedef struct {
    int polls; /* DescribeDBInstances calls for "slow" */
} fake_state;

static void fake_reply(struct evhttp_request *req, int status, const char *json)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, json, strlen(json));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", out);
    evbuffer_free(out);
}

static void fake_handle(struct evhttp_request *req, void *arg)
{
    fake_state *st = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char *body = xstrndup((const char *)evbuffer_pullup(in, (ssize_t)n), n);
    struct evkeyvalq q;
    evhttp_parse_query_str(body, &q);
    const char *action = evhttp_find_header(&q, "Action");
    const char *marker = evhttp_find_header(&q, "Marker");
    const char *id = evhttp_find_header(&q, "DBInstanceIdentifier");
    action = action ? action : "";
    if (strcmp(action, "Echo") == 0) {
        struct evkeyvalq *h = evhttp_request_get_input_headers(req);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Body", body);
        const char *accept = evhttp_find_header(h, "Accept");
        const char *ctype = evhttp_find_header(h, "Content-Type");
        cJSON_AddStringToObject(o, "Accept", accept ? accept : "");
        cJSON_AddStringToObject(o, "ContentType", ctype ? ctype : "");
        cJSON_AddStringToObject(o, "Method",
                                evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "?");
        cJSON *meta = cJSON_AddObjectToObject(o, "ResponseMetadata");
        cJSON_AddStringToObject(meta, "RequestId", "r-1");
        char *s = cJSON_PrintUnformatted(o);
        fake_reply(req, 200, s);
        free(s);
        cJSON_Delete(o);
    } else if (strcmp(action, "DescribeDBInstances") == 0 && id && strcmp(id, "slow") == 0) {
        st->polls++;
        fake_reply(req, 200, st->polls >= 3
                                 ? "{\"DBInstances\":[{\"DBInstanceStatus\":\"available\"}]}"
                                 : "{\"DBInstances\":[{\"DBInstanceStatus\":\"creating\"}]}");
    } else if (strcmp(action, "DescribeDBInstances") == 0 && id && strcmp(id, "broken") == 0) {
        fake_reply(req, 200, "{\"DBInstances\":[{\"DBInstanceStatus\":\"failed\"}]}");
    } else if (strcmp(action, "DescribeDBInstances") == 0 && id && strcmp(id, "loop") == 0) {
        fake_reply(req, 200, "{\"DBInstances\":[],\"Marker\":\"same\"}");
    } else if (strcmp(action, "DescribeDBInstances") == 0 && id) {
        fake_reply(req, 404, "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"DBInstanceNotFound\","
                             "\"Message\":\"DBInstance gone not found.\"},\"RequestId\":\"r-2\"}");
    } else if (strcmp(action, "DescribeDBInstances") == 0) {
        if (!marker)
            fake_reply(req, 200, "{\"DBInstances\":[{\"DBInstanceIdentifier\":\"a\"}],\"Marker\":\"m1\","
                                 "\"ResponseMetadata\":{\"RequestId\":\"r\"}}");
        else if (strcmp(marker, "m1") == 0)
            fake_reply(req, 200, "{\"DBInstances\":[{\"DBInstanceIdentifier\":\"b\"}],\"Marker\":\"m2\"}");
        else
            fake_reply(req, 200, "{\"DBInstances\":[{\"DBInstanceIdentifier\":\"c\"}]}");
    } else if (strcmp(action, "Broken") == 0) {
        fake_reply(req, 502, "<html>bad gateway</html>");
    } else {
        fake_reply(req, 400, "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"InvalidAction\","
                             "\"Message\":\"Unknown action.\"},\"RequestId\":\"r-3\"}");
    }
    evhttp_clear_headers(&q);
    free(body);
}

/* Binds 127.0.0.1:0 and returns the socket; *port gets the port. */
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
        fake_state st = {0};
        evutil_make_socket_nonblocking(fd);
        evhttp_accept_socket(http, fd);
        evhttp_set_gencb(http, fake_handle, &st);
        event_base_dispatch(base);
        _exit(0);
    }
    close(fd);
    return pid;
}

/* ------------------------------------------------------ running rdsctl */

typedef struct {
    int rc;
    char *out;
    char *err;
} run_result;

/* Runs commands_main with stdout and stderr captured to temp files. */
static run_result run_rdsctl(const char *endpoint, const char *const *words)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = xstrdup("rdsctl");
    if (endpoint) {
        argv[argc++] = xstrdup("--endpoint-url");
        argv[argc++] = xstrdup(endpoint);
    }
    for (int i = 0; words[i] && argc < 31; i++)
        argv[argc++] = xstrdup(words[i]);
    argv[argc] = NULL;
    char out_path[] = "/tmp/rdsctl-test-out-XXXXXX";
    char err_path[] = "/tmp/rdsctl-test-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    cli_env env = {.wait_delay = "0.01"};
    char *copy[32];
    memcpy(copy, argv, sizeof argv);
    int rc = commands_main(argc, copy, &env);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(out_fd);
    close(err_fd);
    size_t len;
    run_result r = {rc, fs_read_all(out_path, 1 << 20, &len), fs_read_all(err_path, 1 << 20, &len)};
    unlink(out_path);
    unlink(err_path);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

typedef struct {
    const char *name;
    const char *words[12];
    int rc;
    const char *out; /* exact stdout, or NULL to skip */
    const char *err; /* substring of stderr, or NULL to skip */
} run_case;

static const run_case run_cases[] = {
    {"pages merged, Marker dropped, ResponseMetadata dropped", {"describe-db-instances"}, CLI_EXIT_OK,
     "{\n    \"DBInstances\": [\n        {\n            \"DBInstanceIdentifier\": \"a\"\n        },\n"
     "        {\n            \"DBInstanceIdentifier\": \"b\"\n        },\n"
     "        {\n            \"DBInstanceIdentifier\": \"c\"\n        }\n    ]\n}\n", ""},
    {"--marker turns paging off", {"describe-db-instances", "--marker", "m1"}, CLI_EXIT_OK,
     "{\n    \"DBInstances\": [\n        {\n            \"DBInstanceIdentifier\": \"b\"\n        }\n    ],\n"
     "    \"Marker\": \"m2\"\n}\n", ""},
    {"--no-paginate shows the marker", {"describe-db-instances", "--no-paginate", "--output", "text"}, CLI_EXIT_OK,
     "m1\nDBINSTANCES\ta\n", ""},
    {"same marker twice stops", {"describe-db-instances", "--db-instance-identifier", "loop"}, CLI_EXIT_FAILURE,
     "", "The same next token was received twice"},
    {"service error: aws message, 254",
     {"describe-db-instances", "--db-instance-identifier", "gone"}, CLI_EXIT_SERVICE_ERROR, "",
     "\nAn error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: "
     "DBInstance gone not found.\n"},
    {"non-JSON error body: status and reason", {"call", "Broken"}, CLI_EXIT_SERVICE_ERROR, "",
     "An error occurred (502) when calling the Broken operation: Bad Gateway"},
    {"call sends raw parameters", {"call", "Echo", "A=1", "B.member.1=x y"}, CLI_EXIT_OK, NULL,
     ""},
    {"call needs Name=Value", {"call", "Echo", "oops"}, CLI_EXIT_USAGE, "", "expected Name=Value"},
    {"usage: missing required flag", {"reboot-db-instance"}, CLI_EXIT_USAGE, "",
     "rdsctl: error: the following arguments are required: --db-instance-identifier"},
    {"usage: unknown command", {"frobnicate"}, CLI_EXIT_USAGE, "", "Invalid choice 'frobnicate'"},
    {"usage: bad --output", {"describe-db-instances", "--output", "yaml"}, CLI_EXIT_USAGE, "",
     "argument --output: Invalid choice"},
    {"param error exits 252", {"describe-db-instances", "--filters", "Name"}, CLI_EXIT_USAGE, "",
     "Error parsing parameter '--filters'"},
    {"waiter succeeds after polls", {"wait", "db-instance-available", "--db-instance-identifier", "slow"},
     CLI_EXIT_OK, "", ""},
    {"waiter terminal failure", {"wait", "db-instance-available", "--db-instance-identifier", "broken"},
     CLI_EXIT_FAILURE, "",
     "\nWaiter DBInstanceAvailable failed: Waiter encountered a terminal failure state: For expression "
     "\"DBInstances[].DBInstanceStatus\" we matched expected path: \"failed\" at least once\n"},
    {"deleted waiter accepts DBInstanceNotFound",
     {"wait", "db-instance-deleted", "--db-instance-identifier", "gone"}, CLI_EXIT_OK, "", ""},
    {"available waiter fails on an unexpected error",
     {"wait", "db-instance-available", "--db-instance-identifier", "gone"}, CLI_EXIT_FAILURE, "",
     "Waiter DBInstanceAvailable failed: An error occurred (DBInstanceNotFound): DBInstance gone not found."},
    {"waiter times out", {"wait", "db-instance-deleted", "--db-instance-identifier", "broken", "--timeout", "0.05"},
     CLI_EXIT_FAILURE, "", "Waiter DBInstanceDeleted failed: Max attempts exceeded"},
    {"unknown waiter", {"wait", "db-instance-happy"}, CLI_EXIT_USAGE, "", "Invalid choice: 'db-instance-happy'"},
    {"help from the table", {"create-db-instance", "help"}, CLI_EXIT_OK, NULL, ""},
};

static void check_runs(const char *endpoint)
{
    for (size_t i = 0; i < sizeof run_cases / sizeof run_cases[0]; i++) {
        const run_case *c = &run_cases[i];
        run_result r = run_rdsctl(endpoint, c->words);
        is_int(r.rc, c->rc, c->name);
        if (c->out)
            is_str(r.out, c->out, c->name);
        if (c->err) {
            bool found = r.err && (c->err[0] ? strstr(r.err, c->err) != NULL : r.err[0] == '\0');
            if (!ok(found, c->name))
                diag("stderr: %s", r.err ? r.err : "(null)");
        }
        run_free(&r);
    }

    /* The request itself: method, headers, body. */
    const char *echo[] = {"call", "Echo", "MasterUserPassword=p@ss w", NULL};
    run_result r = run_rdsctl(endpoint, echo);
    cJSON *o = cJSON_Parse(r.out ? r.out : "");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(o, "Body");
    is_str(cJSON_IsString(body) ? body->valuestring : NULL,
           "Action=Echo&Version=2014-10-31&MasterUserPassword=p%40ss+w", "form body");
    const cJSON *accept = cJSON_GetObjectItemCaseSensitive(o, "Accept");
    is_str(cJSON_IsString(accept) ? accept->valuestring : NULL, "application/json", "Accept header");
    const cJSON *ctype = cJSON_GetObjectItemCaseSensitive(o, "ContentType");
    is_str(cJSON_IsString(ctype) ? ctype->valuestring : NULL,
           "application/x-www-form-urlencoded; charset=utf-8", "Content-Type header");
    ok(!cJSON_GetObjectItemCaseSensitive(o, "ResponseMetadata"), "ResponseMetadata removed");
    cJSON_Delete(o);
    run_free(&r);

    /* --debug shows the body with the password redacted. */
    const char *dbg[] = {"--debug", "call", "Echo", "MasterUserPassword=secret", NULL};
    r = run_rdsctl(endpoint, dbg);
    ok(r.err && strstr(r.err, "MasterUserPassword=REDACTED") && !strstr(r.err, "body=Action=Echo&Version=2014-10-31&MasterUserPassword=secret"),
       "--debug redacts the password in the request line");
    run_free(&r);
}

/* ------------------------------------------------------ pure functions */

typedef struct {
    const char *name;
    const char *flag, *env_endpoint, *env_port;
    const char *region_env; /* contents of $RDS_HOME/region.env; NULL: no file */
    const char *want;
} endpoint_case;

static const endpoint_case endpoint_cases[] = {
    {"flag wins", "http://h:1", "http://e:2", "3", "RDS_API_PORT=4\n", "http://h:1"},
    {"RDSCTL_ENDPOINT next", NULL, "http://e:2", "3", "RDS_API_PORT=4\n", "http://e:2"},
    {"RDS_API_PORT next", NULL, NULL, "3", "RDS_API_PORT=4\n", "http://127.0.0.1:3"},
    {"bad RDS_API_PORT ignored", NULL, NULL, "99999", "RDS_API_PORT=4\n", "http://127.0.0.1:4"},
    {"region.env", NULL, NULL, NULL, "# region\nRDS_DNS_PORT=8753\nRDS_API_PORT=8781\n", "http://127.0.0.1:8781"},
    {"region.env export and quotes", NULL, NULL, NULL, "export RDS_API_PORT=\"8782\"\n", "http://127.0.0.1:8782"},
    {"region.env without the port", NULL, NULL, NULL, "RDS_DNS_PORT=8753\n", "http://127.0.0.1:8780"},
    {"region.env with junk port", NULL, NULL, NULL, "RDS_API_PORT=abc\n", "http://127.0.0.1:8780"},
    {"default", NULL, NULL, NULL, NULL, "http://127.0.0.1:8780"},
};

static void check_endpoints(void)
{
    for (size_t i = 0; i < sizeof endpoint_cases / sizeof endpoint_cases[0]; i++) {
        const endpoint_case *c = &endpoint_cases[i];
        char dir[] = "/tmp/rdsctl-home-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        if (c->region_env) {
            char *path = xasprintf("%s/region.env", dir);
            fs_write_atomic(path, c->region_env, strlen(c->region_env), 0644);
            free(path);
        }
        char *got = api_endpoint_resolve(c->flag, c->env_endpoint, c->env_port, dir);
        is_str(got, c->want, c->name);
        free(got);
        fs_rm_rf(dir);
    }
    ok(api_endpoint_valid("http://127.0.0.1:8780"), "valid endpoint");
    ok(api_endpoint_valid("http://localhost:1/"), "valid endpoint with slash");
    ok(!api_endpoint_valid("https://x:1"), "https refused (the client speaks plain http)");
    ok(!api_endpoint_valid("127.0.0.1:8780"), "scheme missing refused");
    ok(!api_endpoint_valid(""), "empty refused");
}

typedef struct {
    const char *name;
    int status;
    const char *body;
    api_status want;
    const char *code, *message; /* API_SERVICE_ERROR */
} reply_case;

static const reply_case reply_cases[] = {
    {"200 JSON object", 200, "{\"DBInstance\":{},\"ResponseMetadata\":{\"RequestId\":\"r\"}}", API_OK, NULL, NULL},
    {"404 AWS error", 404, "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"DBInstanceNotFound\",\"Message\":\"m\"}}",
     API_SERVICE_ERROR, "DBInstanceNotFound", "m"},
    {"error without message", 400, "{\"Error\":{\"Code\":\"X\"}}", API_SERVICE_ERROR, "X", "Unknown"},
    {"502 HTML", 502, "<html/>", API_SERVICE_ERROR, "502", "Bad Gateway"},
    {"500 empty", 500, "", API_SERVICE_ERROR, "500", "Internal Server Error"},
    {"200 not JSON", 200, "<xml/>", API_SERVICE_ERROR, "200", "the controlplane's reply is not a JSON object"},
    {"200 JSON array", 200, "[]", API_SERVICE_ERROR, "200", "the controlplane's reply is not a JSON object"},
    {"transport failure", 0, "", API_CONNECT_ERROR, NULL, NULL},
};

static void check_replies(void)
{
    for (size_t i = 0; i < sizeof reply_cases / sizeof reply_cases[0]; i++) {
        const reply_case *c = &reply_cases[i];
        api_reply r;
        api_parse_reply(c->status, c->body, &r);
        is_int(r.status, c->want, c->name);
        if (c->want == API_SERVICE_ERROR) {
            is_str(r.error_code, c->code, c->name);
            is_str(r.error_message, c->message, c->name);
        }
        if (c->want == API_OK)
            ok(r.result && !cJSON_GetObjectItemCaseSensitive(r.result, "ResponseMetadata"),
               "ResponseMetadata removed");
        api_reply_free(&r);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    api_client client = {.endpoint = "http://127.0.0.1:1"};
    api_reply r;
    api_parse_reply(0, "", &r);
    api_print_error(&client, "DescribeDBInstances", &r, f);
    fclose(f);
    is_str(text, "\nCould not connect to the endpoint URL: \"http://127.0.0.1:1/\"\n", "connect message");
    free(text);
    api_reply_free(&r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    check_endpoints();
    check_replies();

    /* A port nobody listens on: connection refused → 255. */
    int dead_port;
    close(listen_any(&dead_port));
    char *dead = xasprintf("http://127.0.0.1:%d", dead_port);
    const char *describe[] = {"describe-db-instances", NULL};
    run_result r = run_rdsctl(dead, describe);
    is_int(r.rc, CLI_EXIT_FAILURE, "refused connection exits 255");
    ok(r.err && strstr(r.err, "Could not connect to the endpoint URL"), "refused connection message");
    run_free(&r);
    free(dead);

    int port;
    pid_t pid = fake_start(&port);
    char *endpoint = xasprintf("http://127.0.0.1:%d", port);
    check_runs(endpoint);
    free(endpoint);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return done_testing();
}
