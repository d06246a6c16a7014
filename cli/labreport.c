/* labreport: see labreport.h.
 *
 * The SVG is written by hand as plain text: a fixed canvas, one lane per
 * client, time mapped linearly onto the lanes' width. Colours follow one
 * rule everywhere (legend, ticks, table words): green wrote, red refused,
 * orange read-only, grey timeout, purple anything else. */
#include "cli/labreport.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/rclock.h"

static const char *const lab_client_names[LAB_NCLIENTS] = {
    "ttl", "cache-30s", "cache-forever", "pool", "sticky-address", "multi-host", "resolver-min-ttl",
    "rt-jvm", "rt-jvm-ttl", "rt-hikaricp", "rt-psycopg2", "rt-glibc", "rt-glibc-dnsmasq",
};

static const char *const lab_client_helps[LAB_NCLIENTS] = {
    "honours the TTL (c-ares), reconnects on error",
    "caches 30 s whatever the TTL (JVM default)",
    "caches forever (JVM with a security manager)",
    "pool of 4, a connection dropped only when it breaks",
    "reconnects on error to its last resolved address",
    "libpq host list, target_session_attrs=read-write",
    "behind a caching resolver (min TTL raised)",
    "real JVM + JDBC, default DNS cache (30 s)",
    "real JVM + JDBC, networkaddress.cache.ttl=5",
    "real HikariCP pool of 4 (cache.ttl=5)",
    "real psycopg2: getaddrinfo per connect",
    "real glibc getaddrinfo, no cache",
    "real glibc behind dnsmasq on the host",
};

/* The model each real runtime is set beside (docs/lab.md explains the
 * differences); the dnsmasq lane's is `ttl` unless --resolver-min-ttl
 * raised dnsmasq's minimum, which labreport cannot see: see the JSON's
 * ResolverMinTtl. */
static const int lab_client_models[LAB_NCLIENTS] = {
    -1, -1, -1, -1, -1, -1, -1,
    LAB_CACHE30, LAB_TTL, LAB_POOL, LAB_TTL, LAB_TTL, LAB_MINTTL,
};

static const char *const lab_outcome_names[LAB_NOUTCOMES] = {
    "ok", "refused", "read-only", "timeout", "other",
};

static const char *const lab_outcome_colours[LAB_NOUTCOMES] = {
    "#2e9e44", "#d62728", "#ff8c00", "#8c8c8c", "#9467bd",
};

const char *labreport_client_name(lab_client_kind k)
{
    return k >= 0 && k < LAB_NCLIENTS ? lab_client_names[k] : "?";
}

const char *labreport_client_help(lab_client_kind k)
{
    return k >= 0 && k < LAB_NCLIENTS ? lab_client_helps[k] : "?";
}

int labreport_client_model(lab_client_kind k)
{
    return k >= 0 && k < LAB_NCLIENTS ? lab_client_models[k] : -1;
}

const char *labreport_outcome_name(lab_outcome o)
{
    return o >= 0 && o < LAB_NOUTCOMES ? lab_outcome_names[o] : "?";
}

int64_t labreport_failover_ms(const lab_timeline *t)
{
    if (t->started_ms)
        return t->started_ms;
    if (t->reboot_ms)
        return t->reboot_ms;
    return t->dns_flip_ms;
}

int64_t labreport_fence_ms(const lab_attempt *a, size_t n, const lab_timeline *t)
{
    int64_t from = labreport_failover_ms(t);
    if (!from || !t->new_addr)
        return 0;
    int64_t fence = t->completed_ms;
    for (size_t i = 0; i < n; i++)
        if (a[i].outcome == LAB_OK && a[i].addr == t->new_addr && a[i].server_ms >= from &&
            (!fence || a[i].server_ms < fence))
            fence = a[i].server_ms;
    return fence;
}

/* Who was primary at server time ms: the old node before the fence, the
 * new one from it on. */
static uint32_t lab_primary_at(const lab_timeline *t, int64_t fence, int64_t ms)
{
    return fence && ms >= fence ? t->new_addr : t->old_addr;
}

static void lab_summarise_fenced(const lab_attempt *a, size_t n, lab_client_kind client,
                                 const lab_timeline *t, int64_t fence, lab_summary *out)
{
    memset(out, 0, sizeof *out);
    out->recovery_s = NAN;
    int64_t from = labreport_failover_ms(t);
    for (size_t i = 0; i < n; i++) {
        const lab_attempt *x = &a[i];
        if (x->client != client)
            continue;
        out->attempts++;
        if (!out->first_attempt_ms || x->start_ms < out->first_attempt_ms)
            out->first_attempt_ms = x->start_ms;
        if (x->outcome != LAB_OK) {
            if (x->outcome < LAB_NOUTCOMES)
                out->failed[x->outcome]++;
            if (out->recovered_ms && x->end_ms > out->recovered_ms)
                out->failed_after_recovery++;
            continue;
        }
        out->ok++;
        if (!out->first_ok_ms || x->end_ms < out->first_ok_ms)
            out->first_ok_ms = x->end_ms;
        if (x->addr != lab_primary_at(t, fence, x->server_ms))
            out->wrong_node++;
        if (!out->recovered_ms && from && t->new_addr && x->addr == t->new_addr &&
            x->end_ms >= from) {
            out->recovered_ms = x->end_ms;
            out->recovery_s = (double)(x->end_ms - from) / 1000.0;
        }
    }
}

void labreport_summarise(const lab_attempt *a, size_t n, lab_client_kind client,
                         const lab_timeline *t, lab_summary *out)
{
    lab_summarise_fenced(a, n, client, t, labreport_fence_ms(a, n, t), out);
}

bool labreport_all_recovered(const lab_attempt *a, size_t n, unsigned present,
                             const lab_timeline *t)
{
    if (!labreport_failover_ms(t) || !t->new_addr)
        return false;
    int64_t from = labreport_failover_ms(t);
    unsigned done = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i].outcome == LAB_OK && a[i].addr == t->new_addr && a[i].end_ms >= from &&
            a[i].client < LAB_NCLIENTS)
            done |= 1u << a[i].client;
    return (done & present) == present;
}

/* ----------------------------------------------------------------- table */

static void lab_fmt_addr(uint32_t addr, char *buf, size_t cap)
{
    struct in_addr ia = {.s_addr = addr};
    if (!addr || !inet_ntop(AF_INET, &ia, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
}

static double lab_rel_s(int64_t from, int64_t ms)
{
    return from && ms ? (double)(ms - from) / 1000.0 : NAN;
}

/* "+1.23 s" from the failover, or "-" when not seen. */
static void lab_fmt_rel(int64_t from, int64_t ms, char *buf, size_t cap)
{
    double v = lab_rel_s(from, ms);
    if (isnan(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%+.2f s", v);
}

void labreport_table(const lab_attempt *a, size_t n, unsigned present, const lab_timeline *t,
                     sbuf *out)
{
    int64_t fence = labreport_fence_ms(a, n, t);
    int64_t from = labreport_failover_ms(t);
    sbuf_printf(out, "%-17s %10s %8s %8s %9s %8s %6s %6s %10s\n", "client", "recovered",
                "writes", "refused", "read-only", "timeout", "other", "wrong", "fail-after");
    bool runtimes_said = false;
    for (int k = 0; k < LAB_NCLIENTS; k++) {
        if (!(present & (1u << k)))
            continue;
        if (k >= LAB_NMODELS && !runtimes_said) {
            sbuf_printf(out, "real runtimes on the clients' host (compare with their model):\n");
            runtimes_said = true;
        }
        lab_summary s;
        lab_summarise_fenced(a, n, (lab_client_kind)k, t, fence, &s);
        char rec[24];
        if (isnan(s.recovery_s))
            snprintf(rec, sizeof rec, "never");
        else
            snprintf(rec, sizeof rec, "%.2f s", s.recovery_s);
        sbuf_printf(out, "%-17s %10s %8lld %8lld %9lld %8lld %6lld %6lld %10lld",
                    labreport_client_name((lab_client_kind)k), rec, (long long)s.ok,
                    (long long)s.failed[LAB_REFUSED], (long long)s.failed[LAB_READONLY],
                    (long long)s.failed[LAB_TIMEOUT], (long long)s.failed[LAB_OTHER],
                    (long long)s.wrong_node, (long long)s.failed_after_recovery);
        int model = labreport_client_model((lab_client_kind)k);
        if (model >= 0)
            sbuf_printf(out, "  ~ %s", labreport_client_name((lab_client_kind)model));
        sbuf_puts(out, "\n");
    }
    char oa[16], na[16];
    lab_fmt_addr(t->old_addr, oa, sizeof oa);
    lab_fmt_addr(t->new_addr, na, sizeof na);
    sbuf_printf(out, "(recovered: seconds from the failover to the first write on the new "
                     "primary; wrong: writes acknowledged by a node that was not the primary; "
                     "fail-after: failures after recovering)\n");
    if (from) {
        char flip[16], done[16], back[16];
        lab_fmt_rel(from, t->dns_flip_ms, flip, sizeof flip);
        lab_fmt_rel(from, t->completed_ms, done, sizeof done);
        lab_fmt_rel(from, t->standby_back_ms, back, sizeof back);
        sbuf_printf(out, "failover %s -> %s; DNS flipped at %s, failover completed (0049) at %s, "
                         "old primary back as a standby (0053) at %s; endpoint TTL %d s\n",
                    oa, na, flip, done, back, t->dns_ttl);
    } else {
        sbuf_printf(out, "no failover happened during the run (primary %s)\n", oa);
    }
}

/* ------------------------------------------------------------------ JSON */

static void lab_json_time(cJSON *o, const char *key, int64_t ms)
{
    char buf[40];
    if (ms)
        cJSON_AddStringToObject(o, key, rclock_format(ms, buf, sizeof buf));
    else
        cJSON_AddNullToObject(o, key);
}

static void lab_json_secs(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, round(v * 1000.0) / 1000.0);
}

static void lab_json_addr(cJSON *o, const char *key, uint32_t addr)
{
    char buf[16];
    lab_fmt_addr(addr, buf, sizeof buf);
    if (addr)
        cJSON_AddStringToObject(o, key, buf);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *labreport_json(const char *instance, const char *endpoint, const lab_attempt *a, size_t n,
                      unsigned present, const lab_timeline *t, int negative_ttl)
{
    int64_t fence = labreport_fence_ms(a, n, t);
    int64_t from = labreport_failover_ms(t);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "DBInstanceIdentifier", instance);
    cJSON_AddStringToObject(root, "Endpoint", endpoint);
    cJSON_AddNumberToObject(root, "DnsTtl", t->dns_ttl);
    if (negative_ttl >= 0)
        cJSON_AddNumberToObject(root, "NegativeTtl", negative_ttl);
    else
        cJSON_AddNullToObject(root, "NegativeTtl");
    if (present & (1u << LAB_MINTTL))
        cJSON_AddNumberToObject(root, "ResolverMinTtl", t->min_ttl);
    else
        cJSON_AddNullToObject(root, "ResolverMinTtl");
    lab_json_time(root, "Start", t->start_ms);
    lab_json_time(root, "End", t->end_ms);
    cJSON *f = cJSON_AddObjectToObject(root, "Failover");
    cJSON_AddBoolToObject(f, "Happened", from != 0);
    cJSON_AddBoolToObject(f, "Forced", t->reboot_ms != 0);
    lab_json_addr(f, "OldPrimary", t->old_addr);
    lab_json_addr(f, "NewPrimary", t->new_addr);
    lab_json_time(f, "At", from);
    lab_json_time(f, "RebootReturned", t->reboot_ms);
    lab_json_time(f, "Started", t->started_ms);
    lab_json_time(f, "DnsFlipped", t->dns_flip_ms);
    lab_json_time(f, "Completed", t->completed_ms);
    lab_json_time(f, "StandbyBack", t->standby_back_ms);
    lab_json_secs(f, "DnsFlipSeconds", lab_rel_s(from, t->dns_flip_ms));
    lab_json_secs(f, "CompletedSeconds", lab_rel_s(from, t->completed_ms));
    lab_json_secs(f, "StandbyBackSeconds", lab_rel_s(from, t->standby_back_ms));
    lab_json_time(f, "Fence", fence);
    cJSON *list = cJSON_AddArrayToObject(root, "Clients");
    for (int k = 0; k < LAB_NCLIENTS; k++) {
        if (!(present & (1u << k)))
            continue;
        lab_summary s;
        lab_summarise_fenced(a, n, (lab_client_kind)k, t, fence, &s);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "Client", labreport_client_name((lab_client_kind)k));
        cJSON_AddStringToObject(c, "Behaviour", labreport_client_help((lab_client_kind)k));
        int model = labreport_client_model((lab_client_kind)k);
        cJSON_AddBoolToObject(c, "Runtime", k >= LAB_NMODELS);
        if (model >= 0)
            cJSON_AddStringToObject(c, "Model", labreport_client_name((lab_client_kind)model));
        else
            cJSON_AddNullToObject(c, "Model");
        cJSON_AddBoolToObject(c, "Recovered", s.recovered_ms != 0);
        lab_json_secs(c, "RecoverySeconds", s.recovery_s);
        cJSON_AddNumberToObject(c, "Attempts", (double)s.attempts);
        cJSON_AddNumberToObject(c, "Writes", (double)s.ok);
        cJSON *fail = cJSON_AddObjectToObject(c, "Failed");
        cJSON_AddNumberToObject(fail, "Refused", (double)s.failed[LAB_REFUSED]);
        cJSON_AddNumberToObject(fail, "ReadOnly", (double)s.failed[LAB_READONLY]);
        cJSON_AddNumberToObject(fail, "Timeout", (double)s.failed[LAB_TIMEOUT]);
        cJSON_AddNumberToObject(fail, "Other", (double)s.failed[LAB_OTHER]);
        cJSON_AddNumberToObject(c, "WrongNode", (double)s.wrong_node);
        cJSON_AddNumberToObject(c, "FailedAfterRecovery", (double)s.failed_after_recovery);
        /* When the client first tried and first wrote, from the failover
         * (negative: before it): a cache's age at the failover. */
        lab_json_secs(c, "FirstAttemptSeconds",
                      from && s.first_attempt_ms ? lab_rel_s(from, s.first_attempt_ms) : NAN);
        lab_json_secs(c, "FirstWriteSeconds",
                      from && s.first_ok_ms ? lab_rel_s(from, s.first_ok_ms) : NAN);
        cJSON_AddItemToArray(list, c);
    }
    return root;
}

/* ------------------------------------------------------------------- SVG */

#define SVG_W 1240
#define SVG_LEFT 330    /* lane labels */
#define SVG_RIGHT 190   /* verdicts */
#define SVG_TOP 124     /* title and landmark labels */
#define SVG_LANE 44
#define SVG_TICK 26
#define SVG_BOTTOM 92   /* axis and legend */

static void lab_svg_text(sbuf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sbuf_puts(out, "&amp;"); break;
        case '<': sbuf_puts(out, "&lt;"); break;
        case '>': sbuf_puts(out, "&gt;"); break;
        case '"': sbuf_puts(out, "&quot;"); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                sbuf_putc(out, *s);
        }
    }
}

typedef struct {
    int64_t t0, t1; /* the time span drawn */
    double x0, x1;  /* its pixels */
} lab_axis;

static double lab_x(const lab_axis *ax, int64_t ms)
{
    if (ax->t1 <= ax->t0)
        return ax->x0;
    double f = (double)(ms - ax->t0) / (double)(ax->t1 - ax->t0);
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return ax->x0 + f * (ax->x1 - ax->x0);
}

/* A vertical marker across the lanes with its label in one of the label
 * rows above them (rows keep close markers' labels apart). */
static void lab_svg_marker(sbuf *out, const lab_axis *ax, int64_t ms, int row, int lanes_bottom,
                           const char *colour, const char *dash, const char *label)
{
    if (!ms)
        return;
    double x = lab_x(ax, ms);
    int ly = SVG_TOP - 60 + row * 16;
    sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                     "stroke-width=\"2\"%s%s%s/>\n",
                x, ly + 4, x, lanes_bottom, colour, dash ? " stroke-dasharray=\"" : "",
                dash ? dash : "", dash ? "\"" : "");
    /* Labels right of the line, or left of it near the right edge. */
    bool left = x > ax->x1 - 260;
    sbuf_printf(out, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" font-size=\"12\" "
                     "font-weight=\"bold\" text-anchor=\"%s\">",
                left ? x - 5 : x + 5, ly, colour, left ? "end" : "start");
    lab_svg_text(out, label);
    sbuf_puts(out, "</text>\n");
}

void labreport_svg(const char *instance, const lab_attempt *a, size_t n, unsigned present,
                   const lab_timeline *t, sbuf *out)
{
    int lanes = 0;
    for (int k = 0; k < LAB_NCLIENTS; k++)
        lanes += (present >> k) & 1;
    int lanes_bottom = SVG_TOP + lanes * SVG_LANE;
    int height = lanes_bottom + SVG_BOTTOM;
    lab_axis ax = {.t0 = t->start_ms, .t1 = t->end_ms, .x0 = SVG_LEFT,
                   .x1 = SVG_W - SVG_RIGHT};
    for (size_t i = 0; i < n; i++) {
        if (!ax.t0 || a[i].end_ms < ax.t0)
            ax.t0 = a[i].end_ms;
        if (a[i].end_ms > ax.t1)
            ax.t1 = a[i].end_ms;
    }
    if (ax.t1 <= ax.t0)
        ax.t1 = ax.t0 + 1000;
    int64_t from = labreport_failover_ms(t);
    int64_t fence = labreport_fence_ms(a, n, t);

    sbuf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, "
                     "sans-serif\">\n",
                SVG_W, height, SVG_W, height);
    sbuf_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, height);
    sbuf_puts(out, "<text x=\"16\" y=\"24\" font-size=\"17\" font-weight=\"bold\" fill=\"#222\">"
                   "DNS caching lab: ");
    lab_svg_text(out, instance);
    char oa[16], na[16];
    lab_fmt_addr(t->old_addr, oa, sizeof oa);
    lab_fmt_addr(t->new_addr, na, sizeof na);
    sbuf_printf(out, "</text>\n<text x=\"16\" y=\"42\" font-size=\"12\" fill=\"#555\">"
                     "endpoint TTL %d s; primary %s", t->dns_ttl, oa);
    if (from)
        sbuf_printf(out, " then %s", na);
    sbuf_puts(out, "; one tick per write attempt, seconds from the failover below</text>\n");

    /* Lanes. */
    int lane = 0;
    for (int k = 0; k < LAB_NCLIENTS; k++) {
        if (!(present & (1u << k)))
            continue;
        int y = SVG_TOP + lane * SVG_LANE;
        sbuf_printf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", y,
                    SVG_W, SVG_LANE, lane % 2 ? "#ffffff" : "#f3f5f8");
        sbuf_printf(out, "<text x=\"16\" y=\"%d\" font-size=\"14\" font-weight=\"bold\" "
                         "fill=\"#222\">%s</text>\n", y + 19,
                    labreport_client_name((lab_client_kind)k));
        sbuf_printf(out, "<text x=\"16\" y=\"%d\" font-size=\"10.5\" fill=\"#666\">%s</text>\n",
                    y + 34, labreport_client_help((lab_client_kind)k));
        /* Ticks: failures first so that green stays visible on top. */
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < n; i++) {
                if (a[i].client != k || a[i].outcome >= LAB_NOUTCOMES ||
                    (pass == 0) != (a[i].outcome != LAB_OK))
                    continue;
                double x = lab_x(&ax, a[i].end_ms);
                bool wrong = a[i].outcome == LAB_OK &&
                             a[i].addr != lab_primary_at(t, fence, a[i].server_ms);
                sbuf_printf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"1.6\" height=\"%d\" "
                                 "fill=\"%s\"/>\n", x - 0.8, y + (SVG_LANE - SVG_TICK) / 2,
                            SVG_TICK, wrong ? "#000000" : lab_outcome_colours[a[i].outcome]);
            }
        }
        lab_summary s;
        lab_summarise_fenced(a, n, (lab_client_kind)k, t, fence, &s);
        int64_t fails = s.failed[LAB_REFUSED] + s.failed[LAB_READONLY] + s.failed[LAB_TIMEOUT] +
                        s.failed[LAB_OTHER];
        double vx = SVG_W - SVG_RIGHT + 12;
        if (!from) {
            sbuf_printf(out, "<text x=\"%.0f\" y=\"%d\" font-size=\"13\" fill=\"#555\">%lld "
                             "writes</text>\n", vx, y + 19, (long long)s.ok);
        } else if (!isnan(s.recovery_s)) {
            sbuf_printf(out, "<text x=\"%.0f\" y=\"%d\" font-size=\"14\" font-weight=\"bold\" "
                             "fill=\"#1f7a33\">back in %.1f s</text>\n", vx, y + 19, s.recovery_s);
        } else {
            sbuf_printf(out, "<text x=\"%.0f\" y=\"%d\" font-size=\"14\" font-weight=\"bold\" "
                             "fill=\"#c0392b\">never back</text>\n", vx, y + 19);
        }
        sbuf_printf(out, "<text x=\"%.0f\" y=\"%d\" font-size=\"10.5\" fill=\"#666\">%lld failed",
                    vx, y + 34, (long long)fails);
        if (s.failed_after_recovery)
            sbuf_printf(out, ", %lld after", (long long)s.failed_after_recovery);
        if (s.wrong_node)
            sbuf_printf(out, ", %lld wrong node", (long long)s.wrong_node);
        sbuf_puts(out, "</text>\n");
        lane++;
    }

    /* Axis: whole seconds from the failover (or from the start). */
    int64_t zero = from ? from : ax.t0;
    double span_s = (double)(ax.t1 - ax.t0) / 1000.0;
    int step = span_s <= 20 ? 2 : span_s <= 60 ? 5 : span_s <= 150 ? 10 : 30;
    sbuf_printf(out, "<line x1=\"%.0f\" y1=\"%d\" x2=\"%.0f\" y2=\"%d\" stroke=\"#444\"/>\n",
                ax.x0, lanes_bottom, ax.x1, lanes_bottom);
    int64_t first = (ax.t0 - zero) / 1000 / step * step;
    for (int64_t s = first; zero + s * 1000 <= ax.t1; s += step) {
        if (zero + s * 1000 < ax.t0)
            continue;
        double x = lab_x(&ax, zero + s * 1000);
        sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>\n"
                         "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#444\" "
                         "text-anchor=\"middle\">%s%lld s</text>\n",
                    x, lanes_bottom, x, lanes_bottom + 5, x, lanes_bottom + 18,
                    s > 0 && from ? "+" : "", (long long)s);
    }

    /* Landmarks, drawn over the ticks. */
    char label[96];
    if (from) {
        snprintf(label, sizeof label, "failover starts%s", t->started_ms ? " (RDS-EVENT-0013)"
                                                                         : "");
        lab_svg_marker(out, &ax, from, 0, lanes_bottom, "#b03a2e", NULL, label);
    }
    snprintf(label, sizeof label, "DNS now answers %s", na);
    lab_svg_marker(out, &ax, t->dns_flip_ms, 1, lanes_bottom, "#1f5fbf", NULL, label);
    snprintf(label, sizeof label, "old primary %s back read-only (0053)", oa);
    lab_svg_marker(out, &ax, t->standby_back_ms, 2, lanes_bottom, "#e67e00", "6,4", label);
    if (from && t->dns_ttl > 0 && t->dns_flip_ms) {
        /* Where a client honouring the TTL must have moved by. */
        snprintf(label, sizeof label, "DNS flip + TTL (%d s)", t->dns_ttl);
        lab_svg_marker(out, &ax, t->dns_flip_ms + (int64_t)t->dns_ttl * 1000, 3, lanes_bottom,
                       "#7f8c8d", "2,3", label);
    }

    /* Legend. */
    int ly = lanes_bottom + 46;
    double lx = SVG_LEFT;
    static const char *const legend[LAB_NOUTCOMES] = {
        "write acknowledged", "connection refused", "read-only (25006)", "timeout",
        "other error"};
    for (int o = 0; o < LAB_NOUTCOMES; o++) {
        sbuf_printf(out, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                         "<text x=\"%.0f\" y=\"%d\" font-size=\"12\" fill=\"#333\">%s</text>\n",
                    lx, ly - 10, lab_outcome_colours[o], lx + 17, ly, legend[o]);
        lx += 150;
    }
    sbuf_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\">a black tick would be "
                     "a write acknowledged by a node that was not the primary at that moment"
                     "</text>\n", SVG_LEFT, ly + 22);
    sbuf_puts(out, "</svg>\n");
}
