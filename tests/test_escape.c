// hvlab/escape.h on every byte value: printable ASCII, '\n' and '\t' as
// themselves, everything else as \xHH -- so nothing a guest sends can
// reach a terminal as a control character or broken UTF-8.

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hvlab/escape.h"

TEST(escape_every_byte_value) {
  int bad = 0;
  for (int c = 0; c < 256; c++) {
    char out[HV_ESCAPE_MAX + 8];
    memset(out, '#', sizeof out);
    int n = hv_escape_byte((unsigned char)c, out);
    char want[8];
    if ((c >= 0x20 && c <= 0x7e) || c == '\n' || c == '\t')
      snprintf(want, sizeof want, "%c", c);
    else
      snprintf(want, sizeof want, "\\x%02x", c);
    int ok = n == (int)strlen(want) && strcmp(out, want) == 0 &&
             out[HV_ESCAPE_MAX] == '#';  // wrote no more than it may
    // What it wrote is itself safe: no byte outside 0x20..0x7e but the two.
    for (int i = 0; i < n; i++) {
      unsigned char o = (unsigned char)out[i];
      ok &= (o >= 0x20 && o <= 0x7e) || (n == 1 && (o == '\n' || o == '\t'));
    }
    if (!ok && bad++ < 8)
      CHECK(0, "byte 0x%02x: got '%s' (%d), expected '%s'", c, out, n, want);
  }
  CHECK(bad == 0, "%d byte values escaped wrongly", bad);
  char e[HV_ESCAPE_MAX];
  hv_escape_byte(0x1b, e);
  CHECK(strcmp(e, "\\x1b") == 0, "ESC is '%s', expected \\x1b", e);
  hv_escape_byte('\r', e);
  CHECK(strcmp(e, "\\x0d") == 0, "CR is '%s', expected \\x0d", e);
}
