/* Limits shared by the fuzz targets that drive the template engine. */
#ifndef BODE_FUZZ_LIMITS_H
#define BODE_FUZZ_LIMITS_H

/* Pattern-matching steps for one rendering. Production sizes the budget
 * from the input (20 million steps and up, about 0.1 s of CPU), so each
 * backtracking-heavy input a fuzzer finds costs seconds under ASan, and
 * the fuzzer keeps mutating it: markdown ran at 189 executions/s. The
 * budget only decides when BODE_ERR_TOO_BIG comes back, a path this
 * figure still reaches. At 300,000 steps the inputs that ran out of it
 * were 83% of fuzz_markdown's time on a grown corpus (under 1,000
 * executions/s); at 100,000 it runs at ~1,900/s, and 2% of that corpus's
 * renders that completed before now end in BODE_ERR_TOO_BIG. */
#define FUZZ_RX_BUDGET 100000ULL

#endif
