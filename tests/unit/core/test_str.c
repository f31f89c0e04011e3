/* Tests for orch_str: trimming, splitting, RFC 3986 encoding, constant-time compare, hex, integers,
 * nearest-name suggestions. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/orch_str.h"

static char *view(struct orch_strview v, char *out) {
  memcpy(out, v.p, v.n);
  out[v.n] = '\0';
  return out;
}

Test(str, trim) {
  char tmp[64];
  cr_assert_str_eq(view(orch_str_trim((struct orch_strview){"  a b \t\n", 8}), tmp), "a b");
  cr_assert_str_eq(view(orch_str_trim((struct orch_strview){"   ", 3}), tmp), "");
  char s[] = "\t x \r\n";
  cr_assert_str_eq(orch_str_trim_inplace(s), "x");
}

Test(str, split) {
  struct orch_strview parts[4];
  char tmp[64];
  const char *s = "a,b,,c";
  size_t n = orch_str_split((struct orch_strview){s, strlen(s)}, ',', parts, 4);
  cr_assert_eq(n, 4);
  cr_assert_str_eq(view(parts[0], tmp), "a");
  cr_assert_str_eq(view(parts[2], tmp), "");
  cr_assert_str_eq(view(parts[3], tmp), "c");
  n = orch_str_split((struct orch_strview){s, strlen(s)}, ',', parts, 2);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(view(parts[1], tmp), "b,,c", "the last part takes the rest");
  n = orch_str_split((struct orch_strview){"", 0}, ',', parts, 4);
  cr_assert_eq(n, 1);
  cr_assert_eq(parts[0].n, 0);
}

/* RFC 3986 §2.3: only ALPHA / DIGIT / "-" / "." / "_" / "~" are unreserved; SigV4 requires upper-case
 * hex and encodes everything else, including space as %20 (not '+'). */
Test(str, uri_encode_rfc3986) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  const char *in = "AZaz09-._~ /?#[]@!$&'()*+,;=%\xc3\xa9";
  cr_assert_eq(orch_str_uri_encode(&b, in, strlen(in), false), 0);
  cr_assert_str_eq(orch_buf_cstr(&b),
                   "AZaz09-._~%20%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25%C3%A9");
  orch_buf_reset(&b);
  cr_assert_eq(orch_str_uri_encode(&b, "/a b/c", 6, true), 0);
  cr_assert_str_eq(orch_buf_cstr(&b), "/a%20b/c");
  orch_buf_free(&b);
}

Test(str, uri_decode) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_str_uri_decode(&b, "a%20b+c%2f", 10, true), 0);
  cr_assert_str_eq(orch_buf_cstr(&b), "a b c/");
  orch_buf_reset(&b);
  cr_assert_eq(orch_str_uri_decode(&b, "a+b", 3, false), 0);
  cr_assert_str_eq(orch_buf_cstr(&b), "a+b");
  orch_buf_reset(&b);
  cr_assert_eq(orch_str_uri_decode(&b, "bad%2", 5, false), ORCH_EPARSE);
  orch_buf_reset(&b);
  cr_assert_eq(orch_str_uri_decode(&b, "bad%zz", 6, false), ORCH_EPARSE);
  orch_buf_reset(&b);
  cr_assert_eq(orch_str_uri_decode(&b, "%", 1, false), ORCH_EPARSE);
  orch_buf_free(&b);
  struct orch_buf empty = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_str_uri_decode(&empty, "", 0, false), 0);
  cr_assert_str_eq(orch_buf_cstr(&empty), "", "decoding nothing gives an empty string");
  orch_buf_free(&empty);
}

Test(str, ct_equal) {
  cr_assert(orch_str_ct_equal("abc", 3, "abc", 3));
  cr_assert_not(orch_str_ct_equal("abc", 3, "abd", 3));
  cr_assert_not(orch_str_ct_equal("abc", 3, "abcd", 4));
  cr_assert_not(orch_str_ct_equal("", 0, "a", 1));
  cr_assert(orch_str_ct_equal("", 0, "", 0));
}

Test(str, hex_round_trip) {
  const unsigned char in[] = {0x00, 0x01, 0xab, 0xff};
  char hex[9];
  orch_str_hex(hex, in, 4);
  cr_assert_str_eq(hex, "0001abff");
  unsigned char out[4];
  cr_assert_eq(orch_str_unhex(out, sizeof out, "0001ABff", 8), 4);
  cr_assert_eq(memcmp(in, out, 4), 0);
  cr_assert_eq(orch_str_unhex(out, sizeof out, "abc", 3), ORCH_EPARSE);
  cr_assert_eq(orch_str_unhex(out, sizeof out, "zz", 2), ORCH_EPARSE);
  cr_assert_eq(orch_str_unhex(out, 1, "0001", 4), ORCH_ETOOBIG);
}

Test(str, strict_integers) {
  long long v = 0;
  cr_assert_eq(orch_str_to_ll("42", 0, 100, &v), 0);
  cr_assert_eq(v, 42);
  cr_assert_eq(orch_str_to_ll("-7", -10, 10, &v), 0);
  cr_assert_eq(v, -7);
  cr_assert_eq(orch_str_to_ll("42x", 0, 100, &v), ORCH_EPARSE);
  cr_assert_eq(orch_str_to_ll(" 42", 0, 100, &v), ORCH_EPARSE);
  cr_assert_eq(orch_str_to_ll("", 0, 100, &v), ORCH_EPARSE);
  cr_assert_eq(orch_str_to_ll("101", 0, 100, &v), ORCH_ERANGE);
  cr_assert_eq(orch_str_to_ll("99999999999999999999", 0, 100, &v), ORCH_ERANGE);
}

Test(str, nearest_name) {
  const char *const names[] = {"server.listen", "server.threads", "log.level", NULL};
  cr_assert_str_eq(orch_str_nearest("server.lisen", names), "server.listen");
  cr_assert_str_eq(orch_str_nearest("SERVER.THREADS", names), "server.threads");
  cr_assert_null(orch_str_nearest("completely.different", names));
  const char *const short_names[] = {"id", "tags", NULL};
  cr_assert_str_eq(orch_str_nearest("tag", short_names), "tags");
  cr_assert_null(orch_str_nearest("xyz", short_names));
  cr_assert_eq(orch_str_distance("kitten", "sitting", 100), 3);
}

Test(str, prefixes) {
  cr_assert(orch_str_starts_with("DRSORCH_X", "DRSORCH_"));
  cr_assert_not(orch_str_starts_with("DRS", "DRSORCH_"));
  cr_assert(orch_str_ends_with("plan.lua", ".lua"));
  cr_assert_not(orch_str_ends_with("a", ".lua"));
  cr_assert(orch_str_iequal("Content-Type", "content-type"));
  cr_assert_not(orch_str_iequal("Content-Type", "content-typ"));
}

/* Text cut to fit a fixed buffer says so: it ends in "..." and the call reports it did not fit. */
Test(str, fmt_marks_a_cut) {
  char out[12];
  cr_assert(orch_str_fmt(out, sizeof out, "%s-%d", "wave", 7));
  cr_assert_str_eq(out, "wave-7");
  cr_assert(orch_str_fmt(out, sizeof out, "%s", "exactly11ch"), "11 characters and the NUL fit");
  cr_assert_str_eq(out, "exactly11ch");
  cr_assert_not(orch_str_fmt(out, sizeof out, "%s: %s", "preflight", "DescribeSourceServers failed"));
  cr_assert_str_eq(out, "prefligh...");
  cr_assert_eq(strlen(out), sizeof out - 1, "filled to the last byte before the NUL");
}
