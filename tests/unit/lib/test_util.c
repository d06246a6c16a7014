/* Unit tests for lib/: util, rclock, fsutil. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/rclock.h"
#include "lib/tap.h"
#include "lib/util.h"

int main(void)
{
    sbuf b = {0};
    sbuf_puts(&b, "a");
    sbuf_printf(&b, "%d-%s", 42, "x");
    is_str(b.data, "a42-x", "sbuf appends and formats");
    char *s = sbuf_take(&b);
    ok(b.data == NULL && b.len == 0, "sbuf_take empties the buffer");
    free(s);

    int64_t v;
    ok(str_to_int64("35", 0, 35, &v) && v == 35, "int in range");
    ok(!str_to_int64("36", 0, 35, &v), "int above range refused");
    ok(!str_to_int64("1x", 0, 35, &v), "trailing garbage refused");
    ok(!str_to_int64("", 0, 35, &v), "empty refused");
    ok(!str_to_int64(" 1", 0, 35, &v), "leading space refused");

    /* every_due: the cron's once-a-second work (issue 18). */
    int64_t last = 0;
    ok(every_due(&last, 5000, 1000) && last == 5000, "every_due: never ran, due now");
    ok(!every_due(&last, 5999, 1000) && last == 5000, "every_due: within the period, not due");
    ok(every_due(&last, 6000, 1000) && last == 6000, "every_due: a period later, due");
    ok(!every_due(&last, 6000, 1000), "every_due: due once per period, not twice");
    ok(every_due(&last, 9500, 1000) && last == 9500,
       "every_due: late, due once and counted from now");
    ok(!every_due(&last, 10000, 1000), "every_due: ... not again until a period after that");

    char buf[32];
    is_str(rclock_format(1790000000123, buf, sizeof buf), "2026-09-21T14:13:20.123Z",
           "time formats as ISO 8601 with ms");
    int64_t ms;
    ok(rclock_parse("2026-09-21T14:13:20.123Z", &ms) && ms == 1790000000123, "time round-trips");
    ok(rclock_parse("2026-09-21T14:13:20Z", &ms) && ms == 1790000000000, "time without ms");
    ok(!rclock_parse("2026-13-21T14:13:20Z", &ms), "month 13 refused");
    ok(!rclock_parse("yesterday", &ms), "words refused");

    char dir[] = "/tmp/rdsim-test-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *sub = xasprintf("%s/a/b/c", dir);
    ok(fs_mkdir_p(sub, 0755) && fs_exists(sub), "mkdir -p");
    char *f = xasprintf("%s/file", sub);
    ok(fs_write_atomic(f, "hello", 5, 0600), "atomic write");
    size_t len;
    char *got = fs_read_all(f, 100, &len);
    is_str(got, "hello", "read back");
    free(got);
    ok(fs_read_all(f, 2, &len) == NULL, "read refuses over max");
    ok(fs_rm_rf(dir) && !fs_exists(dir), "rm -rf");
    ok(fs_rm_rf(dir), "rm -rf of a missing path succeeds");
    free(sub);
    free(f);
    return done_testing();
}
