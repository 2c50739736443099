// Where the grader's own guests live in the virt machine's RAM.
//
// The grader has QEMU load its guest (grader/guests/*.S, built from the
// grader's tree) at GUEST_IMAGE and the values it draws for the run at
// GUEST_PARAMS (-device loader); stage 3 runs that guest with
// guest=image image=0x84000000, with hgatp=Bare, so these guest physical
// addresses are host physical ones. Both are in RAM that nothing else
// uses: the hypervisor is at 0x80200000 and needs well under 1 MB.
//
// Shared interface: plain #defines, for the hypervisor, the grader's
// guests (assembly) and the host tools.
#pragma once

#define GUEST_IMAGE 0x84000000
#define GUEST_PARAMS 0x84100000  // u64 nonce, u64 rounds
