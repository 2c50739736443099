// libFuzzer target for the RSP packet layer (`make fuzz`).
//
// Input layout: byte 0 picks the decoder's maximum packet size (small
// maxima make the overlong paths reachable), bytes 1..8 are chunk sizes
// for feeding, and the rest is the byte stream. The properties are those
// of rsp_props.h; the reply parsers get the stream too, where the
// sanitizers watch for reads out of bounds.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rsp.h"
#include "rsp_props.h"

static int no_include(void *arg, const char *href) {
  (void)arg;
  (void)href;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 9)
    return 0;
  size_t max = data[0] & 1 ? 0 : 1 + data[0] / 2;
  const unsigned char *sizes = data + 1;
  const unsigned char *s = data + 9;
  size_t n = size - 9;

  const char *e = rsp_props_check(s, n, max, sizes, 8);
  if (e) {
    fprintf(stderr, "fuzz_rsp: %s\n", e);
    abort();
  }

  // The parsers take any bytes without harm.
  static struct rsp_stop st;
  rsp_parse_stop((const char *)s, n, &st);
  rsp_parse_errno((const char *)s, n);
  char *xml = malloc(n + 1);  // exact size, so ASan sees any overrun
  if (xml) {
    memcpy(xml, s, n);
    xml[n] = 0;
    struct rsp_regs regs = {0};
    rsp_regs_parse(&regs, xml, no_include, NULL);
    if (regs.n > 0)
      rsp_regs_find(&regs, regs.v[0].name);
    rsp_regs_free(&regs);
    free(xml);
  }
  return 0;
}
