// The RSP client against a scripted fake stub (a thread on a local TCP
// port), for what QEMU will not do on demand: offer no-ack mode, refuse a
// packet, corrupt a reply, compress one, answer in small pieces, say
// nothing at all, or hang up.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "rsp.h"

static struct stub {
  int lfd, fd, port;
  const char *features;  // the qSupported answer
  int noack;             // no-ack mode is on
  int nak_g, corrupt_g;  // refuse the next 'g' / corrupt its reply, once
  size_t max_m;          // the largest `m` length asked for
  char frame[512];       // the last frame sent, for a '-'
  size_t frame_len;
} stub;

// Send a reply. corrupt: send it with a wrong checksum, keeping the good
// frame for when the client answers '-'.
static void stub_put(const char *payload, int corrupt) {
  char out[512];
  // Framed by hand, not by rsp_encode: payloads here may use run-length
  // encoding, which the encoder would escape.
  stub.frame_len =
      (size_t)snprintf(stub.frame, sizeof stub.frame, "$%s#%02x", payload,
                       rsp_checksum(payload, strlen(payload)));
  memcpy(out, stub.frame, stub.frame_len);
  if (corrupt)
    out[stub.frame_len - 1] = out[stub.frame_len - 1] == '0' ? '1' : '0';
  (void)!write(stub.fd, out, stub.frame_len);
}

static const char xml_target[] =
    "<target><xi:include href=\"a.xml\"/></target>";
static const char xml_a[] =
    "<feature><reg name=\"zero\" bitsize=\"64\"/><reg name=\"pc\" "
    "bitsize=\"64\"/><reg name=\"hstatus\" bitsize=\"64\" regnum=\"1602\"/>"
    "</feature>";

// Answer one request. Returns 0 to go on, -1 to hang up.
static int stub_answer(const char *p) {
  char r[512];
  unsigned long long addr;
  size_t off, len;
  char annex[32];
  if (!strncmp(p, "qSupported", 10))
    stub_put(stub.features, 0);
  else if (!strcmp(p, "QStartNoAckMode")) {
    stub_put("OK", 0);
    stub.noack = 1;
  } else if (!strcmp(p, "?"))
    stub_put("S05", 0);
  else if (sscanf(p, "qXfer:features:read:%31[^:]:%zx,%zx", annex, &off,
                  &len) == 3) {
    // Ten bytes at a time, whatever was asked: 'm' more, 'l' last.
    const char *doc = strcmp(annex, "target.xml") ? xml_a : xml_target;
    size_t n = strlen(doc) - off < 10 ? strlen(doc) - off : 10;
    snprintf(r, sizeof r, "%c%.*s", off + n < strlen(doc) ? 'm' : 'l', (int)n,
             doc + off);
    stub_put(r, 0);
  } else if (!strcmp(p, "p1"))
    stub_put("0*\"80*%", 0);  // 0x80000000, run-length encoded
  else if (!strcmp(p, "p642"))
    stub_put("0000000002000000", 0);
  else if (!strcmp(p, "pff"))
    ;  // silence: the client must time out
  else if (sscanf(p, "m%llx,%zx", &addr, &len) == 2) {
    unsigned char b[200];
    if (len > stub.max_m)
      stub.max_m = len;
    for (size_t i = 0; i < len && i < sizeof b; i++)
      b[i] = (unsigned char)(addr + i);
    rsp_hex_encode(b, len < sizeof b ? len : sizeof b, r);
    stub_put(r, 0);
  } else if (!strcmp(p, "g")) {
    if (stub.nak_g) {
      stub.nak_g = 0;
      (void)!write(stub.fd, "-", 1);
      return 0;
    }
    stub_put("01000000000000000200000000000000", stub.corrupt_g);
    stub.corrupt_g = 0;
  } else if (!strncmp(p, "qRcmd,", 6)) {
    stub_put("O68656c6c6f20", 0);  // "hello "
    stub_put("O776f726c640a", 0);  // "world\n"
    stub_put("OK", 0);
  } else if (!strcmp(p, "c")) {
    stub_put("O626f6f740a", 0);  // "boot\n"
    stub_put("T05thread:01;", 0);
  } else if (!strncmp(p, "Z0", 2))
    stub_put("", 0);  // not supported
  else if (!strcmp(p, "D") || !strcmp(p, "k"))
    return -1;
  else
    stub_put("E01", 0);
  return 0;
}

static void *stub_main(void *arg) {
  static struct rsp_dec d;
  (void)arg;
  stub.fd = accept(stub.lfd, NULL, NULL);
  int one = 1;  // the ack and the reply go out at once, as QEMU's do
  setsockopt(stub.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  rsp_dec_init(&d, 0);
  unsigned char b[1024];
  ssize_t n;
  while (stub.fd >= 0 && (n = read(stub.fd, b, sizeof b)) > 0) {
    for (size_t at = 0; at < (size_t)n;) {
      struct rsp_event ev;
      at += rsp_dec_feed(&d, b + at, (size_t)n - at, &ev);
      if (ev.kind == RSP_EV_NAK)
        (void)!write(stub.fd, stub.frame, stub.frame_len);
      else if (ev.kind == RSP_EV_INTR)
        stub_put("T02", 0);
      else if (ev.kind == RSP_EV_PACKET) {
        int nak = !strcmp(ev.data, "g") && stub.nak_g;
        if (!stub.noack && !nak)
          (void)!write(stub.fd, "+", 1);
        if (stub_answer(ev.data) < 0)
          goto out;
      }
    }
  }
out:
  close(stub.fd);
  return NULL;
}

static pthread_t stub_start(const char *features) {
  memset(&stub, 0, sizeof stub);
  stub.features = features;
  stub.lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  bind(stub.lfd, (struct sockaddr *)&a, sizeof a);
  getsockname(stub.lfd, (struct sockaddr *)&a, &len);
  listen(stub.lfd, 1);
  stub.port = ntohs(a.sin_port);
  pthread_t t;
  pthread_create(&t, NULL, stub_main, NULL);
  return t;
}

static void stub_stop(pthread_t t) {
  shutdown(stub.lfd, SHUT_RDWR);
  pthread_join(t, NULL);
  close(stub.lfd);
}

static struct rsp_client c;
#define OK(call) CHECK((call) >= 0, "%s: %s", #call, rsp_error(&c))

TEST(rsp_client_noack_stub) {
  pthread_t t =
      stub_start("PacketSize=100;qXfer:features:read+;QStartNoAckMode+");
  OK(rsp_connect(&c, "127.0.0.1", stub.port, 2000));
  CHECK(c.noack == 1 && c.packet_size == 0x100, "noack %d packet size %#zx",
        c.noack, c.packet_size);
  // target.xml arrived ten bytes at a time, its include too.
  CHECK(rsp_reg_num(&c, "pc") == 1 && rsp_reg_num(&c, "hstatus") == 1602 &&
            rsp_reg_num(&c, "x0") == 0,
        "table: pc %d hstatus %d", rsp_reg_num(&c, "pc"),
        rsp_reg_num(&c, "hstatus"));
  uint64_t v = 0;
  OK(rsp_read_reg_name(&c, "pc", &v));
  CHECK(v == 0x80000000, "pc from an RLE reply: %#llx", (unsigned long long)v);
  OK(rsp_read_reg_name(&c, "hstatus", &v));
  CHECK(v == 0x200000000ull, "hstatus %#llx", (unsigned long long)v);
  // 1000 bytes in packets that fit 0x100: (256 - 64) / 2 = 96 at most.
  static unsigned char m[1000];
  OK(rsp_read_mem(&c, 0x1000, m, sizeof m));
  int bad = 0;
  for (size_t i = 0; i < sizeof m; i++)
    bad += m[i] != (unsigned char)(0x1000 + i);
  CHECK(bad == 0 && stub.max_m > 0 && stub.max_m <= 96,
        "%d bytes wrong, chunks of %zu", bad, stub.max_m);
  char out[64];
  CHECK(rsp_monitor(&c, "x", out, sizeof out) == 12 &&
            strcmp(out, "hello world\n") == 0,
        "monitor: '%s'", out);
  CHECK(rsp_monitor(&c, "x", out, 4) == 3 && strcmp(out, "hel") == 0,
        "monitor cut to 4: '%s'", out);
  // Continue: console output, then the stop.
  static struct rsp_stop st;
  OK(rsp_continue(&c));
  OK(rsp_wait_stop(&c, &st, 2000));
  CHECK(st.kind == 'T' && st.sig == 5 && c.console &&
            strcmp(c.console, "boot\n") == 0,
        "stop %c, console '%s'", st.kind, c.console ? c.console : "");
  CHECK(rsp_break_insert(&c, RSP_BP_SW, 0x1000, 4) == RSP_EUNSUP,
        "Z0 unsupported: %s", rsp_error(&c));
  CHECK(rsp_read_reg_name(&c, "nosuch", &v) == RSP_EUNSUP, "no such register");
  // No answer: a timeout with a message, not a hang.
  c.timeout_ms = 200;
  double t0 = now_seconds();
  CHECK(rsp_read_reg(&c, 0xff, &v) == RSP_ETIMEOUT &&
            strstr(rsp_error(&c), "no reply to 'pff'"),
        "silence: %s", rsp_error(&c));
  CHECK(now_seconds() - t0 < 1, "took %.2fs", now_seconds() - t0);
  OK(rsp_kill(&c));
  CHECK(c.fd < 0, "kill left the connection open");
  stub_stop(t);
}

TEST(rsp_client_acks_and_errors) {
  pthread_t t = stub_start("PacketSize=1000");
  OK(rsp_connect(&c, "127.0.0.1", stub.port, 2000));
  CHECK(c.noack == 0 && c.regs.n == 0, "noack %d, %d registers", c.noack,
        c.regs.n);
  // The stub refuses our 'g' once, then corrupts its reply once: the
  // client sends again, then asks again, and gets the registers.
  stub.nak_g = stub.corrupt_g = 1;
  uint64_t g[4];
  CHECK(rsp_read_gregs(&c, g, 4) == 2 && g[0] == 1 && g[1] == 2, "g: %s",
        rsp_error(&c));
  char buf[64];
  CHECK(rsp_request(&c, "qFoo", buf, sizeof buf) == 3 &&
            rsp_parse_errno(buf, 3) == 1,
        "raw request: '%s'", buf);
  uint64_t v;
  CHECK(rsp_read_reg(&c, 5, &v) == RSP_EREPLY && c.enn == 1, "E01: %s",
        rsp_error(&c));
  // The stub hangs up: errors from then on, each saying so.
  OK(rsp_send(&c, "D", 1));
  CHECK(rsp_read_reg(&c, 1, &v) == RSP_EIO && strstr(rsp_error(&c), "closed"),
        "after hang-up: %s", rsp_error(&c));
  rsp_close(&c);
  stub_stop(t);
}
