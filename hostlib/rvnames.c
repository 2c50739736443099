// Register and CSR names for the instruction decoder: see rvdecode.h.
//
// CSR numbers come from include/hvlab/csr.h where it has them, so the
// hypervisor and the host tools cannot disagree; the rest (M-mode, the
// counters, floating point, debug) are written out here from the
// privileged spec's CSR listing (tables 2.2 to 2.6).

#include <stddef.h>

#include "hvlab/csr.h"
#include "hvlab/regs.h"
#include "rvdecode.h"

static const char *const fnames[32] = {
    "ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6",  "ft7",
    "fs0", "fs1", "fa0",  "fa1",  "fa2", "fa3", "fa4",  "fa5",
    "fa6", "fa7", "fs2",  "fs3",  "fs4", "fs5", "fs6",  "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};

const char *rv_xreg_name(int n) { return hv_xreg_name(n); }
const char *rv_freg_name(int n) { return n >= 0 && n < 32 ? fnames[n] : "?"; }

static const struct {
  int num;
  const char *name;
} csrs[] = {
    // Unprivileged: floating point, entropy, counters.
    {0x001, "fflags"},
    {0x002, "frm"},
    {0x003, "fcsr"},
    {0x015, "seed"},
    {0xc00, "cycle"},
    {CSR_TIME, "time"},
    {0xc02, "instret"},
    // Supervisor.
    {CSR_SSTATUS, "sstatus"},
    {CSR_SIE, "sie"},
    {CSR_STVEC, "stvec"},
    {CSR_SCOUNTEREN, "scounteren"},
    {CSR_SENVCFG, "senvcfg"},
    {CSR_SSCRATCH, "sscratch"},
    {CSR_SEPC, "sepc"},
    {CSR_SCAUSE, "scause"},
    {CSR_STVAL, "stval"},
    {CSR_SIP, "sip"},
    {CSR_STIMECMP, "stimecmp"},
    {CSR_SATP, "satp"},
    {0x5a8, "scontext"},
    // Virtual supervisor.
    {CSR_VSSTATUS, "vsstatus"},
    {CSR_VSIE, "vsie"},
    {CSR_VSTVEC, "vstvec"},
    {CSR_VSSCRATCH, "vsscratch"},
    {CSR_VSEPC, "vsepc"},
    {CSR_VSCAUSE, "vscause"},
    {CSR_VSTVAL, "vstval"},
    {CSR_VSIP, "vsip"},
    {CSR_VSTIMECMP, "vstimecmp"},
    {CSR_VSATP, "vsatp"},
    // Hypervisor.
    {CSR_HSTATUS, "hstatus"},
    {CSR_HEDELEG, "hedeleg"},
    {CSR_HIDELEG, "hideleg"},
    {CSR_HIE, "hie"},
    {CSR_HTIMEDELTA, "htimedelta"},
    {CSR_HCOUNTEREN, "hcounteren"},
    {CSR_HGEIE, "hgeie"},
    {CSR_HENVCFG, "henvcfg"},
    {CSR_HTVAL, "htval"},
    {CSR_HIP, "hip"},
    {CSR_HVIP, "hvip"},
    {CSR_HTINST, "htinst"},
    {CSR_HGATP, "hgatp"},
    {0x6a8, "hcontext"},
    {CSR_HGEIP, "hgeip"},
    // Machine.
    {0xf11, "mvendorid"},
    {0xf12, "marchid"},
    {0xf13, "mimpid"},
    {0xf14, "mhartid"},
    {0xf15, "mconfigptr"},
    {0x300, "mstatus"},
    {0x301, "misa"},
    {0x302, "medeleg"},
    {0x303, "mideleg"},
    {0x304, "mie"},
    {0x305, "mtvec"},
    {0x306, "mcounteren"},
    {0x30a, "menvcfg"},
    {0x320, "mcountinhibit"},
    {0x340, "mscratch"},
    {0x341, "mepc"},
    {0x342, "mcause"},
    {0x343, "mtval"},
    {0x344, "mip"},
    {0x34a, "mtinst"},
    {0x34b, "mtval2"},
    {0x747, "mseccfg"},
    {0xb00, "mcycle"},
    {0xb02, "minstret"},
    // Debug and triggers.
    {0x7a0, "tselect"},
    {0x7a1, "tdata1"},
    {0x7a2, "tdata2"},
    {0x7a3, "tdata3"},
    {0x7a8, "mcontext"},
    {0x7b0, "dcsr"},
    {0x7b1, "dpc"},
    {0x7b2, "dscratch0"},
    {0x7b3, "dscratch1"},
};

// Numbered families, written out (string pasting) so every name is a
// constant and no buffer is shared between callers.
#define N3_31(p)                                                               \
  p "3", p "4", p "5", p "6", p "7", p "8", p "9", p "10", p "11", p "12",     \
      p "13", p "14", p "15", p "16", p "17", p "18", p "19", p "20", p "21",  \
      p "22", p "23", p "24", p "25", p "26", p "27", p "28", p "29", p "30",  \
      p "31"
#define N0_15(p)                                                               \
  p "0", p "1", p "2", p "3", p "4", p "5", p "6", p "7", p "8", p "9",        \
      p "10", p "11", p "12", p "13", p "14", p "15"
// TENS(p, 1): "p10" to "p19".
#define TENS(p, t)                                                             \
  p #t "0", p #t "1", p #t "2", p #t "3", p #t "4", p #t "5", p #t "6",        \
      p #t "7", p #t "8", p #t "9"

static const char *const hpmcounter[] = {N3_31("hpmcounter")};
static const char *const mhpmcounter[] = {N3_31("mhpmcounter")};
static const char *const mhpmevent[] = {N3_31("mhpmevent")};
static const char *const pmpcfg[] = {N0_15("pmpcfg")};
static const char *const pmpaddr[] = {
    "pmpaddr0",         "pmpaddr1",         "pmpaddr2",
    "pmpaddr3",         "pmpaddr4",         "pmpaddr5",
    "pmpaddr6",         "pmpaddr7",         "pmpaddr8",
    "pmpaddr9",         TENS("pmpaddr", 1), TENS("pmpaddr", 2),
    TENS("pmpaddr", 3), TENS("pmpaddr", 4), TENS("pmpaddr", 5),
    "pmpaddr60",        "pmpaddr61",        "pmpaddr62",
    "pmpaddr63"};

const char *rv_csr_name(int csr) {
  for (size_t i = 0; i < sizeof csrs / sizeof csrs[0]; i++)
    if (csrs[i].num == csr)
      return csrs[i].name;
  if (csr >= 0xc03 && csr <= 0xc1f)
    return hpmcounter[csr - 0xc03];
  if (csr >= 0xb03 && csr <= 0xb1f)
    return mhpmcounter[csr - 0xb03];
  if (csr >= 0x323 && csr <= 0x33f)
    return mhpmevent[csr - 0x323];
  if (csr >= 0x3a0 && csr <= 0x3af)
    return pmpcfg[csr - 0x3a0];
  if (csr >= 0x3b0 && csr <= 0x3ef)
    return pmpaddr[csr - 0x3b0];
  return NULL;
}
