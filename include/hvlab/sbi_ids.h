// SBI extension ids, function ids and error codes (SBI spec v2.0), and
// hvlab's own extension.
//
// Shared interface: the hypervisor answers these calls, the guests make
// them, and the host tools (monitor, grader) name and check them. Plain
// #defines only, for C (freestanding or hosted) and assembly alike.
#pragma once

// Extension ids (SBI spec chapters 4-10)
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_GETCHAR 0x02
#define SBI_EXT_LEGACY_CLEAR_IPI 0x03
#define SBI_EXT_LEGACY_SEND_IPI 0x04
#define SBI_EXT_LEGACY_REMOTE_FENCE_I 0x05
#define SBI_EXT_LEGACY_REMOTE_SFENCE_VMA 0x06
#define SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID 0x07
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494d45    // "TIME"
#define SBI_EXT_IPI 0x735049       // "sPI"
#define SBI_EXT_RFENCE 0x52464e43  // "RFNC"
#define SBI_EXT_HSM 0x48534d       // "HSM"
#define SBI_EXT_SRST 0x53525354    // "SRST": system reset
#define SBI_EXT_DBCN 0x4442434e    // "DBCN": debug console (v2.0)

// TIME, IPI
#define SBI_TIME_SET_TIMER 0
#define SBI_IPI_SEND_IPI 0

// RFENCE (the hfence functions are for guests that have the H extension)
#define SBI_RFENCE_FENCE_I 0
#define SBI_RFENCE_SFENCE_VMA 1
#define SBI_RFENCE_SFENCE_VMA_ASID 2
#define SBI_RFENCE_HFENCE_GVMA_VMID 3
#define SBI_RFENCE_HFENCE_GVMA 4
#define SBI_RFENCE_HFENCE_VVMA_ASID 5
#define SBI_RFENCE_HFENCE_VVMA 6

// HSM: functions, and the states hart_get_status returns
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_HART_SUSPEND 3
#define SBI_HSM_STATE_STARTED 0
#define SBI_HSM_STATE_STOPPED 1
#define SBI_HSM_STATE_START_PENDING 2
#define SBI_HSM_STATE_STOP_PENDING 3
#define SBI_HSM_STATE_SUSPENDED 4
#define SBI_HSM_STATE_SUSPEND_PENDING 5
#define SBI_HSM_STATE_RESUME_PENDING 6
#define SBI_HSM_SUSPEND_RET_DEFAULT 0x00000000
#define SBI_HSM_SUSPEND_NON_RET_DEFAULT 0x80000000

// DBCN
#define SBI_DBCN_WRITE 0
#define SBI_DBCN_READ 1
#define SBI_DBCN_WRITE_BYTE 2

// BASE functions
#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID 1
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXT 3
#define SBI_BASE_GET_MVENDORID 4
#define SBI_BASE_GET_MARCHID 5
#define SBI_BASE_GET_MIMPID 6

// SRST
#define SBI_SRST_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

// Error codes returned in a0
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED -1
#define SBI_ERR_NOT_SUPPORTED -2
#define SBI_ERR_INVALID_PARAM -3
#define SBI_ERR_DENIED -4
#define SBI_ERR_INVALID_ADDRESS -5
#define SBI_ERR_ALREADY_AVAILABLE -6

// hvlab's own extension. EIDs 0x09000000-0x09FFFFFF are for vendors; ours
// spells "HVL" in its low bytes. Guests use it to talk to the workbench.
#define SBI_EXT_HVLAB 0x0948564c
// The seed guest's hypercall: logged, changes no register.
#define HVLAB_SEED 0
#define HVLAB_TEST 1   // a0 = test id, a1 = 1 pass / 0 fail: a test result
#define HVLAB_COUNT 2  // a0 = how many exits the guest thinks it caused
#define HVLAB_NOP 3    // does nothing: the null hypercall, for benchmarks
// Stage 4 (guest memory):
// a0 = guest-physical address, a1 = bytes: the hypervisor checks
// the test pattern (step4-mem/pattern.h) at the host addresses behind them.
#define HVLAB_MEMCHECK 4
// a0 = guest virtual address, a1 = bytes: the hypervisor reads them as the
// guest would (both stages) and returns their byte sum, or
// SBI_ERR_INVALID_ADDRESS if any byte cannot be read.
#define HVLAB_READ 5
#define HVLAB_NFUNCS 6  // function ids are below this
