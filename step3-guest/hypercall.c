// Stage 3: answering hypercalls. A guest written for real hardware calls
// SBI firmware with ecall; under us that ecall exits to HS-mode instead, so
// we play the firmware: BASE, the legacy console, system reset (SRST), and
// hvlab's own extension. Unknown calls get SBI_ERR_NOT_SUPPORTED, exactly
// as the SBI spec asks, so a guest can probe for what exists.

#include "hypercall.h"
#include "defs.h"
#include "run.h"

struct sbi_ext {
  u64 lo, hi;  // extension id range
  sbi_handler_t fn;
};

// The registered extensions, ended by an entry with fn == NULL.
#define MAX_EXT 16
static struct sbi_ext exts[MAX_EXT + 1];
static int next;

void sbi_register(u64 lo, u64 hi, sbi_handler_t fn) {
  if (next == MAX_EXT)
    panic("sbi_register: more than %d extensions", MAX_EXT);
  exts[next++] = (struct sbi_ext){lo, hi, fn};
}

static const struct sbi_ext *find(u64 eid) {
  for (const struct sbi_ext *x = exts; x->fn; x++)
    if (eid >= x->lo && eid <= x->hi)
      return x;
  return NULL;
}

// The exit handler for every ecall from VS-mode (registered in exits.c).
int hypercall(struct vcpu *v, struct vm_exit *e) {
  (void)e;
  const struct sbi_ext *x = find(v->x[17]);  // a7: extension id
  if (x)
    return x->fn(v, v->x[16]);  // a6: function id
  sbi_return(v, SBI_ERR_NOT_SUPPORTED, 0);
  return SBI_RESUME;
}

// ---- BASE (SBI spec chapter 4) ---------------------------------------------
#define HVLAB_IMPL_ID 0x48564c  // not a registered SBI implementation id

static int base(struct vcpu *v, u64 fid) {
  switch (fid) {
  case SBI_BASE_GET_SPEC_VERSION:
    sbi_return(v, SBI_SUCCESS, 1L << 24);  // SBI 1.0: major in bits 24..30
    break;
  case SBI_BASE_GET_IMPL_ID: sbi_return(v, SBI_SUCCESS, HVLAB_IMPL_ID); break;
  case SBI_BASE_GET_IMPL_VERSION: sbi_return(v, SBI_SUCCESS, 1); break;
  case SBI_BASE_PROBE_EXT:
    sbi_return(v, SBI_SUCCESS, find(v->x[10]) != NULL);
    break;
  case SBI_BASE_GET_MVENDORID:
  case SBI_BASE_GET_MARCHID:
  case SBI_BASE_GET_MIMPID:
    sbi_return(v, SBI_SUCCESS, 0);  // a virtual hart of no vendor
    break;
  default: sbi_return(v, SBI_ERR_NOT_SUPPORTED, 0);
  }
  return SBI_RESUME;
}

// ---- Legacy console (SBI v0.1, still used by small guests) ------------------
// Guest output is prefixed "guest| " at the start of each line, so it is
// easy to tell from the hypervisor's own "hv:" lines.
static int at_line_start = 1;

static void guest_putc(int c) {
  if (at_line_start)
    printf("guest| ");
  printf("%c", c);
  at_line_start = (c == '\n');
}

static int legacy_putchar(struct vcpu *v, u64 fid) {
  (void)fid;
  guest_putc((int)(v->x[10] & 0xff));
  v->x[10] = 0;  // legacy calls return only a0
  return SBI_RESUME;
}

static int legacy_getchar(struct vcpu *v, u64 fid) {
  (void)fid;
  v->x[10] = (u64)(i64)uart_getc();  // -1: nothing typed
  return SBI_RESUME;
}

// Stop the guest. A guest that was mid-line gets its line ended first.
int guest_stop(struct vcpu *v, int status, const char *how) {
  if (!at_line_start)
    guest_putc('\n');
  printf("hv: guest '%s' %s (status %d)\n", v->name, how, status);
  v->status = status;
  v->state = VCPU_STOPPED;
  return EXIT_STOP;
}

static int legacy_shutdown(struct vcpu *v, u64 fid) {
  (void)fid;
  return guest_stop(v, 0, "shut down (legacy SBI)");
}

// ---- System reset (SRST, SBI spec chapter 10) ------------------------------
static int srst(struct vcpu *v, u64 fid) {
  u64 type = v->x[10], reason = v->x[11];
  if (fid != SBI_SRST_RESET) {
    sbi_return(v, SBI_ERR_NOT_SUPPORTED, 0);
  } else if (type > SBI_SRST_TYPE_WARM_REBOOT || reason > 1) {
    sbi_return(v, SBI_ERR_INVALID_PARAM, 0);
  } else {
    int status = reason == SBI_SRST_REASON_FAILURE ? EXIT_FAIL : 0;
    return guest_stop(v, status,
                      type == SBI_SRST_TYPE_SHUTDOWN
                          ? "shut down"
                          : "asked for a reboot; stopping it instead");
  }
  return SBI_RESUME;
}

void hypercall_init(void) {
  // Most frequent first: the lookup is a linear scan.
  sbi_register(SBI_EXT_HVLAB, SBI_EXT_HVLAB, hvlab_ext);
  sbi_register(SBI_EXT_LEGACY_PUTCHAR, SBI_EXT_LEGACY_PUTCHAR, legacy_putchar);
  sbi_register(SBI_EXT_BASE, SBI_EXT_BASE, base);
  sbi_register(SBI_EXT_SRST, SBI_EXT_SRST, srst);
  sbi_register(SBI_EXT_LEGACY_GETCHAR, SBI_EXT_LEGACY_GETCHAR, legacy_getchar);
  sbi_register(SBI_EXT_LEGACY_SHUTDOWN, SBI_EXT_LEGACY_SHUTDOWN,
               legacy_shutdown);
}
