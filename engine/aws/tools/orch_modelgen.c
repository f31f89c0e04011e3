/* orch_modelgen: the build step that reduces botocore's JSON service models to the operations listed in
 * engine/aws/operations.txt (plus every shape they reach, errors included), strips documentation, and
 * writes a C file embedding one compact JSON document per service for orch_aws_model.
 * Uses jansson and orch_core (orch_buf, orch_str). Runs on the build host; exits 1 with a message. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_str.h"

#define MAX_LINE 512

struct wanted_op {
  char service[128];
  char name[128];
  int line;
};

struct wanted {
  struct wanted_op *ops;
  size_t n, cap;
};

struct depfile {
  struct orch_buf deps; /* space-separated, escaped list of the files read */
};

static void die(const char *fmt, ...) ORCH_PRINTF(1, 2);
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("orch_modelgen: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void oom(int rc) {
  if (rc) die("out of memory");
}

static void add_dep(struct depfile *d, const char *path) {
  oom(orch_buf_puts(&d->deps, " \\\n  "));
  for (const char *p = path; *p; p++) {
    if (*p == ' ' || *p == '#' || *p == '\\') oom(orch_buf_putc(&d->deps, '\\'));
    if (*p == '$') oom(orch_buf_putc(&d->deps, '$'));
    oom(orch_buf_putc(&d->deps, *p));
  }
}

/* operations.txt: "<service> <Operation>" per line; '#' starts a comment; blank lines ignored. */
static void read_operations(const char *path, struct wanted *w) {
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open operations list %s: %s", path, strerror(errno));
  char line[MAX_LINE];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') die("%s:%d: line too long", path, lineno);
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *s = orch_str_trim_inplace(line);
    if (!*s) continue;
    struct orch_strview parts[3];
    size_t n = 0;
    /* split on runs of blanks */
    for (char *p = s; *p && n < 3;) {
      while (*p == ' ' || *p == '\t') p++;
      if (!*p) break;
      char *start = p;
      while (*p && *p != ' ' && *p != '\t') p++;
      parts[n].p = start;
      parts[n].n = (size_t)(p - start);
      n++;
    }
    if (n != 2) die("%s:%d: expected '<service> <Operation>', got '%s'", path, lineno, s);
    if (parts[0].n >= sizeof w->ops->service || parts[1].n >= sizeof w->ops->name)
      die("%s:%d: name too long", path, lineno);
    if (w->n == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 64;
      w->ops = realloc(w->ops, w->cap * sizeof *w->ops);
      if (!w->ops) die("out of memory");
    }
    struct wanted_op *op = &w->ops[w->n];
    memcpy(op->service, parts[0].p, parts[0].n);
    op->service[parts[0].n] = '\0';
    memcpy(op->name, parts[1].p, parts[1].n);
    op->name[parts[1].n] = '\0';
    op->line = lineno;
    for (size_t i = 0; i < w->n; i++)
      if (!strcmp(w->ops[i].service, op->service) && !strcmp(w->ops[i].name, op->name))
        die("%s:%d: '%s %s' is already listed on line %d", path, lineno, op->service, op->name, w->ops[i].line);
    w->n++;
  }
  if (ferror(f)) die("error reading %s", path);
  fclose(f);
  if (w->n == 0) die("%s lists no operations", path);
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The newest API-version folder (they are dates, so the greatest name) that holds service-2.json. */
static void newest_version(const char *models, const char *service, const char *ops_path, int line,
                           char *out, size_t outsz) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", models, service);
  DIR *d = opendir(dir);
  if (!d)
    die("%s:%d: no model for service '%s': %s does not exist (install python3-botocore or set "
        "-DAWS_MODELS_DIR=<botocore/data>)",
        ops_path, line, service, dir);
  struct dirent *e;
  char best[256] = "";
  bool only_gz = false;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char file[1400];
    snprintf(file, sizeof file, "%s/%s/service-2.json", dir, e->d_name);
    if (!is_file(file)) {
      snprintf(file, sizeof file, "%s/%s/service-2.json.gz", dir, e->d_name);
      if (is_file(file)) only_gz = true;
      continue;
    }
    if (strcmp(e->d_name, best) > 0) snprintf(best, sizeof best, "%s", e->d_name);
  }
  closedir(d);
  if (!best[0]) {
    if (only_gz)
      die("%s: only compressed models (service-2.json.gz) found; decompress them or point "
          "AWS_MODELS_DIR at an uncompressed botocore data folder",
          dir);
    die("%s:%d: no API-version folder with service-2.json under %s", ops_path, line, dir);
  }
  snprintf(out, outsz, "%s/%s", dir, best);
}

static json_t *load_json(const char *path) {
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (!j) die("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
  if (!json_is_object(j)) die("%s: expected a JSON object", path);
  return j;
}

/* Remove documentation everywhere below `j` (it is most of a model's bytes and we never show it). */
static void strip_docs(json_t *j) {
  if (json_is_object(j)) {
    static const char *const drop[] = {"documentation", "documentationUrl", "examples", "deprecatedMessage", NULL};
    for (size_t i = 0; drop[i]; i++) json_object_del(j, drop[i]);
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) strip_docs(v);
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) strip_docs(v);
  }
}

static void reach_shape(const char *svc_path, json_t *all, json_t *kept, const char *name) {
  if (!name) return;
  if (json_object_get(kept, name)) return;
  json_t *shape = json_object_get(all, name);
  if (!json_is_object(shape)) die("%s: shape '%s' is referenced but not defined", svc_path, name);
  if (json_object_set(kept, name, shape)) die("out of memory");
  json_t *ref;
  const char *k;
  json_t *members = json_object_get(shape, "members");
  json_object_foreach(members, k, ref) reach_shape(svc_path, all, kept, json_string_value(json_object_get(ref, "shape")));
  static const char *const refs[] = {"member", "key", "value", NULL};
  for (size_t i = 0; refs[i]; i++) {
    ref = json_object_get(shape, refs[i]);
    if (ref) reach_shape(svc_path, all, kept, json_string_value(json_object_get(ref, "shape")));
  }
}

static json_t *reduce_service(const char *models, const char *ops_path, const struct wanted *w,
                              const char *service, struct depfile *dep) {
  const struct wanted_op *first = NULL;
  for (size_t i = 0; i < w->n && !first; i++)
    if (!strcmp(w->ops[i].service, service)) first = &w->ops[i];
  if (!first) die("service '%s' is not in %s", service, ops_path);
  char vdir[1200], path[1400];
  newest_version(models, service, ops_path, first->line, vdir, sizeof vdir);
  snprintf(path, sizeof path, "%s/service-2.json", vdir);
  json_t *model = load_json(path);
  add_dep(dep, path);
  json_t *metadata = json_object_get(model, "metadata");
  json_t *ops = json_object_get(model, "operations");
  json_t *shapes = json_object_get(model, "shapes");
  if (!json_is_object(metadata) || !json_is_object(ops) || !json_is_object(shapes))
    die("%s: not a botocore service model (metadata, operations and shapes expected)", path);

  /* Candidate names for suggestions. */
  size_t nops = json_object_size(ops), k = 0;
  const char **names = calloc(nops + 1, sizeof *names);
  if (!names) die("out of memory");
  const char *key;
  json_t *val;
  json_object_foreach(ops, key, val) names[k++] = key;

  json_t *out = json_object(), *kops = json_object(), *kshapes = json_object(), *kpages = json_object();
  if (!out || !kops || !kshapes || !kpages) die("out of memory");
  for (size_t i = 0; i < w->n; i++) {
    const struct wanted_op *op = &w->ops[i];
    if (strcmp(op->service, service)) continue;
    json_t *o = json_object_get(ops, op->name);
    if (!o) {
      const char *near = orch_str_nearest(op->name, names);
      die("%s:%d: unknown operation '%s %s' in %s%s%s%s", ops_path, op->line, service, op->name, path,
          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    if (json_object_set(kops, op->name, o)) die("out of memory");
    static const char *const io[] = {"input", "output", NULL};
    for (size_t j = 0; io[j]; j++)
      reach_shape(path, shapes, kshapes, json_string_value(json_object_get(json_object_get(o, io[j]), "shape")));
    size_t ei;
    json_t *e;
    json_array_foreach(json_object_get(o, "errors"), ei, e)
        reach_shape(path, shapes, kshapes, json_string_value(json_object_get(e, "shape")));
  }
  free(names);

  snprintf(path, sizeof path, "%s/paginators-1.json", vdir);
  if (is_file(path)) {
    json_t *pag = load_json(path);
    add_dep(dep, path);
    json_t *p = json_object_get(pag, "pagination");
    json_object_foreach(kops, key, val) {
      json_t *entry = json_object_get(p, key);
      if (entry && json_object_set(kpages, key, entry)) die("out of memory");
    }
    json_decref(pag);
  }

  if (json_object_set_new(out, "name", json_string(service)) || json_object_set(out, "metadata", metadata) ||
      json_object_set_new(out, "operations", kops) || json_object_set_new(out, "shapes", kshapes) ||
      json_object_set_new(out, "pagination", kpages))
    die("out of memory");
  /* Copy before stripping: the kept objects are shared with `model`. */
  json_t *copy = json_deep_copy(out);
  if (!copy) die("out of memory");
  json_decref(out);
  json_decref(model);
  strip_docs(copy);
  return copy;
}

/* Append `s` as the body of a C string literal, split into lines of about 100 characters. Every
 * byte outside printable ASCII is a three-digit octal escape; '?' is escaped against trigraphs. */
static void put_literal(struct orch_buf *b, const char *s, size_t n) {
  size_t col = 0;
  oom(orch_buf_puts(b, "    \""));
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\' || c == '?') {
      oom(orch_buf_putc(b, '\\'));
      oom(orch_buf_putc(b, (char)c));
      col += 2;
    } else if (c < 0x20 || c > 0x7e) {
      oom(orch_buf_printf(b, "\\%03o", c));
      col += 4;
    } else {
      oom(orch_buf_putc(b, (char)c));
      col++;
    }
    if (col >= 100 && i + 1 < n) {
      oom(orch_buf_puts(b, "\"\n    \""));
      col = 0;
    }
  }
  oom(orch_buf_puts(b, "\""));
}

static void write_file(const char *path, const struct orch_buf *b) {
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) die("cannot write %s: %s", tmp, strerror(errno));
  if (fwrite(orch_buf_cstr(b), 1, b->len, f) != b->len || fclose(f) != 0) die("cannot write %s", tmp);
  if (rename(tmp, path) != 0) die("cannot rename %s to %s: %s", tmp, path, strerror(errno));
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void usage(void) {
  fputs("usage: orch_modelgen --models DIR --operations FILE --output FILE.c [--depfile FILE.d]\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  const char *models = NULL, *ops_path = NULL, *output = NULL, *depfile = NULL;
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) usage();
    if (!strcmp(argv[i], "--models")) models = argv[++i];
    else if (!strcmp(argv[i], "--operations")) ops_path = argv[++i];
    else if (!strcmp(argv[i], "--output")) output = argv[++i];
    else if (!strcmp(argv[i], "--depfile")) depfile = argv[++i];
    else usage();
  }
  if (!models || !ops_path || !output) usage();
  struct stat st;
  if (stat(models, &st) != 0 || !S_ISDIR(st.st_mode))
    die("AWS models folder %s does not exist: install python3-botocore (make deps) or configure with "
        "-DAWS_MODELS_DIR=<path to botocore/data>",
        models);

  struct wanted w = {0};
  read_operations(ops_path, &w);

  /* Distinct services, sorted so the output is reproducible. */
  const char **services = calloc(w.n + 1, sizeof *services);
  size_t nsvc = 0;
  if (!services) die("out of memory");
  for (size_t i = 0; i < w.n; i++) {
    bool seen = false;
    for (size_t j = 0; j < nsvc && !seen; j++) seen = !strcmp(services[j], w.ops[i].service);
    if (!seen) services[nsvc++] = w.ops[i].service;
  }
  qsort(services, nsvc, sizeof *services, cmp_str);

  struct depfile dep = {ORCH_BUF_INIT(0)};
  struct orch_buf c = ORCH_BUF_INIT(0);
  oom(orch_buf_printf(&c,
                      "/* Generated by orch_modelgen from %s and the botocore models in %s.\n"
                      " * Do not edit: add operations to engine/aws/operations.txt instead. */\n"
                      "#include \"aws/orch_aws_model_embed.h\"\n\n",
                      ops_path, models));
  for (size_t i = 0; i < nsvc; i++) {
    json_t *reduced = reduce_service(models, ops_path, &w, services[i], &dep);
    /* Members keep the model's order: XML protocols write elements in it (CloudFront and S3 read them so). */
    char *text = json_dumps(reduced, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!text) die("out of memory");
    oom(orch_buf_printf(&c, "/* %s: %zu operations, %zu shapes, %zu bytes */\nstatic const char model_%zu[] =\n",
                        services[i], json_object_size(json_object_get(reduced, "operations")),
                        json_object_size(json_object_get(reduced, "shapes")), strlen(text), i));
    put_literal(&c, text, strlen(text));
    oom(orch_buf_puts(&c, ";\n\n"));
    free(text);
    json_decref(reduced);
  }
  oom(orch_buf_puts(&c, "const struct orch_aws_model_embed orch_aws_model_embedded[] = {\n"));
  for (size_t i = 0; i < nsvc; i++)
    oom(orch_buf_printf(&c, "    {\"%s\", model_%zu, sizeof model_%zu - 1},\n", services[i], i, i));
  oom(orch_buf_puts(&c, "    {0, 0, 0},\n};\n"));
  write_file(output, &c);

  if (depfile) {
    struct orch_buf d = ORCH_BUF_INIT(0);
    oom(orch_buf_printf(&d, "%s:", output));
    oom(orch_buf_append(&d, orch_buf_cstr(&dep.deps), dep.deps.len));
    oom(orch_buf_putc(&d, '\n'));
    write_file(depfile, &d);
    orch_buf_free(&d);
  }
  orch_buf_free(&c);
  orch_buf_free(&dep.deps);
  free(services);
  free(w.ops);
  return 0;
}
