/* Unit tests for agent/pgcounters: the /proc/<pid>/stat and /proc/<pid>/io
 * parsers (fixture text), and one real reading of this process. */
#include <cjson/cJSON.h>
#include <string.h>
#include <unistd.h>

#include "agent/pgcounters.h"
#include "lib/tap.h"

int main(void)
{
    pgc_stat st;
    const char *stat = "4242 (postgres: app db 127.0.0.1(5) idle) S 100 4242 4242 0 -1 4194560 "
                       "500 0 0 0 70 30 12 8 20 0 1 0 1000 200000000 3000 18446744073709551615";
    ok(pgc_parse_stat(stat, &st) && st.pid == 4242 && st.ppid == 100 && st.ticks == 100 &&
           st.child_ticks == 20 && st.rss_pages == 3000,
       "stat: a command with spaces and parentheses; utime+stime, cutime+cstime, rss");
    ok(!pgc_parse_stat("4242 (trunc) S 1 2", &st), "stat: a truncated line is refused");
    ok(!pgc_parse_stat("no parenthesis", &st), "stat: no command is refused");
    pgc_io io;
    const char *iot = "rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\n"
                      "write_bytes: 8192\ncancelled_write_bytes: 777\n";
    ok(pgc_parse_io(iot, &io) && io.rbytes == 4096 && io.wbytes == 8192 && io.syscr == 3 &&
           io.syscw == 4,
       "io: the block-layer bytes and the system calls (not cancelled_write_bytes)");
    ok(!pgc_parse_io("rchar: 1\n", &io), "io: missing fields are refused");
    cJSON *o = pgc_read(getpid());
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "ticks");
    const cJSON *hz = cJSON_GetObjectItemCaseSensitive(o, "hz");
    ok(cJSON_IsNumber(t) && cJSON_IsNumber(hz) && hz->valuedouble > 0,
       "a real reading of this process has ticks and hz");
    cJSON_Delete(o);
    ok(pgc_read(0) == NULL, "no postmaster: NULL");
    return done_testing();
}
