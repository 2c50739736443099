// Stage 3: answering hypercalls. A guest written for real hardware calls
// SBI firmware with ecall; under us that ecall exits to HS-mode instead, so
// we play the firmware: BASE, the legacy console, system reset (SRST), and
// hvlab's own extension. Unknown calls get SBI_ERR_NOT_SUPPORTED, exactly
// as the SBI spec asks, so a guest can probe for what exists.

#include "hypercall.h"
#include "defs.h"
#include "hvlab/escape.h"
#include "run.h"

struct sbi_ext {
  u64 lo, hi;  // extension id range
  sbi_handler_t fn;
};

// The registered extensions, ended by an entry with fn == NULL.
#define MAX_EXT 24
static struct sbi_ext exts[MAX_EXT + 1];
static int next;

void sbi_register(u64 lo, u64 hi, sbi_handler_t fn) {
  for (int i = 0; i < next; i++)
    if (exts[i].lo == lo && exts[i].hi == hi) {  // a later stage's version
      exts[i].fn = fn;
      return;
    }
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

// The exit handler for every ecall from VS-mode (registered in exits.c):
// find the extension (a7), let it answer the function (a6), then write
// the answer into the guest's a0/a1 and step over the ecall. This is the
// only place that does either, for every SBI call.
int hypercall(struct vcpu *v, struct vm_exit *e) {
  (void)e;
  const struct sbi_ext *x = find(v->x[17]);  // a7: extension id
  struct sbiret r = x ? x->fn(v, v->x[16])   // a6: function id
                      : SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  if (r.error == SBI_REPLY_STOPPED)
    return EXIT_STOP;
  v->x[10] = (u64)r.error;  // a0
  v->x[11] = (u64)r.value;  // a1
  // Skip the ecall: it has no compressed form.
  return 4;
}

// ---- BASE (SBI spec chapter 4) ---------------------------------------------
#define HVLAB_IMPL_ID 0x48564c  // not a registered SBI implementation id

struct sbiret sbi_base(struct vcpu *v, u64 fid) {
  // BEGIN TASK lab3.4
  switch (fid) {
  case SBI_BASE_GET_SPEC_VERSION:
    return SBI_OK(1L << 24);  // SBI 1.0: major in bits 24..30
  case SBI_BASE_GET_IMPL_ID: return SBI_OK(HVLAB_IMPL_ID);
  case SBI_BASE_GET_IMPL_VERSION: return SBI_OK(1);
  case SBI_BASE_PROBE_EXT: return SBI_OK(find(v->x[10]) != NULL);
  case SBI_BASE_GET_MVENDORID:
  case SBI_BASE_GET_MARCHID:
  case SBI_BASE_GET_MIMPID: return SBI_OK(0);  // a virtual hart of no vendor
  default: return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  }
  // STUB: (void)v;
  // STUB: (void)fid;
  // STUB: @TODO@;
  // END TASK
}

// ---- Legacy console (SBI v0.1, still used by small guests) ------------------
// Guest output is prefixed "guest| " at the start of each line, so it is
// easy to tell from the hypervisor's own "hv:" lines (printf.c's
// console_guest knows where the guest's lines start). A CR right before
// a LF is the line end a terminal wants; any other CR, which would take
// the cursor back over the prefix, is shown as \x0d.
static int cr_waiting;

void guest_putc(int c) {
  char shown[HV_ESCAPE_MAX];  // ESC, CR, NUL...: as \xHH (hvlab/escape.h)
  if (cr_waiting && c != '\n')
    console_guest("guest| ", "\\x0d");
  cr_waiting = c == '\r';
  if (cr_waiting)
    return;
  hv_escape_byte((unsigned char)c, shown);
  console_guest("guest| ", c == '\n' ? "\r\n" : shown);
}

static struct sbiret legacy_putchar(struct vcpu *v, u64 fid) {
  (void)fid;
  guest_putc((int)(v->x[10] & 0xff));
  return SBI_LEGACY(v, 0);  // 0: success
}

static struct sbiret legacy_getchar(struct vcpu *v, u64 fid) {
  (void)fid;
  return SBI_LEGACY(v, uart_getc());  // the character, or -1: nothing typed
}

// Stop the guest (a line it left open ends first: printf.c).
struct sbiret guest_stop(struct vcpu *v, int status, const char *how) {
  printf("hv: guest '%s' %s (status %d)\n", v->name, how, status);
  v->status = status;
  v->state = VCPU_STOPPED;
  return SBI_STOPPED;
}

static struct sbiret legacy_shutdown(struct vcpu *v, u64 fid) {
  (void)fid;
  return guest_stop(v, 0, "shut down (legacy SBI)");
}

// ---- System reset (SRST, SBI spec chapter 10) ------------------------------
static struct sbiret srst(struct vcpu *v, u64 fid) {
  u64 type = v->x[10], reason = v->x[11];
  if (fid != SBI_SRST_RESET)
    return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  if (type > SBI_SRST_TYPE_WARM_REBOOT || reason > 1)
    return SBI_ERR(SBI_ERR_INVALID_PARAM);
  // Only a shutdown without a failure reason is a clean end (status 0).
  // A reboot is not: stage 3 cannot restart a guest, so a guest that
  // asks for one did not finish, whatever reason it gives.
  if (type != SBI_SRST_TYPE_SHUTDOWN)
    return guest_stop(v, EXIT_FAIL, "asked for a reboot; stopping it instead");
  return guest_stop(v, reason == SBI_SRST_REASON_NONE ? 0 : EXIT_FAIL,
                    "shut down");
}

void hypercall_init(void) {
  // Most frequent first: the lookup is a linear scan.
  sbi_register(SBI_EXT_HVLAB, SBI_EXT_HVLAB, hvlab_ext);
  sbi_register(SBI_EXT_LEGACY_PUTCHAR, SBI_EXT_LEGACY_PUTCHAR, legacy_putchar);
  sbi_register(SBI_EXT_BASE, SBI_EXT_BASE, sbi_base);
  sbi_register(SBI_EXT_SRST, SBI_EXT_SRST, srst);
  sbi_register(SBI_EXT_LEGACY_GETCHAR, SBI_EXT_LEGACY_GETCHAR, legacy_getchar);
  sbi_register(SBI_EXT_LEGACY_SHUTDOWN, SBI_EXT_LEGACY_SHUTDOWN,
               legacy_shutdown);
}
