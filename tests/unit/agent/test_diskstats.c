/* Unit tests for agent/diskstats: the /proc/diskstats parser (fixture text,
 * malformed and hostile lines) and one real reading. */
#include <cjson/cJSON.h>
#include <string.h>

#include "agent/diskstats.h"
#include "lib/tap.h"

int main(void)
{
    const char *t = "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                    " 254       0 vda 422193 75207 39480058 1356022 12976100 2856631 "
                    "1534613688 5746772 0 1331592 7783624 2258621 85 1132039848 373483 5215845 "
                    "307345\n"
                    " 254       1 vda1 10 0 80 7 20 0 160 9 0 5 16\n"
                    " 254       2 vda2 1 2\n";
    dsk_counters c;
    ok(dsk_parse(t, "vda", &c) && c.rd_ios == 422193 && c.rd_ms == 1356022 &&
           c.wr_ios == 12976100 && c.wr_ms == 5746772 && c.wtd_ms == 7783624,
       "a whole disk with the discard and flush fields: reads, writes, weighted ms");
    ok(dsk_parse(t, "vda1", &c) && c.rd_ios == 10 && c.rd_ms == 7 && c.wr_ios == 20 &&
           c.wr_ms == 9 && c.wtd_ms == 16,
       "a partition with the 11 original fields; 'vda' does not match 'vda1'");
    ok(!dsk_parse(t, "vda2", &c), "a truncated line is refused");
    ok(!dsk_parse(t, "sdz", &c), "an absent device is refused");
    ok(!dsk_parse(t, "", &c) && !dsk_parse(NULL, "vda", &c), "no name, no text: refused");
    ok(!dsk_parse(" 1 2 x -5 a b c d e f g h i j\n", "x", &c), "non-numeric fields are refused");
    char name[64];
    ok(!dsk_device("/nonexistent/path", name, sizeof name), "no such path: no device");
    cJSON *o = dsk_read("/");
    /* A root on overlay or tmpfs has no diskstats line: then NULL is right. */
    char dev[64];
    bool has = dsk_device("/", dev, sizeof dev);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rd_ios");
    ok(has ? cJSON_IsNumber(r) : o == NULL,
       "a real reading of /: numeric when / is on a block device, none otherwise");
    cJSON_Delete(o);
    return done_testing();
}
