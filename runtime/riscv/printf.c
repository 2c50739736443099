// printf for the hypervisor: %d %i %u %x %p %s %c %%, with an optional
// '-', '0', width and 'l'/'ll' size. Enough for dumps; nothing more.

#include <stdarg.h>

#include "defs.h"
#include "spinlock.h"

// Output goes either to the UART or into a buffer (snprintf).
struct out {
  char *buf;   // NULL: UART
  size_t cap;  // buffer size
  size_t len;  // characters produced so far (even past cap)
};

static void emit(struct out *o, char c) {
  if (o->buf == NULL) {
    if (c == '\n')
      uart_putc('\r');  // terminals want CR LF
    uart_putc(c);
  } else if (o->len + 1 < o->cap) {
    o->buf[o->len] = c;
  }
  o->len++;
}

static void pad(struct out *o, int n, char c) {
  while (n-- > 0)
    emit(o, c);
}

static void number(struct out *o, u64 v, int base, int neg, int width,
                   char padc, int left) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  int len = n + neg;
  if (!left && padc == '0' && neg)
    emit(o, '-');
  if (!left)
    pad(o, width - len, padc);
  if (neg && (left || padc != '0'))
    emit(o, '-');
  while (n)
    emit(o, tmp[--n]);
  if (left)
    pad(o, width - len, ' ');
}

static void format(struct out *o, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      emit(o, *fmt);
      continue;
    }
    fmt++;
    int left = 0, width = 0, lng = 0;
    char padc = ' ';
    if (*fmt == '-')
      left = 1, fmt++;
    if (*fmt == '0')
      padc = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l')
      lng++, fmt++;
    switch (*fmt) {
    case 'd':
    case 'i': {
      i64 v = lng ? va_arg(ap, i64) : va_arg(ap, int);
      number(o, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, padc, left);
      break;
    }
    case 'u':
      number(o, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, 0, width,
             padc, left);
      break;
    case 'x':
      number(o, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, 0, width,
             padc, left);
      break;
    case 'p':
      emit(o, '0');
      emit(o, 'x');
      number(o, (u64)va_arg(ap, void *), 16, 0, 16, '0', 0);
      break;
    case 'c': emit(o, (char)va_arg(ap, int)); break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (s == NULL)
        s = "(null)";
      int n = (int)strlen(s);
      if (!left)
        pad(o, width - n, ' ');
      while (*s)
        emit(o, *s++);
      if (left)
        pad(o, width - n, ' ');
      break;
    }
    case '%': emit(o, '%'); break;
    case 0: return;
    default:  // unknown: print it as written, so the mistake is visible
      emit(o, '%');
      emit(o, *fmt);
    }
  }
}

// One printf at a time on the console, when several harts print (stage
// 5), so that their words do not interleave. A hart that waits very long
// (the holder trapped while printing and will never let go) prints anyway.
static spinlock_t console;

// A guest's bytes may leave a line open: a prompt, or a line that one
// vCPU is still writing when another hart prints. The hypervisor's next
// printf then starts a line of its own, and the guest's next byte starts
// a new line too, with its prefix again.
static int guest_line_open;

void console_guest(const char *prefix, const char *bytes) {
  int locked = spin_lock_bounded(&console, 1L << 22);
  if (!guest_line_open)
    for (; *prefix; prefix++)
      uart_putc(*prefix);
  for (; *bytes; bytes++) {
    uart_putc(*bytes);
    guest_line_open = *bytes != '\n';
  }
  if (locked)
    spin_unlock(&console);
}

int printf(const char *fmt, ...) {
  struct out o = {0};
  va_list ap;
  int locked = spin_lock_bounded(&console, 1L << 22);
  if (guest_line_open) {
    uart_putc('\r');
    uart_putc('\n');
    guest_line_open = 0;
  }
  va_start(ap, fmt);
  format(&o, fmt, ap);
  va_end(ap);
  if (locked)
    spin_unlock(&console);
  return (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...) {
  struct out o = {buf, n, 0};
  va_list ap;
  va_start(ap, fmt);
  format(&o, fmt, ap);
  va_end(ap);
  if (n)
    buf[o.len < n ? o.len : n - 1] = 0;
  return (int)o.len;
}

void panic(const char *fmt, ...) {
  struct out o = {0};
  va_list ap;
  printf("\nhv: PANIC: ");
  va_start(ap, fmt);
  format(&o, fmt, ap);
  va_end(ap);
  printf("\n");
  integrity_check();  // a stack overflow, a modified hypervisor? (guard.c)
  printf("hv: FAIL: hypervisor panic, powering off with status %d\n",
         EXIT_HV_PANIC);
  poweroff(EXIT_HV_PANIC);
}
