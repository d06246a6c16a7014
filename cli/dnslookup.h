/* dnslookup: `rdsctl dns lookup NAME`, a name resolved through the
 * region's built-in DNS server, shown with every record's TTL.
 *
 * The command sends two queries with c-ares to the server (by default
 * 127.0.0.1 on the region's DNS port): A for NAME, whose answer holds the
 * CNAME chain the server followed inside its zone and the final A
 * records; and SOA for NAME, whose answer or authority section carries
 * the zone's SOA, for its serial. Nothing is cached and nothing is asked
 * of any other server: the point is to see what the server says now.
 *
 * Parsing the answers is pure (dnslookup_parse, dnslookup_soa_serial) and
 * goes through dns/wire.h's bounds-checked reader; the result is rendered
 * as text (one line per record, dig's field order) or as JSON:
 *   {"Name", "Chain": [{"Name","Type","TTL","Data"}...], "Address",
 *    "SoaSerial"}
 * with the other output formats rendering that JSON.
 *
 * Exit statuses: 0 with an address; 254 (CLI_EXIT_SERVICE_ERROR) when the
 * server answered without one (NXDOMAIN, NODATA, REFUSED, SERVFAIL, …; the
 * rcode is printed); 255 when nothing answered; 252 for a bad command line. */
#ifndef RDSIM_CLI_DNSLOOKUP_H
#define RDSIM_CLI_DNSLOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/commands.h"
#include "lib/util.h"

struct cJSON;

#define DNSLOOKUP_DEFAULT_PORT 8753
/* Records of the answer section kept; a longer chain is cut and flagged. */
#define DNSLOOKUP_CHAIN_MAX 16
/* Dotted names with the trailing dot, \DDD-escaped: 4 * 255 fits. */
#define DNSLOOKUP_TEXT_MAX 1024

typedef struct {
    char name[DNSLOOKUP_TEXT_MAX]; /* owner, "a.b.c." */
    uint16_t type;                 /* WIRE_TYPE_* */
    uint32_t ttl;
    char data[DNSLOOKUP_TEXT_MAX]; /* CNAME target "x.y." or A "127.0.1.2"; other types "\# N" */
} dnslookup_record;

typedef struct {
    uint16_t rcode;        /* from the header (4 bits) */
    bool authoritative;    /* AA */
    bool truncated;        /* TC */
    dnslookup_record chain[DNSLOOKUP_CHAIN_MAX];
    size_t nchain;
    bool chain_cut;        /* the answer held more than DNSLOOKUP_CHAIN_MAX records */
    char address[16];      /* the first A record of the chain's end, "" if none */
} dnslookup_answer;

/* The --dns-port to use, by precedence: flag_port (--dns-port), env
 * RDS_DNS_PORT, RDS_DNS_PORT in ${RDS_HOME:-./run}/region.env,
 * DNSLOOKUP_DEFAULT_PORT. Env values are passed in (NULL when unset); an
 * env or region.env value that is not a port 1..65535 is skipped. Returns
 * false with a message in err only when flag_port is given and is not a
 * port. */
bool dnslookup_resolve_port(const char *flag_port, const char *env_port, const char *rds_home,
                            int *port, sbuf *err);

/* Parses the raw answer (buf, len) to an A query. Reads the header, skips
 * the questions and walks the answer section in order; RRs the server put
 * there are kept as they came (the chain), and the address is the first A
 * record owned by the name the chain ends at (qname itself when there is no
 * CNAME). Returns false with a message in err when the bytes are not a
 * DNS response (truncated, malformed names, not QR); a negative answer is
 * not an error (see rcode, nchain, address). */
bool dnslookup_parse(const uint8_t *buf, size_t len, dnslookup_answer *out, sbuf *err);

/* Finds the first SOA record in the answer or authority section of the
 * raw message (buf, len) and returns its serial in *serial. false if there
 * is none or the message is malformed. */
bool dnslookup_soa_serial(const uint8_t *buf, size_t len, uint32_t *serial);

/* Type mnemonic for the types a chain may hold ("A", "CNAME", ...), or
 * "TYPEnnn" written into buf (>= 12 bytes). */
const char *dnslookup_type_name(uint16_t type, char *buf, size_t cap);

/* Text form: one line per record "NAME  TTL  TYPE  DATA", then
 * "SOA serial N" when has_serial. */
void dnslookup_render_text(const dnslookup_answer *a, bool has_serial, uint32_t serial,
                           sbuf *out);

/* The JSON form (the caller deletes it): {"Name": qname, "Chain": [...],
 * "Address": address or null, "SoaSerial": serial or null}. */
struct cJSON *dnslookup_to_json(const char *qname, const dnslookup_answer *a, bool has_serial,
                                uint32_t serial);

/* Flags of `dns`, for the command table (terminated by {NULL}). */
extern const arg_spec dnslookup_flags[];

/* The `dns` command: argv = ["lookup", NAME, flags...]. Returns the exit
 * status. */
int dnslookup_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
