/* Limits shared by the fuzz targets that drive the template engine. */
#ifndef BODE_FUZZ_LIMITS_H
#define BODE_FUZZ_LIMITS_H

/* Pattern-matching steps for one rendering. Production sizes the budget
 * from the input (20 million steps and up, about 0.1 s of CPU), so each
 * backtracking-heavy input a fuzzer finds costs seconds under ASan, and
 * the fuzzer keeps mutating it: markdown ran at 189 executions/s. The
 * budget only decides when BODE_ERR_TOO_BIG comes back; this figure still
 * reaches that path on such inputs, and no other input in the long-run
 * corpus (1,666 templates) needs more than 100,000 steps. */
#define FUZZ_RX_BUDGET 300000ULL

#endif
