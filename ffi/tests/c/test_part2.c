#include "tests.h"
void test_part2(void) {}
