/* fuzz_replay: a main() for fuzz targets in ordinary (non-libFuzzer) builds. Replays every regular file of
 * the corpus directories given as arguments (the target's own first, then any it shares, such as plans/),
 * then ORCH_FUZZ_ITERATIONS (default 2000) deterministic mutations of them (byte flips, truncations,
 * duplications, splices), so the sanitizer build exercises each parser on hostile input in every
 * `make test`. Uses libc only. */
#include <dirent.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
  uint8_t *data;
  size_t size;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static int read_file(const char *path, struct input *in) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return -1;
  in->data = buf;
  in->size = n;
  return 0;
}

static void mutate_and_run(const struct input *a, const struct input *b) {
  size_t max = a->size + b->size + 64;
  uint8_t *m = malloc(max);
  if (!m) return;
  size_t n = a->size;
  memcpy(m, a->data, n);
  switch (rng() % 5) {
    case 0: /* flip some bytes */
      for (int i = 0; i < 4 && n; i++) m[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
      break;
    case 1: /* truncate */
      n = n ? rng() % n : 0;
      break;
    case 2: /* splice the tail of b */
      if (b->size) {
        size_t cut = n ? rng() % n : 0, from = rng() % b->size;
        memcpy(m + cut, b->data + from, b->size - from);
        n = cut + (b->size - from);
      }
      break;
    case 3: /* duplicate a chunk */
      if (n) {
        size_t at = rng() % n, len = rng() % (n - at + 1);
        if (len > 64) len = 64;
        memmove(m + at + len, m + at, n - at);
        n += len;
      }
      break;
    default: /* interesting bytes */
      if (n) {
        static const uint8_t special[] = {0, 0xff, '"', '<', '>', '{', '}', '[', ']', '\\', '%', '&', '\n'};
        m[rng() % n] = special[rng() % sizeof special];
      }
  }
  LLVMFuzzerTestOneInput(m, n);
  free(m);
}

int main(int argc, char **argv) {
  struct input inputs[512];
  size_t count = 0;
  for (int a = 1; a < argc; a++) {
    DIR *d = opendir(argv[a]);
    if (!d) {
      fprintf(stderr, "fuzz_replay: corpus directory %s is missing\n", argv[a]);
      return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) && count < 512) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      struct stat st;
      snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (read_file(path, &inputs[count]) == 0) count++;
    }
    closedir(d);
  }
  if (!count) {
    fprintf(stderr, "fuzz_replay: no corpus files in %s\n", argc > 1 ? argv[1] : "(none given)");
    return 1;
  }
  for (size_t i = 0; i < count; i++) LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
  const char *env = getenv("ORCH_FUZZ_ITERATIONS");
  long iterations = env ? strtol(env, NULL, 10) : 2000;
  for (long i = 0; i < iterations; i++) mutate_and_run(&inputs[rng() % count], &inputs[rng() % count]);
  printf("fuzz_replay: %zu corpus inputs, %ld mutations, no crash\n", count, iterations);
  for (size_t i = 0; i < count; i++) free(inputs[i].data);
  return 0;
}
