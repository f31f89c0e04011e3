/* Conformance of orch_aws_proto with botocore's protocol test cases (shared/testdata/aws-protocol-tests):
 * every input case is serialized by the real request builder and compared (method, URI path and query
 * parameters, listed headers, forbidden headers, body: JSON as JSON, query bodies as parameter lists);
 * every output case is parsed by the real response parser and compared with the expected result
 * (timestamps as epoch seconds, blobs as raw bytes) or error code, message and modeled members.
 * Skips live in tests/unit/aws/protocol-skips.txt, one line each; a listed case that passes, or an
 * unlisted case that fails, fails the test. Prints passed/skipped per file. */
#include "conformance.h"

Test(conformance, input_rest_json) { run_file("input", "rest-json"); }
Test(conformance, input_json_1_1) { run_file("input", "json"); }
Test(conformance, input_json_1_0) { run_file("input", "json_1_0"); }
Test(conformance, input_query) { run_file("input", "query"); }
Test(conformance, input_ec2) { run_file("input", "ec2"); }
Test(conformance, output_rest_json) { run_file("output", "rest-json"); }
Test(conformance, output_json_1_1) { run_file("output", "json"); }
Test(conformance, output_json_1_0) { run_file("output", "json_1_0"); }
Test(conformance, output_query) { run_file("output", "query"); }
Test(conformance, output_ec2) { run_file("output", "ec2"); }
