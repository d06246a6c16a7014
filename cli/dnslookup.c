/* dnslookup: see dnslookup.h.
 *
 * c-ares does the sending (UDP, TCP on truncation, retries, timeouts);
 * ARES_FLAG_NOCHECKRESP makes it hand over every answer, REFUSED and
 * SERVFAIL included, so that this module shows what the server said
 * rather than c-ares's summary of it. The c-ares channel is driven by a
 * small poll loop: rdsctl is a one-shot program with nothing else to do
 * while it waits. */
#include "cli/dnslookup.h"

#include <arpa/inet.h>
#include <ares.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exitcode.h"
#include "dns/wire.h"
#include "lib/fsutil.h"

/* region.env is a handful of lines; anything bigger is not ours. */
#define DNSLOOKUP_REGION_ENV_MAX (64 * 1024)
#define DNSLOOKUP_TIMEOUT_MS 2000
#define DNSLOOKUP_TRIES 2

/* ------------------------------------------------------------ the port */

static bool dnslookup_port_parse(const char *s, int *port)
{
    int64_t v;
    if (!s || !str_to_int64(s, 1, 65535, &v))
        return false;
    *port = (int)v;
    return true;
}

/* The last RDS_DNS_PORT=VALUE of shell-style lines ("export " and quotes
 * allowed, as region.sh and people write them); a copy or NULL. */
static char *dnslookup_env_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    char *found = NULL;
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *p = line, *stop = line + len;
        while (p < stop && isspace((unsigned char)*p))
            p++;
        if ((size_t)(stop - p) > 7 && strncmp(p, "export ", 7) == 0)
            p += 7;
        if ((size_t)(stop - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            p += klen + 1;
            const char *v_end = stop;
            while (v_end > p && isspace((unsigned char)v_end[-1]))
                v_end--;
            if (v_end - p >= 2 && (*p == '"' || *p == '\'') && v_end[-1] == *p) {
                p++;
                v_end--;
            }
            free(found);
            found = xstrndup(p, (size_t)(v_end - p)); /* the last one wins, as in sh */
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

bool dnslookup_resolve_port(const char *flag_port, const char *env_port, const char *rds_home,
                            int *port, sbuf *err)
{
    if (flag_port) {
        if (dnslookup_port_parse(flag_port, port))
            return true;
        sbuf_printf(err, "argument --dns-port: invalid port: '%s'", flag_port);
        return false;
    }
    if (env_port && dnslookup_port_parse(env_port, port))
        return true;
    char *path = xasprintf("%s/region.env", (rds_home && *rds_home) ? rds_home : "./run");
    size_t len;
    char *text = fs_read_all(path, DNSLOOKUP_REGION_ENV_MAX, &len);
    free(path);
    bool found = false;
    if (text) {
        char *value = dnslookup_env_value(text, "RDS_DNS_PORT");
        found = dnslookup_port_parse(value, port);
        free(value);
        free(text);
    }
    if (!found)
        *port = DNSLOOKUP_DEFAULT_PORT;
    return true;
}

/* ---------------------------------------------------------- parsing */

const char *dnslookup_type_name(uint16_t type, char *buf, size_t cap)
{
    switch (type) {
    case WIRE_TYPE_A: return "A";
    case WIRE_TYPE_NS: return "NS";
    case WIRE_TYPE_CNAME: return "CNAME";
    case WIRE_TYPE_SOA: return "SOA";
    case WIRE_TYPE_AAAA: return "AAAA";
    default: break;
    }
    snprintf(buf, cap, "TYPE%u", (unsigned)type);
    return buf;
}

static const char *dnslookup_rcode_name(uint16_t rcode)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP", "REFUSED"};
    return rcode < sizeof names / sizeof names[0] ? names[rcode] : "RCODE?";
}

/* Dotted text with the trailing dot (dig's form); "." for the root. */
static bool dnslookup_name_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
    if (!wire_name_to_text(name, len, out, cap - 1))
        return false;
    size_t n = strlen(out);
    if (n + 2 > cap)
        return false;
    out[n] = '.';
    out[n + 1] = '\0';
    return true;
}

/* Reads a name that lies in rdata [off, off + rdlength) of the message,
 * compression pointers resolved against the whole message. false if the
 * name is malformed or does not end inside the rdata. */
static bool dnslookup_rdata_name(const uint8_t *buf, size_t len, size_t *off, size_t rd_end,
                                 uint8_t name[WIRE_NAME_MAX], size_t *name_len)
{
    wire_cursor c;
    wire_cursor_init(&c, buf, len);
    c.pos = *off;
    if (!wire_read_name(&c, name, name_len) || c.pos > rd_end)
        return false;
    *off = c.pos;
    return true;
}

/* Fills rec from rr; false if its rdata does not match its type. */
static bool dnslookup_record_from(const uint8_t *buf, size_t len, const wire_rr *rr,
                                  dnslookup_record *rec, uint8_t target[WIRE_NAME_MAX],
                                  size_t *target_len)
{
    rec->type = rr->type;
    rec->ttl = rr->ttl;
    if (!dnslookup_name_text(rr->name, rr->name_len, rec->name, sizeof rec->name))
        return false;
    *target_len = 0;
    if (rr->type == WIRE_TYPE_A) {
        if (rr->rdlength != 4)
            return false;
        return inet_ntop(AF_INET, rr->rdata, rec->data, sizeof rec->data) != NULL;
    }
    if (rr->type == WIRE_TYPE_CNAME || rr->type == WIRE_TYPE_NS) {
        size_t off = (size_t)(rr->rdata - buf);
        size_t end = off + rr->rdlength;
        if (!dnslookup_rdata_name(buf, len, &off, end, target, target_len) || off != end)
            return false;
        return dnslookup_name_text(target, *target_len, rec->data, sizeof rec->data);
    }
    /* Not a type a chain holds here: RFC 3597's generic form, length only. */
    snprintf(rec->data, sizeof rec->data, "\\# %u", (unsigned)rr->rdlength);
    return true;
}

bool dnslookup_parse(const uint8_t *buf, size_t len, dnslookup_answer *out, sbuf *err)
{
    memset(out, 0, sizeof *out);
    wire_cursor c;
    wire_cursor_init(&c, buf, len);
    wire_header h;
    if (!wire_read_header(&c, &h)) {
        sbuf_printf(err, "the answer is shorter than a DNS header (%zu bytes)", len);
        return false;
    }
    if (!(h.flags & WIRE_FLAG_QR)) {
        sbuf_puts(err, "the answer is not a DNS response (QR clear)");
        return false;
    }
    out->rcode = WIRE_RCODE(h.flags);
    out->authoritative = (h.flags & WIRE_FLAG_AA) != 0;
    out->truncated = (h.flags & WIRE_FLAG_TC) != 0;
    if (h.qdcount != 1) {
        sbuf_printf(err, "the answer has %u questions, not 1", (unsigned)h.qdcount);
        return false;
    }
    /* The chain starts at the question's name and moves along each CNAME
     * owned by its current end, in answer order (RFC 1034 §4.3.2). */
    uint8_t current[WIRE_NAME_MAX];
    size_t current_len;
    uint16_t qtype, qclass;
    if (!wire_read_question(&c, current, &current_len, &qtype, &qclass)) {
        sbuf_puts(err, "the answer's question is malformed");
        return false;
    }
    for (unsigned i = 0; i < h.ancount; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr)) {
            sbuf_printf(err, "answer record %u is malformed or truncated", i + 1);
            return false;
        }
        dnslookup_record rec;
        uint8_t target[WIRE_NAME_MAX];
        size_t target_len;
        if (!dnslookup_record_from(buf, len, &rr, &rec, target, &target_len)) {
            sbuf_printf(err, "answer record %u has malformed data", i + 1);
            return false;
        }
        bool at_end = wire_name_equal(rr.name, rr.name_len, current, current_len);
        if (at_end && rr.type == WIRE_TYPE_CNAME) {
            memcpy(current, target, target_len);
            current_len = target_len;
        } else if (at_end && rr.type == WIRE_TYPE_A && !out->address[0]) {
            memcpy(out->address, rec.data, strlen(rec.data) + 1);
        }
        if (out->nchain < DNSLOOKUP_CHAIN_MAX)
            out->chain[out->nchain++] = rec;
        else
            out->chain_cut = true;
    }
    return true;
}

bool dnslookup_soa_serial(const uint8_t *buf, size_t len, uint32_t *serial)
{
    wire_cursor c;
    wire_cursor_init(&c, buf, len);
    wire_header h;
    if (!wire_read_header(&c, &h))
        return false;
    for (unsigned i = 0; i < h.qdcount; i++) {
        uint8_t name[WIRE_NAME_MAX];
        size_t name_len;
        uint16_t t, k;
        if (!wire_read_question(&c, name, &name_len, &t, &k))
            return false;
    }
    unsigned records = (unsigned)h.ancount + h.nscount;
    for (unsigned i = 0; i < records; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr))
            return false;
        if (rr.type != WIRE_TYPE_SOA)
            continue;
        /* MNAME, RNAME, then SERIAL (RFC 1035 §3.3.13). */
        size_t off = (size_t)(rr.rdata - buf), end = off + rr.rdlength;
        uint8_t name[WIRE_NAME_MAX];
        size_t name_len;
        if (!dnslookup_rdata_name(buf, len, &off, end, name, &name_len) ||
            !dnslookup_rdata_name(buf, len, &off, end, name, &name_len) || end - off < 4)
            return false;
        *serial = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
                  (uint32_t)buf[off + 2] << 8 | buf[off + 3];
        return true;
    }
    return false;
}

/* --------------------------------------------------------- rendering */

void dnslookup_render_text(const dnslookup_answer *a, bool has_serial, uint32_t serial,
                           sbuf *out)
{
    for (size_t i = 0; i < a->nchain; i++) {
        const dnslookup_record *r = &a->chain[i];
        char tbuf[16];
        sbuf_printf(out, "%s  %u  %s  %s\n", r->name, (unsigned)r->ttl,
                    dnslookup_type_name(r->type, tbuf, sizeof tbuf), r->data);
    }
    if (a->chain_cut)
        sbuf_printf(out, "(more than %d records; the rest not shown)\n", DNSLOOKUP_CHAIN_MAX);
    if (has_serial)
        sbuf_printf(out, "SOA serial %u\n", (unsigned)serial);
}

cJSON *dnslookup_to_json(const char *qname, const dnslookup_answer *a, bool has_serial,
                         uint32_t serial)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "Name", qname);
    cJSON_AddStringToObject(root, "Status", dnslookup_rcode_name(a->rcode));
    cJSON *chain = cJSON_AddArrayToObject(root, "Chain");
    for (size_t i = 0; i < a->nchain; i++) {
        const dnslookup_record *r = &a->chain[i];
        char tbuf[16];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "Name", r->name);
        cJSON_AddStringToObject(item, "Type", dnslookup_type_name(r->type, tbuf, sizeof tbuf));
        cJSON_AddNumberToObject(item, "TTL", r->ttl);
        cJSON_AddStringToObject(item, "Data", r->data);
        cJSON_AddItemToArray(chain, item);
    }
    if (a->address[0])
        cJSON_AddStringToObject(root, "Address", a->address);
    else
        cJSON_AddNullToObject(root, "Address");
    if (has_serial)
        cJSON_AddNumberToObject(root, "SoaSerial", serial);
    else
        cJSON_AddNullToObject(root, "SoaSerial");
    return root;
}

/* ----------------------------------------------------------- c-ares */

typedef struct {
    bool done;
    int status;   /* ARES_* */
    uint8_t *buf; /* the raw answer, owned; NULL when nothing answered */
    size_t len;
} dnslookup_reply;

static void dnslookup_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    dnslookup_reply *r = arg;
    r->done = true;
    r->status = status;
    if (abuf && alen > 0) {
        r->buf = xmalloc((size_t)alen);
        memcpy(r->buf, abuf, (size_t)alen);
        r->len = (size_t)alen;
    }
}

/* Runs the channel until every reply is done (c-ares bounds the wait by
 * its own timeouts and tries). */
static void dnslookup_wait(ares_channel ch, dnslookup_reply *const *replies, size_t n)
{
    for (;;) {
        bool pending = false;
        for (size_t i = 0; i < n; i++)
            pending = pending || !replies[i]->done;
        if (!pending)
            return;
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        nfds_t nfd = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            /* Unsigned tests: c-ares's macros shift a signed 1 into the
             * sign bit for the last slot (undefined behaviour). */
            unsigned ubits = (unsigned)bits;
            short ev = (short)(((ubits >> i) & 1u ? POLLIN : 0) |
                               ((ubits >> (i + ARES_GETSOCK_MAXNUM)) & 1u ? POLLOUT : 0));
            if (ev)
                pfd[nfd++] = (struct pollfd){.fd = socks[i], .events = ev};
        }
        struct timeval tv, *tvp = ares_timeout(ch, NULL, &tv);
        int ms = tvp ? (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000) : 100;
        int ready = poll(pfd, nfd, ms);
        if (ready <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
            continue;
        }
        for (nfds_t i = 0; i < nfd; i++) {
            if (!pfd[i].revents)
                continue;
            bool rd = pfd[i].revents & (POLLIN | POLLERR | POLLHUP);
            bool wr = pfd[i].revents & POLLOUT;
            ares_process_fd(ch, rd ? pfd[i].fd : ARES_SOCKET_BAD, wr ? pfd[i].fd : ARES_SOCKET_BAD);
        }
    }
}

/* Sends A and SOA queries for name to server:port; fills the replies.
 * false (message printed) if c-ares could not be set up. */
static bool dnslookup_query(const char *server, int port, const char *name, dnslookup_reply *a,
                            dnslookup_reply *soa)
{
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        fprintf(stderr, "\nc-ares could not be initialised\n");
        return false;
    }
    struct ares_options opts = {
        .flags = ARES_FLAG_NOCHECKRESP,
        .timeout = DNSLOOKUP_TIMEOUT_MS,
        .tries = DNSLOOKUP_TRIES,
    };
    ares_channel ch;
    int st = ares_init_options(&ch, &opts, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (st != ARES_SUCCESS) {
        fprintf(stderr, "\nc-ares: %s\n", ares_strerror(st));
        ares_library_cleanup();
        return false;
    }
    bool v6 = strchr(server, ':') != NULL;
    char *csv = xasprintf(v6 ? "[%s]:%d" : "%s:%d", server, port);
    st = ares_set_servers_ports_csv(ch, csv);
    free(csv);
    if (st != ARES_SUCCESS) {
        fprintf(stderr, "\nc-ares: server %s: %s\n", server, ares_strerror(st));
        ares_destroy(ch);
        ares_library_cleanup();
        return false;
    }
    ares_query(ch, name, 1 /* IN */, WIRE_TYPE_A, dnslookup_on_answer, a);
    ares_query(ch, name, 1 /* IN */, WIRE_TYPE_SOA, dnslookup_on_answer, soa);
    dnslookup_reply *const replies[] = {a, soa};
    dnslookup_wait(ch, replies, 2);
    ares_destroy(ch);
    ares_library_cleanup();
    return true;
}

/* ----------------------------------------------------------- command */

#define F_LOCAL_STR(f, h) {f, NULL, ARG_STRING, NULL, NULL, false, h}

const arg_spec dnslookup_flags[] = {
    F_LOCAL_STR("dns-server", "Numeric address of the DNS server (default 127.0.0.1)"),
    F_LOCAL_STR("dns-port", "Its port (default $RDS_DNS_PORT, else RDS_DNS_PORT of "
                            "${RDS_HOME:-./run}/region.env, else 8753)"),
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

static int dnslookup_usage(const char *message)
{
    fprintf(stderr,
            "usage: rdsctl dns lookup NAME [--dns-server ADDR] [--dns-port N]\n"
            "rdsctl: error: %s\n", message);
    return CLI_EXIT_USAGE;
}

/* Splits argv (after "lookup") into the one positional NAME and the flag
 * words, which keep their order in flags[]. */
static bool dnslookup_split(int argc, char **argv, const char **name, char **flags, int *nflags)
{
    *name = NULL;
    *nflags = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            flags[(*nflags)++] = argv[i];
            if (!strchr(argv[i], '=') && i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                flags[(*nflags)++] = argv[++i];
            continue;
        }
        if (*name)
            return false;
        *name = argv[i];
    }
    return *name != NULL;
}

int dnslookup_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc < 1 || strcmp(argv[0], "lookup") != 0)
        return dnslookup_usage(argc < 1 ? "the following arguments are required: subcommand (lookup)"
                                        : "argument subcommand: Invalid choice, valid choices are: lookup");
    const char *name;
    char **flag_words = xcalloc((size_t)argc + 1, sizeof *flag_words);
    int nflags;
    query params = {0}, opts = {0};
    sbuf err = {0};
    dnslookup_reply a = {0}, soa = {0};
    cJSON *json = NULL;
    int rc = CLI_EXIT_USAGE;
    if (!dnslookup_split(argc - 1, argv + 1, &name, flag_words, &nflags)) {
        rc = dnslookup_usage("expected exactly one NAME");
        goto done;
    }
    uint8_t wname[WIRE_NAME_MAX];
    size_t wlen;
    if (!wire_name_from_text(name, wname, &wlen)) {
        rc = dnslookup_usage("NAME is not a domain name (labels of letters, digits, '-', '_')");
        goto done;
    }
    if (args_parse(dnslookup_flags, nflags, flag_words, &params, &opts, &err) != ARGS_OK) {
        rc = dnslookup_usage(err.data);
        goto done;
    }
    const char *server = query_get(&opts, "dns-server");
    if (!server)
        server = "127.0.0.1";
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, server, addr) != 1 && inet_pton(AF_INET6, server, addr) != 1) {
        rc = dnslookup_usage("argument --dns-server: expected a numeric IPv4 or IPv6 address");
        goto done;
    }
    int port;
    /* main hands the dispatcher no DNS port, so read the two variables
     * here, where they are used. */
    if (!dnslookup_resolve_port(query_get(&opts, "dns-port"), getenv("RDS_DNS_PORT"),
                                getenv("RDS_HOME"), &port, &err)) {
        rc = dnslookup_usage(err.data);
        goto done;
    }
    rc = CLI_EXIT_FAILURE;
    if (!dnslookup_query(server, port, name, &a, &soa))
        goto done;
    if (!a.buf) {
        fprintf(stderr, "\nNo answer from the DNS server at %s port %d: %s\n", server, port,
                ares_strerror(a.status));
        goto done;
    }
    dnslookup_answer ans;
    if (!dnslookup_parse(a.buf, a.len, &ans, &err)) {
        fprintf(stderr, "\nBad answer from the DNS server at %s port %d: %s\n", server, port,
                err.data);
        goto done;
    }
    uint32_t serial = 0;
    bool has_serial = soa.buf && dnslookup_soa_serial(soa.buf, soa.len, &serial);
    sbuf out = {0};
    if (ctx->output == OUTPUT_TEXT) {
        dnslookup_render_text(&ans, has_serial, serial, &out);
    } else {
        json = dnslookup_to_json(name, &ans, has_serial, serial);
        output_render(ctx->output, json, "DnsLookup", ctx->width, &out);
    }
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    sbuf_free(&out);
    if (ans.address[0]) {
        rc = CLI_EXIT_OK;
    } else {
        const char *why = ans.rcode == WIRE_RCODE_NXDOMAIN ? "no such name"
                          : ans.rcode == WIRE_RCODE_NOERROR ? "the name has no A record"
                          : ans.rcode == WIRE_RCODE_REFUSED ? "the name is not in the server's zone"
                          : "the server could not answer";
        fprintf(stderr, "\n%s: %s (%s)\n", name, why, dnslookup_rcode_name(ans.rcode));
        rc = CLI_EXIT_SERVICE_ERROR;
    }
done:
    cJSON_Delete(json);
    free(a.buf);
    free(soa.buf);
    free(flag_words);
    query_free(&params);
    query_free(&opts);
    sbuf_free(&err);
    return rc;
}
