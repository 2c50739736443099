# Stage 5: where a secondary physical hart starts.
#
# The boot hart asks OpenSBI (SBI HSM hart_start) to start every other
# hart here, with a0 = its hart id and a1 = the top of the stack stage 5
# gave it (smp.c). It sets up nothing but the stack and calls C.
#
# fp_save / fp_restore: a vCPU's floating-point registers, which the
# hypervisor itself never uses (it is built without the F and D
# extensions, so these few instructions are assembled with them on).

#include "cfi.h"

.cfi_sections .debug_frame
.section .text
.globl hart_entry
.type hart_entry, @function
hart_entry:
        .cfi_startproc
        .cfi_undefined ra       # the first frame on this hart
        mv      sp, a1
        call    hart_main       # smp.c: hart_main(hartid); never returns
1:      wfi
        j       1b
        .cfi_endproc
.size hart_entry, . - hart_entry

.option push
.option arch, +d
# fp_save(u64 buf[33]): f0..f31, then fcsr. sstatus.FS must be on.
.globl fp_save
.type fp_save, @function
fp_save:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        fsd     f\n, 8*\n(a0)
        .endr
        frcsr   t0
        sd      t0, 8*32(a0)
        ret
.size fp_save, . - fp_save

# fp_restore(const u64 buf[33])
.globl fp_restore
.type fp_restore, @function
fp_restore:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        fld     f\n, 8*\n(a0)
        .endr
        ld      t0, 8*32(a0)
        fscsr   t0
        ret
.size fp_restore, . - fp_restore
.option pop
