/* restoreobj: see restoreobj.h. */
#include "controlplane/api/restoreobj.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/restoretoken.h"
#include "controlplane/domain/restoresrc.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/wal.h"

/* Sends o (freed here) as the JSON body of a reply. */
static void send_json(struct evhttp_request *req, int status, const char *reason, cJSON *o)
{
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, body, strlen(body));
    evhttp_send_reply(req, status, reason, out);
    evbuffer_free(out);
    free(body);
}

static void send_error(struct evhttp_request *req, int status, const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", why);
    send_json(req, status,
              status == 403 ? "Forbidden" : status == 404 ? "Not Found" : "Bad Request", o);
}

/* Copies the segment [s, s+n) into dst (cap bytes with the NUL). */
static bool take(const char *s, size_t n, char *dst, size_t cap)
{
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

bool restoreobj_parse(const char *path, restoreobj_route *out)
{
    memset(out, 0, sizeof *out);
    size_t plen = strlen(RESTORETOKEN_PATH);
    if (!path || strncmp(path, RESTORETOKEN_PATH, plen) != 0)
        return false;
    const char *p = path + plen;
    const char *s1 = strchr(p, '/');
    const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    if (!s2 || !take(p, (size_t)(s1 - p), out->node, sizeof out->node) ||
        !take(s1 + 1, (size_t)(s2 - s1 - 1), out->token, sizeof out->token))
        return false;
    const char *what = s2 + 1;
    if (strcmp(what, "base") == 0) {
        snprintf(out->kind, sizeof out->kind, "base");
        return true;
    }
    if (strncmp(what, "wal", 3) != 0 || (what[3] != '\0' && what[3] != '/'))
        return false;
    snprintf(out->kind, sizeof out->kind, "wal");
    const char *name = what[3] ? what + 4 : "";
    if (!*name) {
        out->listing = true;
        return true;
    }
    return take(name, strlen(name), out->name, sizeof out->name);
}

bool restoreobj_wal_name_ok(const char *name)
{
    uint32_t tli = 0;
    uint64_t segno = 0;
    return name && strlen(name) < 64 && !strchr(name, '/') &&
           wal_file_parse(name, ".env", &tli, &segno) != WAL_FILE_OTHER;
}

/* The archive's object names, as JSON. */
static void send_listing(struct evhttp_request *req, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        send_error(req, 404, "the WAL archive is not there");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "objects");
    struct dirent *e;
    while ((e = readdir(d)))
        if (restoreobj_wal_name_ok(e->d_name))
            cJSON_AddItemToArray(arr, cJSON_CreateString(e->d_name));
    closedir(d);
    send_json(req, 200, "OK", o);
}

/* One object, by sendfile; its connection a stream (lib/httpguard.h), so
 * a large object is not cut by the keep-alive idle deadline once its
 * reply has started (evhttp's own write timeout still drops a reader that
 * stops reading). */
static void send_file(httpguard *g, struct evhttp_request *req, const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        send_error(req, 404, "no such object");
        return;
    }
    struct evbuffer *out = evbuffer_new();
    if (sb.st_size > 0 && evbuffer_add_file(out, fd, 0, sb.st_size) != 0) {
        close(fd); /* evbuffer_add_file owns fd only on success */
        evbuffer_free(out);
        send_error(req, 404, "the object cannot be read");
        return;
    }
    if (sb.st_size == 0)
        close(fd);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/octet-stream");
    httpguard_request_stream(g, req);
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

void restoreobj_serve(region *r, httpguard *g, struct evhttp_request *req, const char *path)
{
    restoreobj_route rt;
    if (!restoreobj_parse(path, &rt) || !restoretoken_valid_node_id(rt.node)) {
        LOG_WARN("restore object refused status=400 why=\"malformed path\"");
        send_error(req, 400, "malformed restore object path");
        return;
    }
    if (rt.name[0] && !restoreobj_wal_name_ok(rt.name)) {
        LOG_WARN("restore object refused node=%s status=400 why=\"not a WAL object name\"",
                 rt.node);
        send_error(req, 400, "not a WAL object name");
        return;
    }
    char *base = NULL, *wal = NULL;
    const char *source = NULL;
    if (r->restore_key_ok && restoresrc_of_node(r, rt.node, &base, &wal))
        source = strcmp(rt.kind, "base") == 0 ? base : wal;
    if (!source || !restoretoken_check(r->restore_key, rt.node, rt.kind, source, rt.token)) {
        LOG_WARN("restore object refused node=%s kind=%s status=403 why=\"%s\"", rt.node,
                 rt.kind, source ? "bad token" : "no such restore");
        send_error(req, 403, "not authorized");
    } else if (rt.listing) {
        send_listing(req, wal);
    } else if (strcmp(rt.kind, "base") == 0) {
        LOG_INFO("restore object served node=%s kind=base", rt.node);
        send_file(g, req, base);
    } else {
        char *file = xasprintf("%s/%s", wal, rt.name);
        send_file(g, req, file);
        free(file);
    }
    free(base);
    free(wal);
}
