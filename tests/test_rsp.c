// The RSP packet layer, without any I/O: framing, escapes, run-length
// encoding, chunked input, errors, and the reply parsers.
//
// Checksums here were worked out by hand (the sum of the payload bytes
// as sent, modulo 256), so they also test rsp_checksum.

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "rsp.h"

static struct rsp_dec dec;  // about 16 KB: not on the stack

// Feed s to dec and return the first event's kind, payload in *out.
static enum rsp_ev one(const char *s, size_t n, char *out, size_t max,
                       size_t *used) {
  struct rsp_event ev;
  *used = rsp_dec_feed(&dec, s, n, &ev);
  if (ev.kind == RSP_EV_PACKET)
    snprintf(out, max, "%.*s", (int)ev.len, ev.data);
  return ev.kind;
}

// Decode a whole frame (a string literal: it may hold NULs) that must
// give exactly this payload.
#define expect_packet(frame, want, want_len)                                   \
  expect_packet_(frame, sizeof(frame) - 1, want, want_len)
static void expect_packet_(const char *frame, size_t n, const char *want,
                           size_t want_len) {
  char got[256] = "";
  size_t used;
  rsp_dec_init(&dec, 0);
  struct rsp_event ev;
  used = rsp_dec_feed(&dec, frame, n, &ev);
  CHECK(ev.kind == RSP_EV_PACKET, "%s: event %d, not a packet", frame, ev.kind);
  if (ev.kind != RSP_EV_PACKET)
    return;
  memcpy(got, ev.data, ev.len < sizeof got ? ev.len : sizeof got - 1);
  CHECK(ev.len == want_len && memcmp(ev.data, want, want_len) == 0,
        "%s: got %zu bytes '%s', want '%s'", frame, ev.len, got, want);
  CHECK(used == n, "%s: used %zu of %zu", frame, used, n);
}

TEST(rsp_encode_and_checksum) {
  char out[64];
  CHECK(rsp_checksum("OK", 2) == 0x9a, "checksum of OK: %#x",
        rsp_checksum("OK", 2));
  size_t n = rsp_encode("OK", 2, out, sizeof out);
  CHECK(n == 6 && strcmp(out, "$OK#9a") == 0, "OK framed as %s (%zu)", out, n);
  n = rsp_encode("", 0, out, sizeof out);
  CHECK(n == 4 && strcmp(out, "$#00") == 0, "empty framed as %s", out);
  // '$' '#' '}' '*' become '}' and the byte xor 0x20; the checksum covers
  // the escaped bytes: 61 7d 04 62 7d 03 63 7d 5d 64 7d 0a sum to 0x3ec.
  n = rsp_encode("a$b#c}d*", 8, out, sizeof out);
  CHECK(n == 16 && memcmp(out,
                          "$a}\x04"
                          "b}\x03"
                          "c}]d}\x0a#ec",
                          17) == 0,
        "escapes framed wrong (%zu bytes)", n);
  // Too small: never a partial frame.
  CHECK(rsp_encode("OK", 2, out, 6) == 0, "fit OK in 6 bytes (needs 7)");
  CHECK(rsp_encode("OK", 2, out, 7) == 6, "OK in 7 bytes");
  CHECK(rsp_encode("}}", 2, out, 8) == 0, "two escapes in 8 bytes");
  // 7d+5d+7d+5d = 0x1b4
  CHECK(rsp_encode("}}", 2, out, 9) == 8 && strcmp(out, "$}]}]#b4") == 0,
        "two escapes in 9 bytes: %s", out);
}

TEST(rsp_decode_basic) {
  expect_packet("$OK#9a", "OK", 2);
  expect_packet("$OK#9A", "OK", 2);  // uppercase digits are fine too
  expect_packet("$#00", "", 0);
  expect_packet("$}]#da", "}", 1);  // 7d 5d: an escaped '}'
  expect_packet("$a}\x04"
                "b}\x03"
                "c}]d}\x0a#ec",
                "a$b#c}d*", 8);
  // Binary data: a NUL and 0x03 inside a packet are payload, not signals.
  expect_packet("$a\0\x03#64", "a\0\x03", 3);
}

TEST(rsp_decode_rle) {
  // "0* " is '0' and 32 - 29 = 3 more: "0000". 30+2a+20 = 0x7a.
  expect_packet("$0* #7a", "0000", 4);
  // '"' (34) gives 5 more: six in all. 61+2a+22 = 0xad.
  expect_packet("$a*\"#ad", "aaaaaa", 6);
  // An escaped byte can be repeated: "}]*!" is '}' then 4 more.
  // 7d+5d+2a+21 = 0x125.
  expect_packet("$}]*!#25", "}}}}}", 5);
  // As QEMU compresses a zero register in a `g` reply: 16 '0's are
  // "0*+" (43 - 29 = 14 more, so 15) plus one more '0'. 30+2a+2b+30 = 0xb5.
  expect_packet("$0*+0#b5", "0000000000000000", 16);
  // A count with nothing before it is malformed.
  size_t used;
  char got[64];
  rsp_dec_init(&dec, 0);
  CHECK(one("$*!#4b", 6, got, sizeof got, &used) == RSP_EV_BADRLE,
        "leading '*' accepted");
  // A count that is not printable is malformed. 61+2a+7f = 0x10a.
  rsp_dec_init(&dec, 0);
  CHECK(one("$a*\x7f#0a", 7, got, sizeof got, &used) == RSP_EV_BADRLE,
        "count 0x7f accepted");
}

// Feed s one byte at a time and list the events as letters.
static void events_bytewise(const char *s, size_t n, size_t max, char *log,
                            size_t logmax, char *last, size_t lastmax) {
  size_t k = 0;
  rsp_dec_init(&dec, max);
  for (size_t i = 0; i < n;) {
    struct rsp_event ev;
    size_t used = rsp_dec_feed(&dec, s + i, 1, &ev);
    i += used;
    if (ev.kind == RSP_EV_NONE)
      continue;
    if (k + 1 < logmax)
      log[k++] = "-PA-ISLR"[ev.kind == RSP_EV_NAK ? 3 : ev.kind];
    if (ev.kind == RSP_EV_NAK)
      log[k - 1] = 'N';
    if (ev.kind == RSP_EV_PACKET)
      snprintf(last, lastmax, "%.*s", (int)ev.len, ev.data);
  }
  log[k] = 0;
}

TEST(rsp_decode_stream_bytewise) {
  // Acks, an interrupt, noise between packets, a packet abandoned halfway
  // by a new '$', a bad checksum, then a good packet.
  static const char s[] = "xx+$OK#9a-\x03noise$abc$S05#b8$OK#00+$T05#b9";
  char log[32], last[64] = "";
  events_bytewise(s, sizeof s - 1, 0, log, sizeof log, last, sizeof last);
  // A = ack, P = packet, N = nak, I = interrupt, S = bad checksum
  CHECK(strcmp(log, "APNIPSAP") == 0, "events %s", log);
  CHECK(strcmp(last, "T05") == 0, "last packet %s", last);
  CHECK(dec.junk > 0, "noise not counted");
}

TEST(rsp_decode_bad_checksum) {
  struct rsp_event ev;
  rsp_dec_init(&dec, 0);
  size_t used = rsp_dec_feed(&dec, "$OK#00", 6, &ev);
  CHECK(ev.kind == RSP_EV_BADSUM && ev.sum_got == 0 && ev.sum_want == 0x9a &&
            used == 6,
        "kind %d got %#x want %#x", ev.kind, ev.sum_got, ev.sum_want);
  // Not hex: bad too, and the byte is looked at again as a new start.
  static const char twice[] = "$OK#9$OK#9a";
  rsp_dec_init(&dec, 0);
  used = rsp_dec_feed(&dec, twice, 11, &ev);
  CHECK(ev.kind == RSP_EV_BADSUM && used == 5, "kind %d used %zu", ev.kind,
        used);
  used += rsp_dec_feed(&dec, &twice[used], 11 - used, &ev);
  CHECK(ev.kind == RSP_EV_PACKET && used == 11, "resent packet lost");
}

TEST(rsp_decode_overlong) {
  char frame[64], log[8], last[32] = "";
  struct rsp_event ev;
  // Max 8: eight bytes pass, nine do not, and the stream stays in step.
  rsp_dec_init(&dec, 8);
  size_t n = rsp_encode("12345678", 8, frame, sizeof frame);
  rsp_dec_feed(&dec, frame, n, &ev);
  CHECK(ev.kind == RSP_EV_PACKET && ev.len == 8, "8 bytes: kind %d", ev.kind);
  n = rsp_encode("123456789", 9, frame, sizeof frame);
  n += rsp_encode("OK", 2, frame + n, sizeof frame - n);
  events_bytewise(frame, n, 8, log, sizeof log, last, sizeof last);
  CHECK(strcmp(log, "LP") == 0 && strcmp(last, "OK") == 0,
        "9 bytes then OK: %s %s", log, last);
  // Run-length expansion past the maximum: "a*~" is 98 bytes.
  // 61+2a+7e = 0x109.
  events_bytewise("$a*~#09$OK#9a", 13, 8, log, sizeof log, last, sizeof last);
  CHECK(strcmp(log, "LP") == 0, "RLE past max: %s", log);
  // The decoder's hard limit holds whatever max is asked for.
  rsp_dec_init(&dec, RSP_BUF_MAX + 100);
  CHECK(dec.max == RSP_BUF_MAX, "max %zu", dec.max);
}

TEST(rsp_hex) {
  char out[40];
  unsigned char b[8];
  rsp_hex_encode("\x01\xab\xff", 3, out);
  CHECK(strcmp(out, "01abff") == 0, "hex %s", out);
  CHECK(rsp_hex_decode("01ABff", 6, b, sizeof b) == 3 && b[0] == 1 &&
            b[1] == 0xab && b[2] == 0xff,
        "decode 01ABff");
  CHECK(rsp_hex_decode("123", 3, b, sizeof b) == -1, "odd length accepted");
  CHECK(rsp_hex_decode("zz", 2, b, sizeof b) == -1, "non-hex accepted");
  CHECK(rsp_hex_decode("0102", 4, b, 1) == -1, "overflow accepted");
  uint64_t v = 0;
  // As QEMU answered `p20` (pc) and `p642` (hstatus) on this stage.
  CHECK(rsp_hex_le64("0010000000000000", 16, &v) == 0 && v == 0x1000,
        "pc %#llx", (unsigned long long)v);
  CHECK(rsp_hex_le64("0000000002000000", 16, &v) == 0 && v == 0x200000000ull,
        "hstatus %#llx", (unsigned long long)v);
  CHECK(rsp_hex_le64("3412", 4, &v) == 0 && v == 0x1234, "16-bit %#llx",
        (unsigned long long)v);
  CHECK(rsp_hex_le64("000000000000000000", 18, &v) == -1, "72 bits accepted");
  CHECK(rsp_hex_le64("", 0, &v) == -1, "empty accepted");
  rsp_le64_hex(0x80200030, 8, out);
  CHECK(strcmp(out, "3000208000000000") == 0, "le64 %s", out);
  rsp_le64_hex(0x1234, 2, out);
  CHECK(strcmp(out, "3412") == 0, "le16 %s", out);
}

TEST(rsp_error_replies) {
  CHECK(rsp_parse_errno("E14", 3) == 0x14, "E14");
  CHECK(rsp_parse_errno("E01", 3) == 1, "E01");
  CHECK(rsp_parse_errno("Eff", 3) == 0xff, "Eff");
  CHECK(rsp_parse_errno("OK", 2) == -1, "OK");
  CHECK(rsp_parse_errno("E1", 2) == -1, "E1");
  CHECK(rsp_parse_errno("E1g", 3) == -1, "E1g");
  CHECK(rsp_parse_errno("e14", 3) == -1, "e14");
  CHECK(rsp_parse_errno("E141", 4) == -1, "E141");
}

static struct rsp_stop st;

static int stop(const char *s) { return rsp_parse_stop(s, strlen(s), &st); }

TEST(rsp_stop_replies) {
  CHECK(stop("S05") == 0 && st.kind == 'S' && st.sig == 5, "S05");
  // QEMU 7.2 in multiprocess mode, on a breakpoint (no swbreak reason).
  CHECK(stop("T05thread:p01.01;") == 0 && st.kind == 'T' && st.sig == 5 &&
            strcmp(st.thread, "p01.01") == 0 && st.reason[0] == 0 &&
            st.nregs == 0,
        "T05: thread '%s'", st.thread);
  CHECK(stop("T02thread:p01.01;") == 0 && st.sig == 2, "T02 (interrupted)");
  CHECK(stop("T0520:3017208000000000;thread:1;core:0;swbreak:;") == 0 &&
            st.nregs == 1 && st.regs[0].num == 0x20 &&
            st.regs[0].val == 0x80201730 && strcmp(st.reason, "swbreak") == 0 &&
            strcmp(st.thread, "1") == 0,
        "T with pc: nregs %d reason '%s'", st.nregs, st.reason);
  CHECK(stop("T05watch:80001000;") == 0 && strcmp(st.reason, "watch") == 0 &&
            st.addr == 0x80001000,
        "watch at %#llx", (unsigned long long)st.addr);
  CHECK(stop("W00") == 0 && st.kind == 'W' && st.sig == 0, "W00");
  CHECK(stop("W01;process:1") == 0 && st.kind == 'W' && st.sig == 1, "W01");
  CHECK(stop("X09") == 0 && st.kind == 'X' && st.sig == 9, "X09");
  CHECK(stop("O48690a") == 0 && st.kind == 'O' && st.textlen == 3 &&
            strcmp(st.text, "Hi\n") == 0,
        "O: '%s'", st.text);
  CHECK(stop("OK") == -1, "OK taken for output");
  CHECK(stop("") == -1, "empty taken for a stop");
  CHECK(stop("E14") == -1, "E14 taken for a stop");
  CHECK(stop("S") == -1, "S without a signal");
  CHECK(stop("S05x") == -1, "S05x");
  CHECK(stop("T05thread") == -1, "T pair without ':'");
}

// What QEMU 7.2's target description looks like, in miniature: registers
// numbered by position across includes, then by regnum= for the CSRs.
static const char *docs[][2] = {
    {"target.xml", "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM "
                   "\"gdb-target.dtd\"><target><architecture>riscv:rv64"
                   "</architecture><xi:include href=\"cpu.xml\"/>"
                   "<xi:include href=\"virt.xml\"/><xi:include "
                   "href=\"csr.xml\"/></target>"},
    {"cpu.xml", "<!-- a comment with <reg name=\"fake\" bitsize=\"8\"/> -->\n"
                "<feature name=\"org.gnu.gdb.riscv.cpu\">\n"
                "  <reg name=\"zero\" bitsize=\"64\" type=\"int\"/>\n"
                "  <reg name='ra' bitsize='64' type='code_ptr'/>\n"
                "  <reg name=\"fp\" bitsize=\"64\" regnum=\"8\"/>\n"
                "  <reg name=\"s1\" bitsize=\"64\"/>\n"
                "  <reg name=\"pc\" bitsize=\"64\" regnum=\"32\"/>\n"
                "</feature>"},
    {"virt.xml", "<feature><reg name=\"priv\" bitsize=\"64\"/></feature>"},
    {"csr.xml", "<feature><reg name=\"sepc\" bitsize=\"64\" regnum=\"387\"/>"
                "<reg name=\"hstatus\" bitsize=\"64\" regnum=\"1602\"/>"
                "<reg name=\"fflags\" bitsize=\"32\"/></feature>"},
};

static struct rsp_regs regs;
static char order[128];

static int include(void *arg, const char *href) {
  strcat(order, href);
  strcat(order, " ");
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    if (strcmp(docs[i][0], href) == 0)
      return rsp_regs_parse(&regs, docs[i][1], include, arg);
  return 7;  // a missing document: stop, and say so
}

TEST(rsp_register_table) {
  order[0] = 0;
  CHECK(rsp_regs_parse(&regs, docs[0][1], include, NULL) == 0, "parse");
  CHECK(strcmp(order, "cpu.xml virt.xml csr.xml ") == 0, "includes: %s", order);
  CHECK(regs.n == 9, "%d registers (the commented one counts?)", regs.n);
  CHECK(rsp_regs_find(&regs, "zero") == 0 && rsp_regs_find(&regs, "ra") == 1,
        "zero %d ra %d", rsp_regs_find(&regs, "zero"),
        rsp_regs_find(&regs, "ra"));
  CHECK(rsp_regs_find(&regs, "s1") == 9, "s1 follows fp=8: %d",
        rsp_regs_find(&regs, "s1"));
  CHECK(rsp_regs_find(&regs, "pc") == 32 && rsp_regs_find(&regs, "priv") == 33,
        "pc %d priv %d", rsp_regs_find(&regs, "pc"),
        rsp_regs_find(&regs, "priv"));
  CHECK(rsp_regs_find(&regs, "hstatus") == 1602, "hstatus %d",
        rsp_regs_find(&regs, "hstatus"));
  CHECK(rsp_regs_find(&regs, "fflags") == 1603, "fflags %d",
        rsp_regs_find(&regs, "fflags"));
  // Aliases: the XML says fp; x8 and s0 name it too. x1 is ra.
  CHECK(rsp_regs_find(&regs, "s0") == 8 && rsp_regs_find(&regs, "x8") == 8 &&
            rsp_regs_find(&regs, "x1") == 1 && rsp_regs_find(&regs, "x0") == 0,
        "aliases: s0 %d x8 %d x1 %d", rsp_regs_find(&regs, "s0"),
        rsp_regs_find(&regs, "x8"), rsp_regs_find(&regs, "x1"));
  CHECK(rsp_regs_find(&regs, "fake") == -1 &&
            rsp_regs_find(&regs, "x5") == -1 &&
            rsp_regs_find(&regs, "nosuch") == -1,
        "names that are not there");
  const struct rsp_reg *r = rsp_regs_get(&regs, 1603);
  CHECK(r && strcmp(r->name, "fflags") == 0 && r->bitsize == 32, "1603");
  // A missing include stops the parse with the callback's value.
  rsp_regs_free(&regs);
  CHECK(rsp_regs_parse(&regs, "<xi:include href=\"gone.xml\"/>", include,
                       NULL) == 7,
        "missing include not reported");
  rsp_regs_free(&regs);
}
