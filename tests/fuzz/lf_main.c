/* libFuzzer entry: FUZZ_TARGET names one function of fuzz.h. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_render_pick(data, size);
	return FUZZ_TARGET(data, size);
}
