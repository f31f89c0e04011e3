/* store_conformance: the contract a store backend's test file fulfils to run the conformance suite
 * (store_conformance.inc): a factory that opens the backend for the current test. A backend's test file
 * defines `store_factory` and then includes store_conformance.inc; the cases only use orch_store.h.
 * Uses orch_store. */
#ifndef STORE_CONFORMANCE_H
#define STORE_CONFORMANCE_H

#include "store/orch_store.h"

struct store_factory {
  const char *name;
  /* Prepare an empty location for this test (Criterion runs each test in its own process). */
  void (*setup)(void);
  /* Open the store at this test's location; a second open (while the first is open, or after it was
   * closed) must reach the same data: that is how "reopen" and "two writers" are tested. */
  int (*open)(const struct orch_store_options *opts, struct orch_store **out, struct orch_error *err);
  /* Remove the location. */
  void (*teardown)(void);
};

extern const struct store_factory store_factory;

#endif
