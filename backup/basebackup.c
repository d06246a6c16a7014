/* basebackup: see basebackup.h.
 *
 * The exchange (PostgreSQL 15, a physical replication connection):
 *   BASE_BACKUP (...)  ->  a result set: start LSN, timeline
 *                          a result set: the tablespaces (one row: base)
 *                          COPY OUT: 'n' base.tar, then 'd' data (and 'p'
 *                                    progress) messages
 *                          a result set: end LSN, timeline
 *                          command complete
 * The server does not end the tar; pg_basebackup adds two zero blocks and
 * so does this module, after the server confirmed the end.
 *
 * What must stay true:
 *  1. Nothing of a message is used before basebackup_message checked it.
 *  2. Success only after the end point arrived and the result stream
 *     ended cleanly: a backup cut short is never reported done (the caller
 *     then never finishes its object, which every reader refuses).
 *  3. Never waits on the server without a deadline: a server that stops
 *     sending (SIGSTOPped, or cut off without a reset: the kernel still
 *     acknowledges a stopped process's socket, so TCP never gives up)
 *     fails the backup after idle_ms of silence instead of holding it,
 *     and the instance's backing-up state, forever. */
#include "backup/basebackup.h"

#include <errno.h>
#include <libpq-fe.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/* The options of `pg_basebackup -Ft -X fetch --checkpoint=fast` to stdout,
 * less PROGRESS (the server would size every file first) and the
 * manifest (the server would checksum every file for it). */
static const char BASE_BACKUP_CMD[] =
    "BASE_BACKUP (LABEL 'rds-backup', WAL, CHECKPOINT 'fast', WAIT 0, TABLESPACE_MAP, "
    "TARGET 'client')";

/* A tar's end-of-archive marker: two zero blocks. */
static const uint8_t TAR_END[1024];

basebackup_msg basebackup_message(basebackup_stream *s, const uint8_t *msg, size_t len,
                                  const uint8_t **data, size_t *data_len, const char **why)
{
    if (len < 1) {
        *why = "an empty message in the archive stream";
        return BASEBACKUP_MSG_BAD;
    }
    const uint8_t *body = msg + 1;
    size_t blen = len - 1;
    switch (msg[0]) {
    case 'n': {
        /* archive name \0 tablespace path \0, both within the message */
        const uint8_t *nul = memchr(body, '\0', blen);
        if (!nul || !memchr(nul + 1, '\0', blen - (size_t)(nul + 1 - body))) {
            *why = "a malformed new-archive message";
            return BASEBACKUP_MSG_BAD;
        }
        if (++s->archives > 1) {
            *why = "more than one tablespace: the backup cannot be one tar";
            return BASEBACKUP_MSG_BAD;
        }
        return BASEBACKUP_MSG_SKIP;
    }
    case 'd':
        if (s->archives != 1) {
            *why = "archive data before any archive began";
            return BASEBACKUP_MSG_BAD;
        }
        *data = body;
        *data_len = blen;
        return BASEBACKUP_MSG_DATA;
    case 'p':
        if (blen != 8) {
            *why = "a malformed progress message";
            return BASEBACKUP_MSG_BAD;
        }
        return BASEBACKUP_MSG_SKIP;
    case 'm':
        *why = "a backup manifest, which was not asked for";
        return BASEBACKUP_MSG_BAD;
    default:
        *why = "an unknown message type in the archive stream";
        return BASEBACKUP_MSG_BAD;
    }
}

/* One "LSN, timeline" row (the start and end result sets). */
static bool read_point(const PGresult *res, wal_lsn *lsn, uint32_t *tli)
{
    int64_t t = 0;
    if (PQntuples(res) != 1 || PQnfields(res) < 2 || PQgetisnull(res, 0, 0) ||
        PQgetisnull(res, 0, 1) || !wal_lsn_parse(PQgetvalue(res, 0, 0), lsn) ||
        !str_to_int64(PQgetvalue(res, 0, 1), 1, UINT32_MAX, &t))
        return false;
    *tli = (uint32_t)t;
    return true;
}

/* why <- what: detail, on one line. */
static bool fail(char *why, size_t why_len, const char *what, const char *detail)
{
    snprintf(why, why_len, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    for (char *p = why; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(why);
    while (n > 0 && why[n - 1] == ' ')
        why[--n] = '\0';
    return false;
}

/* Reads what the server sent, waiting at most idle_ms for it (invariant 3). */
static bool await_input(PGconn *conn, int idle_ms, char *why, size_t why_len)
{
    /* A whole TLS record read ahead (tls_read_ahead) is in OpenSSL, not in
     * the socket: polling for it would wait for data already here — at
     * the stream's end, for ever. Part of a record is not enough: reading
     * again would spin until the rest came, with no deadline (a server
     * stopped mid-record kept a core busy). SSL_peek tells them apart: it
     * opens a whole record without taking its bytes, and on a part (the
     * socket is non-blocking) fails with WANT_READ, so the poll below
     * waits for the rest. */
    SSL *ssl = PQsslStruct(conn, "OpenSSL");
    if (ssl && SSL_has_pending(ssl)) {
        char c;
        ERR_clear_error();
        bool whole = SSL_peek(ssl, &c, 1) > 0;
        ERR_clear_error();
        if (whole)
            return PQconsumeInput(conn) ||
                   fail(why, why_len, "the base backup failed", PQerrorMessage(conn));
    }
    for (;;) {
        struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
        int r = poll(&pfd, 1, idle_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            char what[64];
            snprintf(what, sizeof what, "the server sent nothing for %d ms", idle_ms);
            return fail(why, why_len, "the base backup failed", what);
        }
        if (r < 0 || !PQconsumeInput(conn))
            return fail(why, why_len, "the base backup failed",
                        r < 0 ? strerror(errno) : PQerrorMessage(conn));
        return true;
    }
}

/* Lets OpenSSL read as much as its buffer holds per recv, rather than a
 * record's 5-byte header and then its body: the server sends 8 KiB TLS
 * records, so that was two system calls per 8 KiB (issue 19's profile).
 * await_input then looks in OpenSSL's buffer before polling the socket
 * (libpq's own waits already do). A connection without TLS: nothing. */
static void tls_read_ahead(PGconn *conn)
{
    SSL *ssl = PQsslStruct(conn, "OpenSSL");
    if (ssl)
        SSL_set_read_ahead(ssl, 1);
}

/* The next result, once libpq has it whole (invariant 3); *res NULL at
 * the end of the results. */
static bool next_result(PGconn *conn, int idle_ms, PGresult **res, char *why, size_t why_len)
{
    *res = NULL;
    while (PQisBusy(conn))
        if (!await_input(conn, idle_ms, why, why_len))
            return false;
    *res = PQgetResult(conn);
    return true;
}

/* Up to the COPY: the start point, then the tablespace list (base only). */
static bool read_header(PGconn *conn, int idle_ms, basebackup_result *out, char *why,
                        size_t why_len)
{
    int sets = 0;
    for (;;) {
        PGresult *res;
        if (!next_result(conn, idle_ms, &res, why, why_len))
            return false;
        if (!res)
            return fail(why, why_len, "the server ended the backup before its data", NULL);
        ExecStatusType st = PQresultStatus(res);
        bool ok = true;
        const char *what = NULL;
        if (st == PGRES_COPY_OUT) {
            ok = sets == 2;
            what = "the server sent data before the backup's start point";
        } else if (st != PGRES_TUPLES_OK) {
            ok = false;
            what = PQresultErrorMessage(res);
        } else if (sets == 0) {
            ok = read_point(res, &out->start_lsn, &out->timeline);
            what = "a malformed start point";
        } else if (sets == 1) {
            ok = PQntuples(res) == 1;
            what = "more than one tablespace: the backup cannot be one tar";
        } else {
            ok = false;
            what = "an unexpected result set";
        }
        sets++;
        if (!ok) {
            fail(why, why_len, "the base backup failed", what);
            PQclear(res);
            return false;
        }
        PQclear(res);
        if (st == PGRES_COPY_OUT)
            return true;
    }
}

/* The next CopyData message (PQgetCopyData's result). When libpq holds
 * only part of one, it first reads once more without waiting: the server
 * sends a 32 KiB message as four 8 KiB TLS records, libpq reads one record
 * a call, and while the server is ahead (always, when the backup is
 * CPU-bound here) the rest are already in the socket — polling before
 * each record was a third of the receiving thread's system calls
 * (profile of issue 19). Only when that read brought no whole message
 * does it wait (await_input, with its deadline). */
enum { COPY_FAILED = -3 }; /* beside PQgetCopyData's -1 and -2: why is said */

static int next_copy_data(PGconn *conn, int idle_ms, char **buf, char *why, size_t why_len)
{
    int n = PQgetCopyData(conn, buf, 1);
    if (n != 0)
        return n;
    if (!PQconsumeInput(conn)) {
        fail(why, why_len, "the base backup failed", PQerrorMessage(conn));
        return COPY_FAILED;
    }
    while ((n = PQgetCopyData(conn, buf, 1)) == 0)
        if (!await_input(conn, idle_ms, why, why_len))
            return COPY_FAILED;
    return n;
}

/* The COPY's messages into the sink. */
static bool read_archive(PGconn *conn, int idle_ms, envelope_sink_fn sink, void *sink_ctx,
                         basebackup_result *out, char *why, size_t why_len)
{
    basebackup_stream s = {0};
    for (;;) {
        char *buf = NULL;
        int n = next_copy_data(conn, idle_ms, &buf, why, why_len);
        if (n == COPY_FAILED)
            return false;
        if (n == -1)
            return s.archives == 1 ||
                   fail(why, why_len, "the base backup failed", "no archive was sent");
        if (n < 0)
            return fail(why, why_len, "the base backup failed", PQerrorMessage(conn));
        const uint8_t *data = NULL;
        size_t len = 0;
        const char *bad = NULL;
        basebackup_msg m = basebackup_message(&s, (const uint8_t *)buf, (size_t)n, &data, &len,
                                              &bad);
        bool ok = m != BASEBACKUP_MSG_BAD;
        if (m == BASEBACKUP_MSG_DATA && len > 0) {
            ok = sink(sink_ctx, data, len);
            bad = "the sink failed";
            out->tar_bytes += len;
        }
        PQfreemem(buf);
        if (!ok)
            return fail(why, why_len, "the base backup failed", bad);
    }
}

/* After the COPY: the end point, then the command's completion. */
static bool read_trailer(PGconn *conn, int idle_ms, basebackup_result *out, char *why,
                         size_t why_len)
{
    bool have_end = false;
    uint32_t tli = 0;
    for (;;) {
        PGresult *res;
        if (!next_result(conn, idle_ms, &res, why, why_len))
            return false;
        if (!res)
            break;
        ExecStatusType st = PQresultStatus(res);
        bool ok = st == PGRES_COMMAND_OK ||
                  (st == PGRES_TUPLES_OK && !have_end && read_point(res, &out->end_lsn, &tli));
        if (st == PGRES_TUPLES_OK)
            have_end = true;
        if (!ok)
            fail(why, why_len, "the base backup failed",
                 st == PGRES_TUPLES_OK ? "a malformed end point" : PQresultErrorMessage(res));
        PQclear(res);
        if (!ok)
            return false;
    }
    return have_end || fail(why, why_len, "the base backup failed", "no end point");
}

bool basebackup_run(const char *host, const char *port, const char *user, int idle_ms,
                    envelope_sink_fn sink, void *sink_ctx, basebackup_result *out, char *why,
                    size_t why_len)
{
    if (idle_ms <= 0)
        idle_ms = BASEBACKUP_IDLE_MS;
    memset(out, 0, sizeof *out);
    why[0] = '\0';
    const char *keys[] = {"host", "port", "user", "replication", "fallback_application_name",
                          NULL};
    const char *vals[] = {host, port, user, "true", "rds-backup", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    bool ok = false;
    bool connected = conn && PQstatus(conn) == CONNECTION_OK;
    if (connected)
        tls_read_ahead(conn);
    if (!connected)
        fail(why, why_len, "cannot connect", conn ? PQerrorMessage(conn) : "out of memory");
    else if (PQsendQuery(conn, BASE_BACKUP_CMD) != 1)
        fail(why, why_len, "cannot start the base backup", PQerrorMessage(conn));
    else
        ok = read_header(conn, idle_ms, out, why, why_len) &&
             read_archive(conn, idle_ms, sink, sink_ctx, out, why, why_len) &&
             read_trailer(conn, idle_ms, out, why, why_len);
    /* The end marker only once the server confirmed the end (invariant 2). */
    if (ok && !sink(sink_ctx, TAR_END, sizeof TAR_END))
        ok = fail(why, why_len, "the base backup failed", "the sink failed");
    if (ok)
        out->tar_bytes += sizeof TAR_END;
    PQfinish(conn);
    return ok;
}
