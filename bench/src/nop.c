/* Startup cost only: the fixed overhead of each runner. */
#include "common.h"

int main(void) { return report("nop", 0); }
