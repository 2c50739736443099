// Opening a file that a user named: see file.h.

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind(mode_t m) {
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISCHR(m))
    return "a character device";
  if (S_ISBLK(m))
    return "a block device";
  if (S_ISSOCK(m))
    return "a socket";
  return "something else";
}

int open_regular(const char *path, int flags, char *err, size_t n) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags);
  if (fd < 0) {
    int e = errno;
    snprintf(err, n, "%s", strerror(e));
    errno = e;
    return -1;
  }
  struct stat sb;
  int e = 0;
  if (fstat(fd, &sb) < 0) {
    e = errno;
    snprintf(err, n, "%s", strerror(e));
  } else if (!S_ISREG(sb.st_mode)) {
    e = EINVAL;
    snprintf(err, n, "is %s, not a regular file", kind(sb.st_mode));
  }
  if (e) {
    close(fd);
    errno = e;
    return -1;
  }
  // Reads of a regular file never wait anyway; blocking mode keeps
  // libelf and libdw from ever seeing EAGAIN.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

char *read_stream(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0, got;
  char *s = malloc(cap);
  while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n < 2) {
      char *t = realloc(s, cap *= 2);
      if (!t)
        free(s);
      s = t;
    }
  }
  if (s)
    s[n] = 0;
  if (len)
    *len = s ? n : 0;
  return s;
}

char *read_file(const char *path, size_t *len) {
  char err[128];
  int fd = open_regular(path, 0, err, sizeof err);
  FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
  if (!f) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  char *s = read_stream(f, len);
  fclose(f);
  return s;
}
