// GDB Remote Serial Protocol: talking to QEMU's gdbstub.
//
// Three layers, in three files:
//   rsp.c        the packet layer: framing, checksums, escapes, run-length
//                encoding, hex, and the parsers for replies. No I/O, so the
//                tests and the fuzzer can drive it with plain byte arrays.
//   rsp_regs.c   the register table, built from the target description XML
//                (qXfer:features:read), so names map to gdbstub numbers.
//   rsp_client.c a client over TCP: requests with timeouts, registers,
//                memory, breakpoints, run control, monitor commands.
//
// Every client call returns a value >= 0 on success or one of the negative
// RSP_E* codes; rsp_error() then says what went wrong in words.
#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

// ---- Packet layer ------------------------------------------------------------

// The largest payload a decoder can hold. QEMU's own limit is 4096 bytes.
#define RSP_BUF_MAX 16384

// Frame payload[0..n) as "$payload#xx" into out (size outsz, NUL-terminated),
// escaping '$', '#', '}' and '*' as 0x7d followed by the byte xor 0x20.
// Returns the framed length, or 0 if out is too small (at most 2n+5 needed).
size_t rsp_encode(const void *payload, size_t n, char *out, size_t outsz);
// The modulo-256 sum of n bytes: the "xx" of a frame, over its raw bytes.
unsigned rsp_checksum(const void *p, size_t n);

enum rsp_ev {
  RSP_EV_NONE,     // the bytes so far complete nothing; feed more
  RSP_EV_PACKET,   // a packet with a good checksum: ev->data, ev->len
  RSP_EV_ACK,      // '+'
  RSP_EV_NAK,      // '-': the peer wants the last packet again
  RSP_EV_INTR,     // 0x03 between packets: the peer asks for a stop
  RSP_EV_BADSUM,   // a packet with a wrong checksum: answer '-'
  RSP_EV_TOOLONG,  // a packet longer than the decoder's maximum: dropped
  RSP_EV_BADRLE,   // a malformed run-length count: answer '-'
};

struct rsp_event {
  enum rsp_ev kind;
  const char *data;  // RSP_EV_PACKET: the decoded payload, NUL-terminated,
  size_t len;        // valid until the next rsp_dec_feed
  unsigned sum_got, sum_want;  // RSP_EV_BADSUM: sent vs computed checksum
};

// A streaming decoder: feed it whatever bytes arrived, in chunks of any size.
struct rsp_dec {
  int state;
  size_t max;    // the largest payload accepted (<= RSP_BUF_MAX)
  size_t len;    // decoded payload bytes so far
  unsigned sum;  // checksum of the raw bytes so far
  unsigned xx;   // checksum digits received
  int toolong, badrle;
  size_t junk;  // bytes ignored between packets (a diagnostic)
  char buf[RSP_BUF_MAX + 1];
};

// max 0 means RSP_BUF_MAX.
void rsp_dec_init(struct rsp_dec *d, size_t max);
// Consume bytes from p[0..n) until one event completes or they run out.
// Returns the number consumed; *ev says what (RSP_EV_NONE if nothing yet).
// Call again with the rest: one call never reports two events.
size_t rsp_dec_feed(struct rsp_dec *d, const void *p, size_t n,
                    struct rsp_event *ev);

// Hex: out gets 2n lowercase digits and a NUL.
void rsp_hex_encode(const void *data, size_t n, char *out);
// Decode hexlen digits into at most max bytes. Returns the byte count, or -1
// for an odd count, a non-hex digit, or too little room.
long rsp_hex_decode(const char *hex, size_t hexlen, void *out, size_t max);
// A register value as the gdbstub sends it: target (little-endian) byte
// order, 1 to 8 bytes. Returns 0, or -1 if malformed or wider than 64 bits.
int rsp_hex_le64(const char *hex, size_t hexlen, uint64_t *v);
// The reverse: nbytes (1..8) of v, little-endian, as 2*nbytes digits + NUL.
void rsp_le64_hex(uint64_t v, int nbytes, char *out);

// An error reply "Enn": returns nn (0..255), or -1 if p is not one. (A stub
// that answers `m` for one byte 0xEn in uppercase hex would be ambiguous;
// QEMU sends lowercase.)
int rsp_parse_errno(const char *p, size_t n);

// A stop reply, or console output ('O') sent while the target runs.
struct rsp_stop {
  char kind;        // 'S'/'T' stopped, 'W' exited, 'X' killed, 'O' output
  int sig;          // S, T, X: the signal (5 = SIGTRAP); W: exit status
  char thread[32];  // T: "thread:" value, e.g. "p01.01"; else ""
  char reason[16];  // T: "swbreak", "hwbreak", "watch", ... if sent
  uint64_t addr;    // T with watch/rwatch/awatch: the data address
  int nregs;        // T: "n:r" register values carried in the reply
  struct {
    int num;
    uint64_t val;
  } regs[8];
  size_t textlen;  // O: the console text, decoded, NUL-terminated
  char text[RSP_BUF_MAX / 2 + 1];
};
// Parse p[0..n). Returns 0, or -1 if it is not a stop reply ("OK" is not).
int rsp_parse_stop(const char *p, size_t n, struct rsp_stop *st);

// ---- Register table (rsp_regs.c) ---------------------------------------------

struct rsp_reg {
  char name[32];
  int num;  // the gdbstub's number for `p` and `P`
  int bitsize;
};
struct rsp_regs {
  struct rsp_reg *v;
  int n, cap;
  int next;  // the number the next <reg> without regnum= gets
};

// Add the <reg> elements of one XML document to t, numbering as GDB does:
// in document order, each regnum="" resetting the count. For each
// <xi:include href="..."/> call include(arg, href), which should parse that
// document into t in turn; its non-zero return stops the parse and is
// returned. Returns 0, or -1 for a table that cannot grow.
int rsp_regs_parse(struct rsp_regs *t, const char *xml,
                   int (*include)(void *arg, const char *href), void *arg);
// The register called name, or -1. "xN"/"fN" and ABI names are aliases of
// one another ("x8", "s0", "fp"), whichever the XML used.
int rsp_regs_find(const struct rsp_regs *t, const char *name);
// The entry with gdbstub number num, or NULL.
const struct rsp_reg *rsp_regs_get(const struct rsp_regs *t, int num);
void rsp_regs_free(struct rsp_regs *t);

// ---- Client (rsp_client.c) ---------------------------------------------------

enum {
  RSP_EIO = -1,       // connection lost or protocol broken
  RSP_ETIMEOUT = -2,  // no answer in time
  RSP_EREPLY = -3,    // the stub answered "Enn" (rsp_client.enn)
  RSP_EUNSUP = -4,    // the stub answered "": it does not do that
  RSP_ESTATE = -5,    // wrong state: e.g. a register read while running
};

// Limits on a whole session, beyond each request's own timeout: a stub
// that answers slowly but steadily (a byte at a time) would otherwise keep
// a program in request after request. Both are optional (0 / NULL).
struct rsp_limits {
  const volatile sig_atomic_t *cancel;  // non-zero (a signal came): give up
  double give_up_at;  // now_seconds() after which every wait fails at once
};

// About 50 KB, mostly buffers: allocate it statically or with malloc.
struct rsp_client {
  struct rsp_limits lim;  // set by rsp_connect_limited
  int fd;
  int noack;             // QStartNoAckMode accepted: no '+' / '-'
  int running;           // resumed, and no stop reply seen since
  int timeout_ms;        // for each request (default 2000)
  size_t packet_size;    // the stub's PacketSize (largest packet it takes)
  int enn;               // the last "Enn" reply's number
  char features[256];    // the stub's qSupported reply
  struct rsp_regs regs;  // from target.xml (empty if the stub has none)
  char err[256];         // what the last failure was
  char *pending;         // a packet that arrived while we awaited an ack
  size_t pending_len;
  char *console;  // 'O' output collected while waiting for a stop
  size_t console_len, console_cap;
  unsigned char in[4096];  // bytes read but not yet decoded
  size_t in_pos, in_len;
  struct rsp_dec dec;
  char req[RSP_BUF_MAX + 1];    // the request being built
  char reply[RSP_BUF_MAX + 1];  // the last reply
};

// Connect to host:port (retrying for up to timeout_ms while QEMU starts),
// then handshake: qSupported, no-ack mode if offered, `?`, and the target
// description (QEMU's `p` answers nothing until target.xml has been read).
int rsp_connect(struct rsp_client *c, const char *host, int port,
                int timeout_ms);
// The same, with limits that hold for every later wait on this client too
// (RSP_EIO "cancelled" or RSP_ETIMEOUT "out of time" once they are hit).
int rsp_connect_limited(struct rsp_client *c, const char *host, int port,
                        int timeout_ms, const struct rsp_limits *lim);
void rsp_close(struct rsp_client *c);
const char *rsp_error(const struct rsp_client *c);

// Raw packets, e.g. for forwarding a gdb's requests: send one (waiting for
// its ack), receive one (acking it). rsp_recv returns the payload length.
int rsp_send(struct rsp_client *c, const void *payload, size_t n);
int rsp_recv(struct rsp_client *c, char *buf, size_t max, int timeout_ms);
// Send a NUL-terminated request and receive its reply into buf: the reply
// length, whatever it says (an "Enn" is not turned into an error here).
int rsp_request(struct rsp_client *c, const char *req, char *buf, size_t max);
// Send the 0x03 interrupt byte alone (no wait).
int rsp_send_intr(struct rsp_client *c);

// Registers, by gdbstub number or by name (see rsp_regs_find).
int rsp_reg_num(const struct rsp_client *c, const char *name);
int rsp_read_reg(struct rsp_client *c, int num, uint64_t *v);
int rsp_read_reg_name(struct rsp_client *c, const char *name, uint64_t *v);
int rsp_write_reg(struct rsp_client *c, int num, uint64_t v);
int rsp_write_reg_name(struct rsp_client *c, const char *name, uint64_t v);
// `g`: the general registers in order (QEMU: x0-x31, pc). Returns the count.
int rsp_read_gregs(struct rsp_client *c, uint64_t *regs, int max);

// Memory, in as many packets as the stub's packet size needs.
int rsp_read_mem(struct rsp_client *c, uint64_t addr, void *buf, size_t n);
int rsp_write_mem(struct rsp_client *c, uint64_t addr, const void *buf,
                  size_t n);

// Breakpoints: type 0 software, 1 hardware; kind is the instruction length.
#define RSP_BP_SW 0
#define RSP_BP_HW 1
int rsp_break_insert(struct rsp_client *c, int type, uint64_t addr, int kind);
int rsp_break_remove(struct rsp_client *c, int type, uint64_t addr, int kind);

// Run control. rsp_continue returns once the target runs; rsp_wait_stop
// then waits (collecting 'O' output into c->console) for up to timeout_ms
// (< 0: forever) and returns RSP_ETIMEOUT if the target is still running.
int rsp_continue(struct rsp_client *c);
// Continue only the hart (QEMU's thread) `tid` (1 = the first), the others
// staying where they are (vCont;c:tid); or every hart but that one
// (vCont;c:-1 would be all: each other thread is named).
int rsp_continue_thread(struct rsp_client *c, int tid);
int rsp_continue_others(struct rsp_client *c, int tid);
int rsp_wait_stop(struct rsp_client *c, struct rsp_stop *st, int timeout_ms);
int rsp_step(struct rsp_client *c, struct rsp_stop *st);
// Send 0x03 and wait for the stop reply it causes.
int rsp_interrupt(struct rsp_client *c, struct rsp_stop *st);
// Continue from a stop on breakpoint (type, addr, kind). QEMU would stop
// on it again at once, so: remove it, step, put it back, then continue.
int rsp_continue_over(struct rsp_client *c, int type, uint64_t addr, int kind);
// `k`: QEMU exits. The connection is closed afterwards.
int rsp_kill(struct rsp_client *c);
// A monitor command (`monitor info registers` in gdb): its output, NUL-
// terminated and cut to max, into out. Returns the output length.
int rsp_monitor(struct rsp_client *c, const char *cmd, char *out, size_t max);
