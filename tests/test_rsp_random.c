// The fuzzer's properties of the RSP decoder (fuzz/rsp_props.h), checked
// in `make test` on a few hundred fixed pseudo-random streams: noise, and
// real packets with corruption, in random chunk sizes and maxima.

#include <stdio.h>
#include <string.h>

#include "../fuzz/rsp_props.h"
#include "harness.h"

static uint32_t seed = 20240601;

static uint32_t rnd(void) {  // xorshift32: the same streams every run
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

// Bytes the protocol gives meaning to, so noise hits them often.
static const unsigned char spice[] = "$#}*+-\x03"
                                     "0123456789abcdefOKT05";

// A stream of n bytes: packets framed by rsp_encode, some damaged, with
// noise between them.
static size_t make_stream(unsigned char *s, size_t cap, int *packets) {
  size_t n = 0;
  *packets = 0;
  while (n + 64 < cap && rnd() % 16) {
    if (rnd() % 3 == 0) {  // noise
      for (int k = rnd() % 8; k > 0; k--)
        s[n++] = rnd() % 2 ? spice[rnd() % (sizeof spice - 1)]
                           : (unsigned char)rnd();
      continue;
    }
    char payload[300];
    size_t len = rnd() % (rnd() % 4 ? 20 : sizeof payload);
    for (size_t k = 0; k < len; k++)
      payload[k] =
          rnd() % 2 ? (char)spice[rnd() % (sizeof spice - 1)] : (char)rnd();
    size_t fl = rsp_encode(payload, len, (char *)s + n, cap - n);
    if (fl == 0)
      break;
    if (rnd() % 5 == 0)  // damage one byte of it
      s[n + rnd() % fl] = (unsigned char)rnd();
    n += fl;
    (*packets)++;
  }
  return n;
}

TEST(rsp_decoder_properties_random) {
  static unsigned char s[8192];
  unsigned char sizes[16];
  int failures = 0, total_packets = 0;
  for (int i = 0; i < 400; i++) {
    int packets;
    size_t n = make_stream(s, sizeof s, &packets);
    total_packets += packets;
    for (size_t k = 0; k < sizeof sizes; k++)
      sizes[k] = (unsigned char)(rnd() % (k % 4 ? 5 : 200));
    size_t max = rnd() % 3 ? 0 : 1 + rnd() % 64;  // sometimes small
    const char *e = rsp_props_check(s, n, max, sizes, sizeof sizes);
    if (e && failures++ < 5)
      CHECK(0, "stream %d (%zu bytes, max %zu): %s", i, n, max, e);
  }
  CHECK(failures == 0, "%d of 400 streams broke a property", failures);
  CHECK(total_packets > 1000, "only %d packets generated", total_packets);
}

// Undamaged packets separated by harmless noise all come out, intact.
TEST(rsp_decoder_delivers_every_packet) {
  static unsigned char s[65536];
  static char want[512][40];
  static struct rsp_dec d;
  size_t n = 0;
  int np = 0;
  for (; np < 512; np++) {
    size_t len = rnd() % 39;
    for (size_t k = 0; k < len; k++)
      want[np][k] = (char)(rnd() % 2 ? spice[rnd() % 4] : 'a' + rnd() % 26);
    want[np][len] = 0;
    n += rsp_encode(want[np], len, (char *)s + n, sizeof s - n);
    s[n++] = 'x';  // noise that means nothing between packets
  }
  rsp_dec_init(&d, 0);
  int got = 0, bad = 0;
  for (size_t at = 0; at < n;) {
    struct rsp_event ev;
    size_t chunk = 1 + rnd() % 7;
    at += rsp_dec_feed(&d, s + at, chunk < n - at ? chunk : n - at, &ev);
    if (ev.kind == RSP_EV_PACKET)
      bad += got >= np || ev.len != strlen(want[got]) ||
             memcmp(ev.data, want[got], ev.len) != 0,
          got++;
    else if (ev.kind != RSP_EV_NONE)
      bad++;
  }
  CHECK(got == np && bad == 0, "%d of %d packets, %d wrong", got, np, bad);
}
