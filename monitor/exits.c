// What the exit trace means: counters with a monitor-side baseline, rates,
// the log of records, and the names shown for causes and SBI calls.
//
// Nothing here talks to QEMU, so the same code serves the TUI and the
// batch mode, and the counts on screen are the hypervisor's own: the
// monitor never counts exits itself, it only subtracts a baseline (`r`).

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hvlab/causes.h"
#include "hvlab/escape.h"
#include "hvlab/sbi_ids.h"
#include "monitor.h"

void exits_init(struct exits *e) { memset(e, 0, sizeof *e); }

// A header that says something impossible: the guest can write anywhere
// in stage 3 (no G-stage isolation), the trace included. Say so rather
// than show nonsense. `exact`: total and counters are one snapshot (the
// target was stopped); while it runs the hypervisor may count an exit
// between our reads of total and the counters, so only a large gap
// counts then.
static void check_header(struct exits *e, uint64_t total, const uint64_t *count,
                         int exact) {
  uint64_t sum = 0;
  int wrapped = 0;
  for (int i = 0; i < TRACE_NCOUNT; i++) {
    wrapped |= sum + count[i] < sum;
    sum += count[i];
  }
  uint64_t gap = sum > total ? sum - total : total - sum;
  if (e->valid && total < e->total)
    snprintf(e->corrupt, sizeof e->corrupt,
             "the trace's total went back from %llu to %llu",
             (unsigned long long)e->total, (unsigned long long)total);
  else if (wrapped || gap > (exact ? 0 : 1u << 20))
    snprintf(e->corrupt, sizeof e->corrupt,
             "the trace's counters add up to %llu%s, its total says %llu",
             (unsigned long long)sum, wrapped ? " (overflowing)" : "",
             (unsigned long long)total);
}

void exits_counts(struct exits *e, uint64_t total, const uint64_t *count,
                  double now, int exact) {
  check_header(e, total, count, exact);
  e->total = total;
  memcpy(e->count, count, sizeof e->count);
  if (!e->valid) {
    e->valid = 1;
    e->first_total = total;
    memcpy(e->first, count, sizeof e->first);
    e->rate_t = now;
    memcpy(e->rate_prev, count, sizeof e->rate_prev);
    return;
  }
  if (e->paused)
    return;  // nothing runs: the rates stay 0 (exits_resume starts again)
  // Rates over about a second: a 10 Hz refresh sees too few exits of a
  // rare cause for a per-refresh rate to mean anything.
  double dt = now - e->rate_t;
  if (dt < 0.9)
    return;
  e->rate_total = 0;
  for (int i = 0; i < TRACE_NCOUNT; i++) {
    uint64_t d = count[i] >= e->rate_prev[i] ? count[i] - e->rate_prev[i] : 0;
    e->rate[i] = (double)d / dt;
    e->rate_total += e->rate[i];
  }
  e->rate_t = now;
  memcpy(e->rate_prev, count, sizeof e->rate_prev);
}

void exits_pause(struct exits *e) {
  memset(e->rate, 0, sizeof e->rate);
  e->rate_total = 0;
  e->paused = 1;
}

void exits_resume(struct exits *e, double now) {
  // Rates start again from here, not from before the pause.
  e->paused = 0;
  e->rate_t = now;
  memcpy(e->rate_prev, e->count, sizeof e->rate_prev);
}

// Per-SBI-call counts under "ecall from VS-mode", from the records read.
static void count_sbi(struct exits *e, uint64_t eid, uint64_t fid) {
  for (int i = 0; i < e->nsbi; i++)
    if (e->sbi[i].eid == eid && e->sbi[i].fid == fid) {
      e->sbi[i].n++;
      return;
    }
  if (e->nsbi < SBI_ROWS) {
    e->sbi[e->nsbi++] = (struct sbi_count){eid, fid, 1};
    return;
  }
  e->sbi_other++;
}

void exits_add(struct exits *e, const struct exit_record *r, double now) {
  if (r->cause == EXC_ECALL_VS)
    count_sbi(e, r->arg[0], r->arg[1]);
  int at;
  if (e->log_len < LOG_MAX) {
    at = (e->log_head + e->log_len++) % LOG_MAX;
  } else {
    at = e->log_head;
    e->log_head = (e->log_head + 1) % LOG_MAX;
  }
  e->log[at].r = *r;
  e->log[at].when = now;
  if (r->seq > e->seen)
    e->seen = r->seq;
}

void exits_reset(struct exits *e) {
  e->base_total = e->total;
  memcpy(e->base, e->count, sizeof e->base);
  e->base_missed = e->missed;
  e->log_len = 0;
  e->log_head = 0;
  e->nsbi = 0;
  e->sbi_other = 0;
}

uint64_t exits_shown(const struct exits *e, int idx) {
  return e->count[idx] - e->base[idx];
}

uint64_t exits_shown_total(const struct exits *e) {
  return e->total - e->base_total;
}

double exits_percent(const struct exits *e, int idx) {
  // Of the counters' sum, not of `total`: the same when the trace is
  // sane, and never over 100 % when it is not.
  double sum = 0;
  for (int i = 0; i < TRACE_NCOUNT; i++)
    sum += (double)exits_shown(e, i);
  return sum > 0 ? 100.0 * (double)exits_shown(e, idx) / sum : 0;
}

// ---- Names ------------------------------------------------------------------------

uint64_t cause_of_index(int idx) {
  if (idx < 32)
    return (uint64_t)idx;
  if (idx == TRACE_OTHER)
    return ~0ULL;  // no single cause
  return (1ULL << 63) | (uint64_t)(idx - 32);
}

// The names come from the one table the hypervisor and the grader use.
const char *cause_long(uint64_t cause) {
  return cause == ~0ULL ? "other" : hv_cause_name(cause);
}

const char *cause_short(uint64_t cause) {
  return cause == ~0ULL ? "other" : hv_cause_brief(cause);
}

int cause_parse(const char *in, int *cand, int max, int *ncand) {
  char s[64];
  while (isspace((unsigned char)*in))
    in++;
  snprintf(s, sizeof s, "%s", in);
  for (size_t n = strlen(s); n && isspace((unsigned char)s[n - 1]);)
    s[--n] = 0;
  *ncand = 0;
  if (!*s)
    return -1;
  if (isdigit((unsigned char)*s)) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || errno)
      return -1;
    return (int)trace_index(v);
  }
  // A name: exactly one of the spec's or the brief names wins outright;
  // otherwise every cause whose name contains the words is a candidate,
  // and more than one is for the user to choose from, never for us.
  int found = -1;
  for (int i = 0; i < TRACE_NCOUNT; i++) {
    const struct hv_cause_name *n = hv_cause(cause_of_index(i));
    if (!n)
      continue;
    if (!strcasecmp(n->name, s) || !strcasecmp(n->brief, s))
      return i;
    if (strcasestr(n->name, s) || strcasestr(n->brief, s)) {
      if (*ncand < max)
        cand[*ncand] = i;
      ++*ncand;
      found = i;
    }
  }
  if (*ncand == 1)
    return found;
  return *ncand > 1 ? -2 : -1;
}

// "EXT name" for a function id the table has, "EXT fid N" otherwise.
static const char *fn_name(const char *ext, const char *const *names,
                           uint64_t nnames, uint64_t fid, char *buf, size_t n) {
  if (fid < nnames)
    snprintf(buf, n, "%s %s", ext, names[fid]);
  else
    snprintf(buf, n, "%s fid %llu", ext, (unsigned long long)fid);
  return buf;
}

// SBI calls by name (ids from the shared include/hvlab/sbi_ids.h).
const char *sbi_name(uint64_t eid, uint64_t fid, char *buf, size_t n) {
  static const char *const base_fn[] = {
      "spec_version", "impl_id", "impl_version", "probe_ext",
      "mvendorid",    "marchid", "mimpid"};
  static const char *const hvlab_fn[] = {"SEED", "TEST", "COUNT", "NOP"};
  static const char *const hsm_fn[] = {"hart_start", "hart_stop", "hart_status",
                                       "hart_suspend"};
  static const char *const rfence_fn[] = {
      "fence_i",     "sfence_vma",       "sfence_vma_asid", "hfence_gvma_vmid",
      "hfence_gvma", "hfence_vvma_asid", "hfence_vvma"};
  static const char *const dbcn_fn[] = {"write", "read", "write_byte"};
  static const char *const legacy_fn[] = {"clear_ipi", "send_ipi",
                                          "remote_fence_i", "remote_sfence_vma",
                                          "remote_sfence_vma_asid"};
  switch (eid) {
  case SBI_EXT_LEGACY_SET_TIMER:
    return snprintf(buf, n, "legacy set_timer"), buf;
  case SBI_EXT_LEGACY_PUTCHAR: return snprintf(buf, n, "legacy putchar"), buf;
  case SBI_EXT_LEGACY_GETCHAR: return snprintf(buf, n, "legacy getchar"), buf;
  case SBI_EXT_LEGACY_SHUTDOWN: return snprintf(buf, n, "legacy shutdown"), buf;
  case SBI_EXT_BASE:
    if (fid < 7)
      snprintf(buf, n, "BASE %s", base_fn[fid]);
    else
      snprintf(buf, n, "BASE fid %llu", (unsigned long long)fid);
    return buf;
  case SBI_EXT_TIME: return snprintf(buf, n, "TIME set_timer"), buf;
  case SBI_EXT_LEGACY_CLEAR_IPI:
  case SBI_EXT_LEGACY_SEND_IPI:
  case SBI_EXT_LEGACY_REMOTE_FENCE_I:
  case SBI_EXT_LEGACY_REMOTE_SFENCE_VMA:
  case SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID:
    return snprintf(buf, n, "legacy %s",
                    legacy_fn[eid - SBI_EXT_LEGACY_CLEAR_IPI]),
           buf;
  case SBI_EXT_IPI: return snprintf(buf, n, "IPI send_ipi"), buf;
  case SBI_EXT_RFENCE: return fn_name("RFENCE", rfence_fn, 7, fid, buf, n);
  case SBI_EXT_HSM: return fn_name("HSM", hsm_fn, 4, fid, buf, n);
  case SBI_EXT_DBCN: return fn_name("DBCN", dbcn_fn, 3, fid, buf, n);
  case SBI_EXT_SRST:
    return snprintf(buf, n, fid == 0 ? "SRST" : "SRST fid %llu",
                    (unsigned long long)fid),
           buf;
  case SBI_EXT_HVLAB:
    if (fid < 4)
      snprintf(buf, n, "hvlab %s", hvlab_fn[fid]);
    else
      snprintf(buf, n, "hvlab fid %llu", (unsigned long long)fid);
    return buf;
  default:
    snprintf(buf, n, "eid %#llx fid %llu", (unsigned long long)eid,
             (unsigned long long)fid);
    return buf;
  }
}

// hstatus (privileged spec 8.2.1): the fields a hypervisor writer cares
// about, from the most to the least significant.
const char *hstatus_bits(uint64_t v, char *buf, size_t n) {
  static const struct {
    const char *name;
    uint64_t bit;
  } bits[] = {
#define FLAG(name) {#name, HSTATUS_##name},
      HSTATUS_FLAGS(FLAG)
#undef FLAG
  };
  size_t k =
      (size_t)snprintf(buf, n, "VSXL=%u VGEIN=%u", (unsigned)(v >> 32) & 3,
                       (unsigned)(v >> 12) & 63);
  for (size_t i = 0; i < sizeof bits / sizeof bits[0] && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, " %s%s", v & bits[i].bit ? "" : "-",
                          bits[i].name);
  return buf;
}

const char *rec_args(const struct exit_record *r, char *buf, size_t n) {
  if (r->cause == EXC_ECALL_VS && r->arg[0] == SBI_EXT_LEGACY_PUTCHAR) {
    // The character itself, escaped if it would not print: what a
    // lecture wants to see ("putchar 'h'"), and short enough for 80
    // columns.
    unsigned c = (unsigned)r->arg[2] & 0xff;
    if (c == '\n')
      snprintf(buf, n, "putchar '\\n'");
    else if (c >= ' ' && c <= '~' && c != '\\' && c != '\'')
      snprintf(buf, n, "putchar '%c'", c);
    else
      snprintf(buf, n, "putchar '\\x%02x'", c);
  } else if (r->cause == EXC_ECALL_VS) {  // a7, a6, a0 (hvlab/trace.h)
    char s[48];
    snprintf(buf, n, "%s a0=%#llx", sbi_name(r->arg[0], r->arg[1], s, sizeof s),
             (unsigned long long)r->arg[2]);
  } else if (r->cause == 20 || r->cause == 21 || r->cause == 23) {
    snprintf(buf, n, "gva=%#llx gpa=%#llx", (unsigned long long)r->arg[0],
             (unsigned long long)r->arg[1]);
  } else {
    snprintf(buf, n, "stval=%#llx", (unsigned long long)r->arg[0]);
  }
  return buf;
}

// ---- The table's rows ------------------------------------------------------------

static const struct exits *sort_e;
static enum sort_by sort_how;

static int row_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  if (sort_how == SORT_NAME) {
    int c =
        strcmp(cause_short(cause_of_index(x)), cause_short(cause_of_index(y)));
    return c ? c : x - y;
  }
  if (sort_how == SORT_RATE && sort_e->rate[x] != sort_e->rate[y])
    return sort_e->rate[x] < sort_e->rate[y] ? 1 : -1;
  uint64_t cx = exits_shown(sort_e, x), cy = exits_shown(sort_e, y);
  if (cx != cy)
    return cx < cy ? 1 : -1;
  return x - y;
}

int cause_matches(const regex_t *re, uint64_t cause) {
  return !re || regexec(re, cause_long(cause), 0, NULL, 0) == 0 ||
         regexec(re, cause_short(cause), 0, NULL, 0) == 0;
}

int exits_rows(const struct exits *e, enum sort_by by, const regex_t *filter,
               int *idx, int max) {
  int n = 0;
  for (int i = 0; i < TRACE_NCOUNT && n < max; i++)
    if (exits_shown(e, i) != 0 && cause_matches(filter, cause_of_index(i)))
      idx[n++] = i;
  sort_e = e;
  sort_how = by;
  qsort(idx, (size_t)n, sizeof *idx, row_cmp);
  return n;
}

// ---- Console ---------------------------------------------------------------------

// Lines are kept as printable text only: QEMU's serial output is the
// guest's and could hold escape sequences that would move the cursor or
// change colours under curses. Every byte goes through hvlab/escape.h
// (ESC shows as \x1b), except that a tab becomes a space and '\r' (the
// UART's CR LF) is dropped.
static void con_push(struct console *c) {
  c->part[c->plen] = 0;
  int at;
  if (c->n < CON_LINES) {
    at = (c->head + c->n++) % CON_LINES;
  } else {
    at = c->head;
    c->head = (c->head + 1) % CON_LINES;
    free(c->line[at]);
  }
  c->line[at] = strdup(c->part);
  c->plen = 0;
}

void con_feed(struct console *c, const char *p, size_t n) {
  c->bytes += n;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (ch == '\n') {
      con_push(c);
      continue;
    }
    if (ch == '\r')
      continue;
    char e[HV_ESCAPE_MAX];
    size_t k = (size_t)hv_escape_byte(ch == '\t' ? ' ' : ch, e);
    if (c->plen + k >= sizeof c->part)
      con_push(c);  // an overlong line continues on the next one
    memcpy(c->part + c->plen, e, k);
    c->plen += k;
  }
}

const char *con_line(const struct console *c, int i) {
  if (i < 0 || i >= c->n)
    return "";
  const char *s = c->line[(c->head + i) % CON_LINES];
  return s ? s : "";
}

void con_free(struct console *c) {
  for (int i = 0; i < CON_LINES; i++)
    free(c->line[i]);
  memset(c, 0, sizeof *c);
}
