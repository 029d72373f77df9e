/* fuzz_lexicon.c: libFuzzer target over the lexicon file parser: any bytes
 * parse or fail with "name:line: ..." and leave a table whose every entry is
 * found again by its folded key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../classifier/classify_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cls_lexicon lx;
	struct heed_err err;
	int rc;

	lex_init(&lx);
	rc = lex_parse(&lx, "fuzz.lex", (const char *)data, size, &err);
	if (rc != HEED_OK && (rc != HEED_EPARSE || strncmp(err.msg, "fuzz.lex:", 9)))
		abort();
	for (size_t i = 0; i < lx.n; i++)
		if (lex_find(&lx, lex_key(&lx, (int32_t)i), lx.e[i].key_len) != (int32_t)i)
			abort();
	lex_release(&lx);
	return 0;
}
