// The few C library string functions we need. GCC may also emit calls to
// memset/memcpy for struct copies, so these must exist even if unused --
// also under link-time optimisation, which would otherwise drop them before
// it emits those calls: hence `used`.

#include "defs.h"

__attribute__((used)) void *memset(void *d, int c, size_t n) {
  u8 *p = d;
  while (n--)
    *p++ = (u8)c;
  return d;
}

__attribute__((used)) void *memcpy(void *d, const void *s, size_t n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--)
    *p++ = *q++;
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b)
      return (u8)*a - (u8)*b;
    if (*a == 0)
      return 0;
  }
  return 0;
}

int strcmp(const char *a, const char *b) { return strncmp(a, b, (size_t)-1); }
