// A spinlock, for the data several harts share (stage 5 runs one vCPU on
// each hart): the console, the exit trace's ring, device models.
#pragma once

typedef struct {
  volatile int held;
} spinlock_t;

static inline void spin_lock(spinlock_t *l) {
  while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
    while (l->held)  // wait with plain loads, not a storm of AMOs
      ;
}

// Take the lock unless that takes more than `tries` attempts; 1 if taken.
// For the console: a hart that trapped while printing never lets go, and
// its panic report must still come out.
static inline int spin_lock_bounded(spinlock_t *l, long tries) {
  for (long i = 0; i < tries; i++)
    if (!__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
      return 1;
  return 0;
}

static inline void spin_unlock(spinlock_t *l) {
  __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}
