/* orch_aws_profile: an INI reader for the shared AWS files and profile lookups over it.
 * Uses orch_buf, orch_str, orch_alloc, libc stdio. */
#include "aws/orch_aws_profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_str.h"

enum section_kind { SEC_PROFILE, SEC_SERVICES, SEC_OTHER };

struct entry {
  bool credentials_file;
  enum section_kind kind;
  char *section; /* profile or services name */
  char *key;     /* lower-case; "parent.child" for sub-keys */
  char *value;
};

struct orch_aws_profiles {
  struct entry *items;
  size_t n, cap;
  /* Sections seen, including empty ones: "c:" / "f:" prefix + name. */
  char **sections;
  size_t nsec, capsec;
};

void orch_aws_profiles_free(struct orch_aws_profiles *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    orch_free(p->items[i].section);
    orch_free(p->items[i].key);
    if (p->items[i].value) {
      memset(p->items[i].value, 0, strlen(p->items[i].value)); /* secrets live here */
      orch_free(p->items[i].value);
    }
  }
  for (size_t i = 0; i < p->nsec; i++) orch_free(p->sections[i]);
  orch_free(p->sections);
  orch_free(p->items);
  orch_free(p);
}

static int add_entry(struct orch_aws_profiles *p, bool cred, enum section_kind kind, const char *section,
                     const char *key, const char *value) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 32;
    struct entry *items = orch_realloc(p->items, cap * sizeof *items);
    if (!items) return ORCH_ENOMEM;
    p->items = items;
    p->cap = cap;
  }
  struct entry *e = &p->items[p->n];
  e->credentials_file = cred;
  e->kind = kind;
  e->section = orch_strdup(section);
  e->key = orch_strdup(key);
  e->value = orch_strdup(value);
  if (!e->section || !e->key || !e->value) {
    orch_free(e->section);
    orch_free(e->key);
    orch_free(e->value);
    return ORCH_ENOMEM;
  }
  for (char *k = e->key; *k; k++)
    if (*k >= 'A' && *k <= 'Z') *k = (char)(*k - 'A' + 'a');
  p->n++;
  return 0;
}

static int add_section(struct orch_aws_profiles *p, bool cred, const char *name) {
  if (p->nsec == p->capsec) {
    size_t cap = p->capsec ? p->capsec * 2 : 16;
    char **s = orch_realloc(p->sections, cap * sizeof *s);
    if (!s) return ORCH_ENOMEM;
    p->sections = s;
    p->capsec = cap;
  }
  struct orch_buf b = ORCH_BUF_INIT(0);
  if (orch_buf_printf(&b, "%c:%s", cred ? 'c' : 'f', name)) {
    orch_buf_free(&b);
    return ORCH_ENOMEM;
  }
  p->sections[p->nsec++] = orch_buf_take(&b, NULL);
  return 0;
}

static int read_file(const char *path, struct orch_buf *out, bool *missing, struct orch_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT || errno == ENOTDIR) {
      *missing = true;
      return 0;
    }
    return orch_error_setc(err, ORCH_ECONFIG, path, "cannot read: %s", strerror(errno));
  }
  char chunk[4096];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = orch_buf_append(out, chunk, n);
  if (!rc && ferror(f)) rc = orch_error_setc(err, ORCH_ECONFIG, path, "read error");
  else if (rc == ORCH_ETOOBIG) rc = orch_error_setc(err, ORCH_ECONFIG, path, "larger than %d bytes", ORCH_AWS_PROFILE_MAX_FILE);
  else if (rc) rc = orch_error_set(err, rc, "reading %s: %s", path, orch_error_str(rc));
  fclose(f);
  return rc;
}

/* Parse one file's text. Section names: config file "[default]", "[profile x]", "[services x]";
 * credentials file "[x]". Lines: "key = value", "key =" followed by indented "sub = value" lines,
 * comments starting with '#' or ';'. */
static int parse_text(struct orch_aws_profiles *p, const char *path, char *text, bool cred, struct orch_error *err) {
  enum section_kind kind = SEC_OTHER;
  char section[256] = "", parent[128] = "";
  bool in_section = false;
  int lineno = 0, rc = 0;
  char ctx[ORCH_ERROR_CONTEXT_MAX];
  for (char *line = text, *next; line && !rc; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    lineno++;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r') line[--len] = '\0';
    bool indented = line[0] == ' ' || line[0] == '\t';
    char *s = orch_str_trim_inplace(line);
    if (!*s || *s == '#' || *s == ';') continue;
    snprintf(ctx, sizeof ctx, "%s:%d", path, lineno);
    if (*s == '[') {
      char *close = strrchr(s, ']');
      if (!close) return orch_error_setc(err, ORCH_ECONFIG, ctx, "section header without ']'");
      *close = '\0';
      char *name = orch_str_trim_inplace(s + 1);
      parent[0] = '\0';
      kind = SEC_OTHER;
      if (cred) {
        kind = SEC_PROFILE;
      } else if (strcmp(name, "default") == 0) {
        kind = SEC_PROFILE;
      } else if (strncmp(name, "profile", 7) == 0 && (name[7] == ' ' || name[7] == '\t')) {
        kind = SEC_PROFILE;
        name = orch_str_trim_inplace(name + 8);
      } else if (strncmp(name, "services", 8) == 0 && (name[8] == ' ' || name[8] == '\t')) {
        kind = SEC_SERVICES;
        name = orch_str_trim_inplace(name + 9);
      }
      snprintf(section, sizeof section, "%s", name);
      in_section = true;
      if (kind == SEC_PROFILE && (rc = add_section(p, cred, section))) break;
      continue;
    }
    if (!in_section) return orch_error_setc(err, ORCH_ECONFIG, ctx, "key outside any [section]");
    char *eq = strchr(s, '=');
    if (!eq) return orch_error_setc(err, ORCH_ECONFIG, ctx, "expected 'key = value'");
    *eq = '\0';
    char *key = orch_str_trim_inplace(s), *value = orch_str_trim_inplace(eq + 1);
    if (!*key) return orch_error_setc(err, ORCH_ECONFIG, ctx, "empty key");
    if (indented && parent[0]) {
      char full[512];
      snprintf(full, sizeof full, "%s.%s", parent, key);
      if (kind != SEC_OTHER) rc = add_entry(p, cred, kind, section, full, value);
      continue;
    }
    if (!*value) {
      snprintf(parent, sizeof parent, "%s", key); /* a parent of indented sub-keys */
      continue;
    }
    parent[0] = '\0';
    if (kind != SEC_OTHER) rc = add_entry(p, cred, kind, section, key, value);
  }
  if (rc) return orch_error_set(err, rc, "reading %s: %s", path, orch_error_str(rc));
  return 0;
}

static int load_one(struct orch_aws_profiles *p, const char *path, const char *env, const char *file, bool cred,
                    struct orch_error *err) {
  struct orch_buf name = ORCH_BUF_INIT(4096), text = ORCH_BUF_INIT(ORCH_AWS_PROFILE_MAX_FILE);
  bool missing = false;
  int rc = 0;
  if (!path || !*path) path = getenv(env);
  if (!path || !*path) {
    const char *home = getenv("HOME");
    if (!home || !*home) goto out; /* nowhere to look */
    if ((rc = orch_buf_printf(&name, "%s/.aws/%s", home, file))) goto out;
    path = orch_buf_cstr(&name);
  } else if (path[0] == '~' && path[1] == '/') {
    const char *home = getenv("HOME");
    if ((rc = orch_buf_printf(&name, "%s%s", home ? home : "", path + 1))) goto out;
    path = orch_buf_cstr(&name);
  }
  if ((rc = read_file(path, &text, &missing, err)) || missing) goto out;
  if ((rc = orch_buf_putc(&text, '\0'))) goto out;
  rc = parse_text(p, path, text.data, cred, err);
out:
  if (rc == ORCH_ENOMEM || rc == ORCH_ETOOBIG) orch_error_set(err, rc, "loading AWS %s file: %s", file, orch_error_str(rc));
  if (text.data) memset(text.data, 0, text.len);
  orch_buf_free(&text);
  orch_buf_free(&name);
  return rc;
}

int orch_aws_profiles_load(const char *config_path, const char *credentials_path, struct orch_aws_profiles **out,
                           struct orch_error *err) {
  struct orch_aws_profiles *p = orch_calloc(1, sizeof *p);
  if (!p) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = load_one(p, config_path, "AWS_CONFIG_FILE", "config", false, err);
  if (!rc) rc = load_one(p, credentials_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials", true, err);
  if (rc) {
    orch_aws_profiles_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

static int parse_copy(struct orch_aws_profiles *p, const char *name, const char *text, bool cred,
                      struct orch_error *err) {
  if (!text) return 0;
  char *copy = orch_strdup(text);
  if (!copy) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = parse_text(p, name, copy, cred, err);
  memset(copy, 0, strlen(copy));
  orch_free(copy);
  return rc;
}

int orch_aws_profiles_parse(const char *config_text, const char *credentials_text, struct orch_aws_profiles **out,
                            struct orch_error *err) {
  struct orch_aws_profiles *p = orch_calloc(1, sizeof *p);
  if (!p) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = parse_copy(p, "config", config_text, false, err);
  if (!rc) rc = parse_copy(p, "credentials", credentials_text, true, err);
  if (rc) {
    orch_aws_profiles_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

static const char *lookup(const struct orch_aws_profiles *p, int which, enum section_kind kind, const char *section,
                          const char *key) {
  if (!p || !section || !key) return NULL;
  const char *found = NULL;
  for (size_t i = 0; i < p->n; i++) { /* the last assignment wins, as in configparser */
    const struct entry *e = &p->items[i];
    if (which >= 0 && e->credentials_file != (which == 1)) continue;
    if (e->kind == kind && strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0) found = e->value;
  }
  return found;
}

const char *orch_aws_profile_get_from(const struct orch_aws_profiles *p, bool credentials_file, const char *profile,
                                      const char *key) {
  return lookup(p, credentials_file ? 1 : 0, SEC_PROFILE, profile, key);
}

const char *orch_aws_profile_get(const struct orch_aws_profiles *p, const char *profile, const char *key) {
  const char *v = lookup(p, 1, SEC_PROFILE, profile, key);
  return v ? v : lookup(p, 0, SEC_PROFILE, profile, key);
}

bool orch_aws_profile_exists(const struct orch_aws_profiles *p, const char *profile) {
  if (!p || !profile) return false;
  for (size_t i = 0; i < p->nsec; i++)
    if (strcmp(p->sections[i] + 2, profile) == 0) return true;
  return false;
}

const char *orch_aws_profile_service_get(const struct orch_aws_profiles *p, const char *profile,
                                         const char *service_key, const char *key) {
  const char *services = orch_aws_profile_get(p, profile, "services");
  if (!services) return NULL;
  char full[256];
  snprintf(full, sizeof full, "%s.%s", service_key, key);
  return lookup(p, 0, SEC_SERVICES, services, full);
}

const char *orch_aws_profile_name(const char *explicit_name) {
  if (explicit_name && *explicit_name) return explicit_name;
  const char *env = getenv("AWS_PROFILE");
  return env && *env ? env : "default";
}
