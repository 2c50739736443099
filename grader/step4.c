// Stage 4's tests: guest memory -- G-stage translation, guest-page faults,
// isolation.

#include <stdio.h>
#include <string.h>

#include "grade.h"
#include "hvlab/csr.h"
#include "hvlab/pte.h"

#define GUEST_PASS(what) "^guest\\| PASS " what "$"
#define GUEST_RAM 0x80000000UL
#define GUEST_RAM_SIZE (128UL << 20)

// Little-endian 64-bit entry i of a table we read.
static uint64_t entry(const uint8_t *t, unsigned i) {
  uint64_t v = 0;
  for (int b = 7; b >= 0; b--)
    v = v << 8 | t[i * 8 + (unsigned)b];
  return v;
}

// Stop at the paging guest's first exit, with its own translation on, and
// read hgatp and vsatp there. Returns the root's address, or 0.
static uint64_t at_first_exit(struct probe *pr, uint64_t *sepc) {
  uint64_t hgatp, vsatp, scause;
  if (probe_stop(pr, "guest_exit") < 0 || probe_reg(pr, "hgatp", &hgatp) < 0 ||
      probe_reg(pr, "vsatp", &vsatp) < 0 ||
      probe_reg(pr, "scause", &scause) < 0 || probe_reg(pr, "sepc", sepc) < 0)
    return 0;
  uint64_t mode = hgatp >> HGATP_MODE_SHIFT;
  uint64_t vmid = (hgatp & HGATP_VMID) >> HGATP_VMID_SHIFT;
  uint64_t root = (hgatp & HGATP_PPN) << PAGE_SHIFT;
  probe_check(pr, mode == HGATP_MODE_SV39X4,
              "hgatp = %#lx at the guest's first exit: MODE %lu; expected 8 "
              "(Sv39x4)",
              (unsigned long)hgatp, (unsigned long)mode);
  probe_check(pr, vmid != 0,
              "hgatp.VMID = %lu; expected a VMID of the guest's own (not 0, "
              "which the hypervisor's own state uses)",
              (unsigned long)vmid);
  probe_check(pr, root % SV39X4_ROOT_SIZE == 0 && root != 0,
              "the G-stage root is at %#lx; expected a 16 KiB aligned "
              "address (Sv39x4's root has 2048 entries)",
              (unsigned long)root);
  probe_check(pr, vsatp >> SATP_MODE_SHIFT == SATP_MODE_SV39,
              "vsatp = %#lx at the paging guest's first exit; expected its "
              "own Sv39 table (MODE 8) to be on",
              (unsigned long)vsatp);
  probe_check(pr, scause == EXC_ECALL_VS,
              "the first exit has scause %lu; expected 10 (its hypercall)",
              (unsigned long)scause);
  return mode == HGATP_MODE_SV39X4 ? root : 0;
}

// gdb: hgatp, and a walk of the guest's pc through the G-stage table in
// hypervisor memory: the host page holds the guest's ecall.
static void hgatp_walk(struct probe *pr) {
  uint64_t sepc;
  uint64_t root = at_first_exit(pr, &sepc);
  if (root == 0)
    return;
  uint64_t gpa = sepc;  // the guest maps its RAM 1:1 (guest/guest4.c)
  uint64_t pte;
  int level;
  if (probe_gstage_walk(pr, root, gpa, &pte, &level) < 0)
    return;
  if (!probe_check(pr, (pte & PTE_V) && PTE_IS_LEAF(pte),
                   "the G-stage walk of the guest's pc (GPA %#lx) ends in a "
                   "valid leaf",
                   (unsigned long)gpa))
    return;
  probe_check(pr, (pte & (PTE_R | PTE_X | PTE_U)) == (PTE_R | PTE_X | PTE_U),
              "the leaf for the guest's code is %#lx: it needs R, X and U "
              "(G-stage leaves are user pages)",
              (unsigned long)pte);
  uint64_t size = 1UL << (PAGE_SHIFT + 9 * level);
  uint64_t hpa = (PTE_PPN(pte) << PAGE_SHIFT) + (gpa & (size - 1));
  probe_check(pr, hpa != gpa,
              "GPA %#lx maps to another host address (the same would be "
              "the hypervisor's own memory)",
              (unsigned long)gpa);
  uint8_t b[4];
  if (probe_mem(pr, hpa, b, 4) < 0)
    return;
  uint32_t insn = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                  (uint32_t)b[3] << 24;
  probe_check(pr, insn == 0x00000073,
              "at host %#lx (the G-stage's answer for the guest's pc %#lx) "
              "there is %08x; expected the guest's ecall (00000073)",
              (unsigned long)hpa, (unsigned long)gpa, insn);
}

// gdb: every leaf of the G-stage table. Guest RAM is 128 MiB at
// 0x80000000, read/write/execute; the ROM page is not writable; and no
// leaf gives the guest the hypervisor's own image.
static void gstage_tables(struct probe *pr) {
  uint64_t sepc, img_end, size;
  uint64_t root = at_first_exit(pr, &sepc);
  if (root == 0 || probe_sym(pr, "__image_end", &img_end, &size) < 0)
    return;
  static uint8_t rt[SV39X4_ROOT_SIZE], t1[4096], t0[4096];
  if (probe_mem(pr, root, rt, sizeof rt) < 0)
    return;
  uint64_t ram = 0, rom_ok = 0, bad = 0, leaves = 0;
  for (unsigned i = 0; i < SV39X4_ROOT_ENTRIES; i++) {
    uint64_t e2 = entry(rt, i);
    if (!(e2 & PTE_V))
      continue;
    if (PTE_IS_LEAF(e2)) {
      bad++;
      probe_note(pr, "a 1 GiB leaf at root entry %u", i);
      continue;
    }
    if (probe_mem(pr, PTE_PPN(e2) << PAGE_SHIFT, t1, sizeof t1) < 0)
      return;
    for (unsigned j = 0; j < 512; j++) {
      uint64_t e1 = entry(t1, j);
      uint64_t gpa1 = (uint64_t)i << 30 | (uint64_t)j << 21;
      if (!(e1 & PTE_V))
        continue;
      unsigned n = 1;
      uint64_t leaf[512], gpa[512], span = 1UL << 21;
      if (PTE_IS_LEAF(e1)) {
        leaf[0] = e1, gpa[0] = gpa1;
      } else {
        if (probe_mem(pr, PTE_PPN(e1) << PAGE_SHIFT, t0, sizeof t0) < 0)
          return;
        n = 0, span = PAGE_SIZE;
        for (unsigned k = 0; k < 512; k++)
          if (entry(t0, k) & PTE_V)
            leaf[n] = entry(t0, k), gpa[n++] = gpa1 | (uint64_t)k << 12;
      }
      for (unsigned k = 0; k < n; k++) {
        uint64_t hpa = PTE_PPN(leaf[k]) << PAGE_SHIFT;
        leaves++;
        if (hpa < img_end && hpa + span > 0x80200000UL) {
          bad++;
          probe_note(pr, "GPA %#lx maps the hypervisor's image at %#lx",
                     (unsigned long)gpa[k], (unsigned long)hpa);
        }
        if (!(leaf[k] & PTE_U)) {
          bad++;
          probe_note(pr, "GPA %#lx: a leaf without U", (unsigned long)gpa[k]);
        }
        if (gpa[k] >= GUEST_RAM && gpa[k] < GUEST_RAM + GUEST_RAM_SIZE &&
            (leaf[k] & (PTE_R | PTE_W | PTE_X)) == (PTE_R | PTE_W | PTE_X))
          ram += span;
        else if (gpa[k] == 0x1000 && !(leaf[k] & PTE_W))
          rom_ok = 1;
        else {
          bad++;
          probe_note(pr, "GPA %#lx: a leaf outside the guest's memory (%#lx)",
                     (unsigned long)gpa[k], (unsigned long)leaf[k]);
        }
      }
    }
  }
  probe_note(pr, "%lu leaves", (unsigned long)leaves);
  probe_check(pr, ram == GUEST_RAM_SIZE,
              "the G-stage maps %lu KiB of guest RAM read/write/execute at "
              "0x80000000; expected 131072 KiB",
              (unsigned long)(ram >> 10));
  probe_check(pr, rom_ok, "a read-only leaf maps the ROM at GPA 0x1000");
  probe_check(pr, bad == 0,
              "%lu leaves that should not be there (notes say which)",
              (unsigned long)bad);
}

static const struct gtest tests[] = {
    // The hardware evidence first: every other test needs it.
    {
        .name = "hgatp_gdb",
        .points = 8,
        .about = "gdb at the paging guest's first exit: hgatp is Sv39x4 with "
                 "a VMID, vsatp is on, and the G-stage walk of its pc finds "
                 "its ecall in host memory",
        .append = "guest=paging",
        .probe = hgatp_walk,
        .expect = {"^step4: PASS"},
    },
    {
        .name = "two_stage_translation",
        .gate = "hgatp_gdb",
        .points = 8,
        .about = "the guest's pattern, written through its own Sv39 "
                 "mapping, is at the host addresses the hypervisor mapped",
        .append = "guest=paging",
        .expect = {"^hv: test 'paging'",
                   GUEST_PASS("the pattern written through the window is at "
                              "its GPAs"),
                   "^hv: memcheck: GPA [0-9a-f]+-[0-9a-f]+ \\(host "
                   "[0-9a-f]+\\.\\.\\.\\): 2048 of 2048 words hold the "
                   "pattern$",
                   GUEST_PASS("the hypervisor finds it at the host addresses "
                              "it mapped"),
                   "^hv: test 'paging': ok", "^step4: PASS"},
        .reject = {"^guest\\| FAIL", "PANIC"},
    },
    {
        .name = "safe_guest_reads",
        .gate = "hgatp_gdb",
        .points = 8,
        .about = "hypercalls that point at memory the guest does not own "
                 "get SBI_ERR_INVALID_ADDRESS, not a hypervisor panic",
        .append = "guest=paging",
        .status = ST_OK | ST_FAIL,
        .expect = {GUEST_PASS("the hypervisor reads our buffer through both "
                              "stages"),
                   GUEST_PASS("a buffer our table does not map: "
                              "SBI_ERR_INVALID_ADDRESS"),
                   GUEST_PASS("a buffer at a GPA we do not own: "
                              "SBI_ERR_INVALID_ADDRESS"),
                   GUEST_PASS("memcheck of a GPA we do not own: "
                              "SBI_ERR_INVALID_ADDRESS")},
        .reject = {"PANIC"},
    },
    {
        .name = "fault_beyond_ram",
        .gate = "hgatp_gdb",
        .points = 6,
        .about = "a store just past the guest's RAM (gram=64) is a store "
                 "guest-page fault, decoded, and stops the guest",
        .append = "guest=beyond gram=64",
        .expect = {"guest 'beyond': store guest-page fault \\(scause 23\\)$",
                   "^hv:   guest virtual address  0000000084000000$",
                   "^hv:   guest physical address 0000000084000000 \\(htval "
                   "21000000 << 2",
                   "^hv:   access: store/AMO, by the instruction itself",
                   "^hv:   region: none",
                   "^hv:   instruction at pc [0-9a-f]{16}: [0-9a-f]+ ",
                   "^hv: test 'beyond': stopped as it must be", "^step4: PASS"},
        .reject = {"not isolated", "PANIC"},
    },
    {
        .name = "fault_rom",
        .gate = "hgatp_gdb",
        .points = 4,
        .about = "the guest reads its ROM; its store there stops it",
        .append = "guest=rom",
        .expect = {GUEST_PASS("the ROM reads"), "^hv:   region: 'rom' ",
                   "failed: write to read-only memory at GPA 1000$",
                   "^step4: PASS"},
        .reject = {"not isolated", "PANIC"},
    },
    {
        .name = "fault_load_fetch",
        .gate = "hgatp_gdb",
        .points = 6,
        .about = "a load from and a jump into a hole: scause 21 and 20, the "
                 "unreadable instruction reported, not a panic",
        .append = "guest=load,fetch",
        .expect = {"guest 'load': load guest-page fault \\(scause 21\\)$",
                   "^hv: test 'load': stopped as it must be",
                   "guest 'fetch': instruction guest-page fault \\(scause "
                   "20\\)$",
                   "^hv:   instruction at pc 0000001000000000: unreadable",
                   "^hv: test 'fetch': stopped as it must be", "^step4: PASS"},
        .reject = {"not isolated", "PANIC"},
    },
    {
        .name = "fault_implicit",
        .gate = "hgatp_gdb",
        .points = 6,
        .about = "a fault in the guest's own page-table walk is decoded as "
                 "implicit, at the table's GPA, for the GVA it loaded",
        .append = "guest=ptwalk",
        .expect = {"^hv:   guest virtual address  0000000040000000$",
                   "^hv:   guest physical address 0000001000000000",
                   "^hv:   access: load, implicit",
                   "at GPA 1000000000 \\(implicit\\)$", "^step4: PASS"},
        .reject = {"PANIC"},
    },
    {
        .name = "isolation_checksum",
        .gate = "hgatp_gdb",
        .points = 6,
        .about = "every test of the default run ends as it must, and the "
                 "hypervisor's image and data are unchanged afterwards",
        .expect = {GUEST_PASS("a store to the hypervisor's code address hits "
                              "our RAM"),
                   GUEST_PASS("a store to the hypervisor's data address hits "
                              "our RAM"),
                   "^hv: hypervisor image and data checksum ([0-9a-f]{16}) "
                   "before, [0-9a-f]{16} after: unchanged$",
                   "^step4: PASS: 8 tests ran"},
        .reject = {"FAILED", "CHANGED", "PANIC"},
    },
    {
        .name = "mmio_device",
        .gate = "hgatp_gdb",
        .points = 6,
        .about = "guest-page faults in a registered device region go to the "
                 "device, which decodes loads and stores of every width",
        .append = "guest=mmio",
        .expect = {GUEST_PASS("the test device's ID reads \\(ld\\)"),
                   GUEST_PASS("its ID, 32 bits at a time \\(lw, "
                              "sign-extended\\)"),
                   GUEST_PASS("a store to SCRATCH reads back \\(sd, sb, ld\\)"),
                   GUEST_PASS("the device counted 7 accesses, this one "
                              "included"),
                   "^step4: PASS"},
        .reject = {"guest-page fault in guest", "PANIC"},
    },
    {
        .name = "ram_on_demand",
        .gate = "hgatp_gdb",
        .points = 4,
        .about = "with demand=on, guest RAM is mapped page by page on first "
                 "touch, and the pages hold what the guest wrote",
        .append = "demand=on guest=demand,paging",
        .expect = {"\\(mapped page by page on first touch\\)$",
                   GUEST_PASS("pages touched for the first time hold what we "
                              "wrote"),
                   "^hv: [1-9][0-9]+ guest pages mapped on demand$",
                   "^step4: PASS"},
        .reject = {"PANIC"},
    },
    {
        .name = "gstage_tables_gdb",
        .gate = "hgatp_gdb",
        .points = 8,
        .about = "gdb: the G-stage table maps exactly 128 MiB of RAM and a "
                 "read-only ROM page, all leaves U, none onto the hypervisor",
        .append = "guest=paging",
        .probe = gstage_tables,
        .expect = {"^step4: PASS"},
    },
};

GRADE_STAGE(4, "step4-mem", "guest memory: G-stage translation and isolation",
            tests);
