/* test_wire: the bounds-checked cursor, the name codec (including hostile
 * compression) and the bounded writer with compression. */
#include "dns/wire.h"
#include "lib/tap.h"

#include <stdint.h>
#include <string.h>

static void test_cursor(void)
{
    static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    wire_cursor c;
    wire_cursor_init(&c, b, sizeof b);
    uint8_t v8 = 0;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    ok(wire_read_u8(&c, &v8) && v8 == 0x01, "cursor: u8");
    ok(wire_read_u16(&c, &v16) && v16 == 0x0203, "cursor: u16 network order");
    ok(wire_read_u32(&c, &v32) && v32 == 0x04050607, "cursor: u32 network order");
    is_int(wire_cursor_left(&c), 0, "cursor: nothing left");
    ok(!wire_read_u8(&c, &v8), "cursor: u8 past the end fails");
    wire_cursor_init(&c, b, 3);
    ok(!wire_read_u32(&c, &v32), "cursor: u32 with 3 bytes fails");
    is_int(c.pos, 0, "cursor: failed read leaves the position");
    ok(!wire_skip(&c, 4), "cursor: skip past the end fails");
    ok(wire_skip(&c, 3), "cursor: skip to the end");
    wire_cursor_init(&c, b, 11);
    wire_header h;
    ok(!wire_read_header(&c, &h), "cursor: 11-byte header fails");
}

/* One name-decoding case: bytes, where the name starts, the expected
 * result and, on success, the decoded text and the cursor after. */
typedef struct {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    size_t start;
    bool ok;
    const char *text;
    size_t end;
} name_case;

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_read_name(void)
{
    /* A descending pointer chain (c-ares #1164): the root at 0, and at
     * 2i a pointer to 2(i-1); from the last pointer, 200 hops. */
    static uint8_t chain[2 + 2 * 200];
    for (size_t i = 1; i <= 200; i++) {
        chain[2 * i] = (uint8_t)(0xC0 | ((2 * (i - 1)) >> 8));
        chain[2 * i + 1] = (uint8_t)(2 * (i - 1));
    }
    static uint8_t chain_ok[2 + 2 * 10];
    memcpy(chain_ok, chain, sizeof chain_ok);

    static uint8_t long_name[300];
    size_t n = 0;
    for (int i = 0; i < 4; i++) { /* 4 * 64 = 256 octets + root: too long */
        long_name[n++] = 63;
        memset(long_name + n, 'a', 63);
        n += 63;
    }
    long_name[n++] = 0;
    static uint8_t max_name[300]; /* 3*64 + 62 + root = 255: the maximum */
    size_t m = 0;
    for (int i = 0; i < 3; i++) {
        max_name[m++] = 63;
        memset(max_name + m, 'b', 63);
        m += 63;
    }
    max_name[m++] = 61;
    memset(max_name + m, 'c', 61);
    m += 61;
    max_name[m++] = 0;

    /* An over-long name assembled from short pieces behind pointers. */
    static uint8_t ptr_long[300];
    size_t p = 0;
    ptr_long[p++] = 63;
    memset(ptr_long + p, 'x', 63);
    p += 63;
    ptr_long[p++] = 0; /* offset 0: x63 */
    size_t second = p;
    ptr_long[p++] = 63;
    memset(ptr_long + p, 'y', 63);
    p += 63;
    ptr_long[p++] = 0xC0;
    ptr_long[p++] = 0; /* offset 65: y63 -> x63 */
    size_t third = p;
    ptr_long[p++] = 63;
    memset(ptr_long + p, 'z', 63);
    p += 63;
    ptr_long[p++] = 0xC0;
    ptr_long[p++] = (uint8_t)second; /* z63 -> y63 -> x63 = 193 octets */
    size_t fourth = p;
    ptr_long[p++] = 63;
    memset(ptr_long + p, 'w', 63);
    p += 63;
    ptr_long[p++] = 0xC0;
    ptr_long[p++] = (uint8_t)third; /* w63 -> ... = 257 octets: too long */

    const name_case cases[] = {
        {"plain name", B(3, 'w', 'w', 'w', 2, 'e', 'x', 0), 0, true, "www.ex", 8},
        {"root", B(0), 0, true, "", 1},
        {"case kept", B(2, 'A', 'b', 0), 0, true, "Ab", 4},
        {"backward pointer", B(2, 'e', 'x', 0, 1, 'a', 0xC0, 0x00), 4, true, "a.ex", 8},
        {"pointer to pointer", B(2, 'e', 'x', 0, 0xC0, 0x00, 1, 'b', 0xC0, 0x04), 6, true, "b.ex",
         10},
        {"self pointer loop", B(0xC0, 0x00), 0, false, NULL, 0},
        {"self pointer at 12", B(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C), 12, false, NULL,
         0},
        {"mutual pointers", B(0xC0, 0x02, 0xC0, 0x00), 2, false, NULL, 0},
        {"forward pointer", B(0xC0, 0x02, 1, 'a', 0), 0, false, NULL, 0},
        {"pointer past end", B(1, 'a', 0xC0, 0x40), 0, false, NULL, 0},
        {"truncated pointer", B(1, 'a', 0xC0), 0, false, NULL, 0},
        {"truncated label", B(5, 'a', 'b'), 0, false, NULL, 0},
        {"missing root", B(1, 'a'), 0, false, NULL, 0},
        {"empty input", (const uint8_t *)"", 0, 0, false, NULL, 0},
        {"0x40 label type", B(0x41, 'a', 0), 0, false, NULL, 0},
        {"0x80 label type", B(0x81, 'a', 0), 0, false, NULL, 0},
        {"256-octet name", long_name, n, 0, false, NULL, 0},
        {"255-octet name", max_name, m, 0, true, NULL, 255},
        {"over-long via pointers", ptr_long, p, fourth, false, NULL, 0},
        {"193 octets via pointers", ptr_long, fourth, third, true, NULL, fourth},
        {"10-hop chain", chain_ok, sizeof chain_ok, sizeof chain_ok - 2, true, "",
         sizeof chain_ok},
        {"200-hop chain", chain, sizeof chain, sizeof chain - 2, false, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const name_case *tc = &cases[i];
        wire_cursor c;
        wire_cursor_init(&c, tc->bytes, tc->len);
        c.pos = tc->start;
        uint8_t out[WIRE_NAME_MAX];
        size_t olen = 0;
        bool got = wire_read_name(&c, out, &olen);
        char label[128];
        snprintf(label, sizeof label, "read_name: %s", tc->name);
        is_int(got, tc->ok, label);
        if (!got) {
            ok(c.pos == tc->start, "read_name: failure leaves the cursor");
            continue;
        }
        is_int(c.pos, tc->end, "read_name: cursor after the name");
        if (tc->text) {
            char text[1024];
            ok(wire_name_to_text(out, olen, text, sizeof text), "read_name: decodes to text");
            is_str(text, tc->text, "read_name: text");
        }
    }
}

static void test_text(void)
{
    static const struct {
        const char *in;
        bool ok;
        const char *out;
    } cases[] = {
        {"db.Example.INTERNAL", true, "db.example.internal"},
        {"db.example.internal.", true, "db.example.internal"},
        {"", true, ""},
        {".", true, ""},
        {"a..b", false, NULL},
        {".a", false, NULL},
        {"a..", false, NULL},
        {"a b", false, NULL},
        {"a\\.b", false, NULL},
        {"under_score-ok.x", true, "under_score-ok.x"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", true,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", false, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t w[WIRE_NAME_MAX];
        size_t len;
        char label[160];
        snprintf(label, sizeof label, "from_text: \"%.40s\"", cases[i].in);
        bool got = wire_name_from_text(cases[i].in, w, &len);
        is_int(got, cases[i].ok, label);
        if (got && cases[i].out) {
            char text[300];
            ok(wire_name_to_text(w, len, text, sizeof text), "to_text succeeds");
            is_str(text, cases[i].out, "to_text round trip");
        }
    }
    /* 127 labels of one char = 254 octets + root = 255: fits; 128 does not. */
    char big[300];
    size_t o = 0;
    for (int i = 0; i < 127; i++) {
        big[o++] = 'a';
        big[o++] = '.';
    }
    big[o - 1] = '\0';
    uint8_t w[WIRE_NAME_MAX];
    size_t len;
    ok(wire_name_from_text(big, w, &len) && len == 255, "from_text: 255 octets accepted");
    big[o - 1] = '.';
    big[o] = 'b';
    big[o + 1] = '\0';
    ok(!wire_name_from_text(big, w, &len), "from_text: 257 octets rejected");

    static const uint8_t odd[] = {3, 'a', '.', 0xFF, 0};
    char text[64];
    ok(wire_name_to_text(odd, sizeof odd, text, sizeof text), "to_text: odd bytes");
    is_str(text, "a\\046\\255", "to_text: escapes . and 0xFF");
    ok(!wire_name_to_text(odd, sizeof odd, text, 5), "to_text: too small a buffer fails");
}

static void test_name_in(void)
{
    static const struct {
        const char *name, *apex;
        bool in;
    } cases[] = {
        {"a.example.internal", "example.internal", true},
        {"example.internal", "example.internal", true},
        {"x.y.example.internal", "example.internal", true},
        {"badexample.internal", "example.internal", false},
        {"internal", "example.internal", false},
        {"example.com", "example.internal", false},
        {"anything", "", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t n[WIRE_NAME_MAX], a[WIRE_NAME_MAX];
        size_t nl, al;
        wire_name_from_text(cases[i].name, n, &nl);
        wire_name_from_text(cases[i].apex, a, &al);
        char label[160];
        snprintf(label, sizeof label, "name_in: %s in \"%s\"", cases[i].name, cases[i].apex);
        is_int(wire_name_in(n, nl, a, al), cases[i].in, label);
    }
    static const uint8_t upper[] = {1, 'A', 7, 'E', 'X', 'A', 'M', 'P', 'L', 'E', 0};
    uint8_t a[WIRE_NAME_MAX];
    size_t al;
    wire_name_from_text("example", a, &al);
    ok(wire_name_in(upper, sizeof upper, a, al), "name_in: case-insensitive");
}

static void test_writer(void)
{
    uint8_t buf[64];
    wire_writer w;
    wire_writer_init(&w, buf, sizeof buf);
    uint8_t n1[WIRE_NAME_MAX], n2[WIRE_NAME_MAX];
    size_t l1, l2;
    wire_name_from_text("www.example.internal", n1, &l1);
    wire_name_from_text("db.EXAMPLE.internal", n2, &l2);
    n2[4] = 'E'; /* mixed case must still compress */
    ok(wire_put_name(&w, n1, l1, true), "writer: first name");
    is_int(w.pos, l1, "writer: first name uncompressed");
    ok(wire_put_name(&w, n2, l2, true), "writer: second name");
    is_int(w.pos, l1 + 3 + 2, "writer: second name is a label and a pointer");
    ok(buf[l1 + 3] == 0xC0 && buf[l1 + 4] == 4, "writer: pointer to example.internal at 4");
    ok(wire_put_name(&w, n1, l1, true), "writer: repeated name");
    is_int(w.pos, l1 + 5 + 2, "writer: repeated name is one pointer");

    /* Decode what was written: compression must read back. */
    wire_cursor c;
    wire_cursor_init(&c, buf, w.pos);
    c.pos = l1;
    uint8_t out[WIRE_NAME_MAX];
    size_t olen;
    char text[300];
    ok(wire_read_name(&c, out, &olen) && wire_name_to_text(out, olen, text, sizeof text),
       "writer: compressed name decodes");
    is_str(text, "db.example.internal", "writer: the suffix reads back from the first name");

    wire_mark m = wire_writer_mark(&w);
    ok(!wire_put_bytes(&w, buf, 64), "writer: overflow fails");
    ok(w.overflow, "writer: overflow is sticky");
    ok(!wire_put_u8(&w, 1), "writer: later small write fails too");
    wire_writer_rollback(&w, m);
    ok(!w.overflow && w.pos == m.pos, "writer: rollback clears overflow");
    ok(wire_put_u16(&w, 0xABCD) && buf[m.pos] == 0xAB, "writer: u16 after rollback");
    wire_patch_u16(&w, m.pos, 0x1234);
    ok(buf[m.pos] == 0x12 && buf[m.pos + 1] == 0x34, "writer: patch");

    uint8_t small[10];
    wire_writer_init(&w, small, sizeof small);
    ok(!wire_put_name(&w, n1, l1, true), "writer: name longer than the limit fails");
    is_int(w.ncomp, 0, "writer: failed name leaves no compression entries");
}

int main(void)
{
    test_cursor();
    test_read_name();
    test_text();
    test_name_in();
    test_writer();
    return done_testing();
}
