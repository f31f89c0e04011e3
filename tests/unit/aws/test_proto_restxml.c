/* botocore's rest-xml protocol tests (S3, CloudFront, Route 53 shapes), both directions, through the real
 * builder and parser (conformance.h). The cases live in ../shared/testdata/aws-protocol-tests/{input,output}/
 * rest-xml.json; without them each case is skipped, this executable exits 77 (criterion_main.c) and ctest
 * shows it as skipped. */
#include "conformance.h"

Test(conformance, input_rest_xml) { run_file("input", "rest-xml"); }
Test(conformance, output_rest_xml) { run_file("output", "rest-xml"); }
