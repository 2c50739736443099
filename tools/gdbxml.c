// Print a GDB target description for stepping through hvlab under QEMU
// (`make qemu-gdb` writes it; .gdbinit loads it with `set tdesc filename`).
//
// Why not QEMU's own? QEMU 7.2 describes every CSR it knows, including
// pmpcfg1 and pmpcfg3, which do not exist on RV64: reading them fails
// ("E14"), and GDB commands that read every register (`info frame`,
// `info registers all`) stop with an error. This description keeps QEMU's
// register numbers (x0-x31 = 0-31, pc = 32, the virtual `priv` = 65, CSR n
// = 66 + n) and lists the registers a hypervisor writer needs: the general
// registers, pc, the privilege level, and the S, VS and H CSRs, named by
// hostlib's one table of CSR names.

#include <stdio.h>

#include "rvdecode.h"

// CSRs QEMU 7.2's gdbstub does not serve although the spec has them.
static int served(int csr) {
  return csr != 0x14d && csr != 0x24d      // stimecmp, vstimecmp (Sstc)
         && csr != 0x5a8 && csr != 0x6a8;  // scontext, hcontext
}

// The supervisor (0x1xx, 0x5xx), virtual supervisor (0x2xx) and
// hypervisor (0x6xx, 0xexx) CSRs: bits 9:8 of the number are 01 or 10.
static int wanted(int csr) {
  int level = (csr >> 8) & 3;
  return level == 1 || level == 2;
}

int main(void) {
  printf("<?xml version=\"1.0\"?>\n"
         "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
         "<!-- Written by hvlab's tools/gdbxml.c: see there why. -->\n"
         "<target version=\"1.0\">\n"
         "  <architecture>riscv:rv64</architecture>\n"
         "  <feature name=\"org.gnu.gdb.riscv.cpu\">\n");
  for (int i = 0; i < 32; i++)
    printf("    <reg name=\"%s\" bitsize=\"64\" type=\"%s\" regnum=\"%d\"/>\n",
           rv_xreg_name(i),
           i == 1             ? "code_ptr"
           : i == 2 || i == 8 ? "data_ptr"
                              : "int",
           i);
  printf("    <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" "
         "regnum=\"32\"/>\n"
         "  </feature>\n"
         "  <feature name=\"org.gnu.gdb.riscv.virtual\">\n"
         "    <reg name=\"priv\" bitsize=\"64\" regnum=\"65\"/>\n"
         "  </feature>\n"
         "  <feature name=\"org.gnu.gdb.riscv.csr\">\n");
  int n = 0;
  for (int csr = 0; csr < 0x1000; csr++) {
    const char *name = rv_csr_name(csr);
    if (!name || !wanted(csr) || !served(csr))
      continue;
    printf("    <reg name=\"%s\" bitsize=\"64\" regnum=\"%d\" "
           "group=\"csr\"/>\n",
           name, 66 + csr);
    n++;
  }
  printf("  </feature>\n</target>\n");
  return n > 0 ? 0 : 1;
}
