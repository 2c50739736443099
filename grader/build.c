// Is a stage's image the one its sources make? The grader never runs an
// image older than the files it is built from: a stage whose build failed
// (make grade removes its image then) or was not redone since an edit is
// graded 0, with the compiler's first errors when there are any.

#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grade.h"
#include "tasks.h"

static int newer(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec > b->tv_sec ||
         (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

// nftw has no closure argument: one walk at a time, under this lock.
static pthread_mutex_t walk_mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec walk_elf;
static char walk_found[PATH_MAX];

static int walk_one(const char *p, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)ftw;
  if (flag == FTW_F && newer(&sb->st_mtim, &walk_elf)) {
    snprintf(walk_found, sizeof walk_found, "%s", p);
    return 1;  // stop at the first
  }
  return 0;
}

// The first lines of the build log that say "error", with the line after
// each, at most 12 lines in all; and the first such line in first.
static void first_errors(const char *log, struct sbuf *b, char *first,
                         size_t fn) {
  FILE *f = fopen(log, "re");
  first[0] = 0;
  if (!f)
    return;
  char line[400];
  int shown = 0, after = 0;
  while (shown < 12 && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    for (char *q = line; *q; q++)
      if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
        *q = '?';
    int is_err = strstr(line, "error") || strstr(line, "Error");
    if (is_err || after) {
      if (!shown)
        sb_printf(b, "the compiler says (%s):\n", log);
      sb_printf(b, "  %s\n", line);
      shown++;
      if (is_err && !first[0])
        snprintf(first, fn, "%.200s", line);
      after = is_err;
    }
  }
  fclose(f);
}

int image_check(const struct gctx *g, const struct gstage *st, char *reason,
                size_t rn, struct sbuf *details) {
  char elf[PATH_MAX], log[PATH_MAX], first[256];
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", g->build, st->num);
  snprintf(log, sizeof log, "%s/step%d/build.log", g->build, st->num);
  struct stat es;
  if (stat(elf, &es) != 0) {
    first_errors(log, details, first, sizeof first);
    if (first[0])
      snprintf(reason, rn, "does not compile: %s", first);
    else
      snprintf(reason, rn,
               "not built: %s is missing (did the stage fail to compile?)",
               elf);
    return -1;
  }
  // The files the image is made of: the owned ones of stages 1..N, and
  // the shared headers.
  const char *src = g->src ? g->src : ".";
  int stale = 0;
  pthread_mutex_lock(&walk_mu);
  walk_elf = es.st_mtim;
  walk_found[0] = 0;
  for (int i = 0; i <= grade_nowned && !stale; i++) {
    char dir[PATH_MAX];
    if (i < grade_nowned && grade_owned[i].stage > st->num)
      continue;
    snprintf(dir, sizeof dir, "%s/%s", src,
             i < grade_nowned ? grade_owned[i].path : "include");
    struct stat ds;
    if (stat(dir, &ds) == 0)
      stale = nftw(dir, walk_one, 16, FTW_PHYS) == 1;
  }
  if (stale) {
    first_errors(log, details, first, sizeof first);
    if (first[0])
      snprintf(reason, rn, "does not compile: %s", first);
    else
      snprintf(reason, rn,
               "stale image: %.200s is newer than %.200s (run make step%d "
               "or make grade: the grader never runs an image older than "
               "its sources)",
               walk_found, elf, st->num);
  }
  pthread_mutex_unlock(&walk_mu);
  return stale ? -1 : 0;
}
