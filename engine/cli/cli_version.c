/* cli_version: `drsorch version [--json]`: the version and the libraries it was built with.
 * Uses jansson, curl, Lua, OpenSSL, SQLite, CivetWeb version macros. */
#include <civetweb.h>
#include <curl/curl.h>
#include <jansson.h>
#include <lua.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_version(int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = 1;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("Usage: drsorch version [--json]\n\nPrint the version of drsorch and of the libraries it uses.\n");
      return CLI_EXIT_OK;
    } else {
      return cli_usage_error("version", "unexpected argument '%s'", argv[i]);
    }
  }
  if (json) {
    printf("{\"version\":\"%s\",\"lua\":\"%s\",\"curl\":\"%s\",\"openssl\":\"%s\",\"sqlite\":\"%s\","
           "\"jansson\":\"%s\",\"civetweb\":\"%s\"}\n",
           ORCH_VERSION, LUA_RELEASE, curl_version_info(CURLVERSION_NOW)->version, OPENSSL_VERSION_TEXT,
           sqlite3_libversion(), JANSSON_VERSION, CIVETWEB_VERSION);
  } else {
    printf("drsorch %s\n  %s, curl %s, %s, SQLite %s, jansson %s, CivetWeb %s\n", ORCH_VERSION, LUA_RELEASE,
           curl_version_info(CURLVERSION_NOW)->version, OPENSSL_VERSION_TEXT, sqlite3_libversion(), JANSSON_VERSION,
           CIVETWEB_VERSION);
  }
  return CLI_EXIT_OK;
}
