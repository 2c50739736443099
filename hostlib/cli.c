// [--list] [NAME...] for run-tests and bench: see cli.h.

#include <getopt.h>
#include <string.h>

#include "cli.h"

int cli_names(int argc, char **argv, void (*usage)(FILE *), int *list) {
  static const struct option opts[] = {{"list", no_argument, NULL, 'l'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  *list = 0;
  while ((c = getopt_long(argc, argv, "lh", opts, NULL)) != -1) {
    switch (c) {
    case 'l': *list = 1; break;
    case 'h': usage(stdout); return -1;
    default: usage(stderr); return -2;
    }
  }
  return optind;
}

int cli_match(const char *name, int n, char *const *words) {
  if (n == 0)
    return 1;
  for (int i = 0; i < n; i++)
    if (strstr(name, words[i]))
      return 1;
  return 0;
}
