// Guest console bytes, made safe to show: one rule for the hypervisor's
// "guest| " lines, the grader's listings, transcripts and reports, and the
// monitor's console pane.
//
// A guest can send any byte. Sent raw to a terminal, ESC starts escape
// sequences (clear the screen, move the cursor, OSC 52 writes the
// clipboard of whoever reads the log), CR overwrites the line's start
// (and so its "guest| " prefix), NUL and bytes >= 0x80 (broken UTF-8)
// garble what follows. So every byte is shown either as itself or as
// "\xHH" (two lower-case hex digits):
//   - as itself: printable ASCII (0x20 ' ' .. 0x7e '~'), '\n' and '\t'
//     (they move the cursor only the way text does);
//   - as \xHH: everything else -- the other control characters (CR is
//     \x0d, ESC \x1b), DEL (\x7f) and every byte from 0x80 up.
// A backslash stays a backslash: the result is for people to read, not
// to decode, so a guest that prints "\x1b" literally reads the same as one
// that sends ESC -- and neither reaches a terminal as ESC.
//
// Freestanding: no headers, only the compiler's own types, so the
// hypervisor and the host tools include the same text.
#pragma once

// The most one byte can become: "\xHH" and the terminating NUL.
#define HV_ESCAPE_MAX 5

// Write the printable form of byte c into out (HV_ESCAPE_MAX bytes),
// NUL-terminated. Returns its length: 1 (the byte itself) or 4 (\xHH).
static inline int hv_escape_byte(unsigned char c, char out[HV_ESCAPE_MAX]) {
  if ((c >= 0x20 && c <= 0x7e) || c == '\n' || c == '\t') {
    out[0] = (char)c;
    out[1] = 0;
    return 1;
  }
  unsigned hi = c >> 4, lo = c & 15u;
  out[0] = '\\';
  out[1] = 'x';
  out[2] = (char)(hi < 10 ? '0' + hi : 'a' + hi - 10);
  out[3] = (char)(lo < 10 ? '0' + lo : 'a' + lo - 10);
  out[4] = 0;
  return 4;
}
