/* fuzz_classify.c: libFuzzer target over heed_classify() with the shipped
 * data (HEED_DATA_DIR). The first byte of the input picks metadata (own,
 * share, direct, followers); the rest is the mention. Besides not crashing,
 * every verdict must keep the classifier's promises: shares that add up to
 * the compound score, points that add up to the urgency, spans inside the
 * text, scores in range, and the same verdict with the prefilter off. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/classify.h"

static struct heed_classifier *fast, *slow;
static struct heed_classify_ctx *xf, *xs;

static struct heed_classifier *load(unsigned flags)
{
	struct heed_classifier_opts o;
	struct heed_classifier *c;
	struct heed_err err;
	const char *dir = getenv("HEED_DATA_DIR");

	heed_classifier_opts_init(&o);
	o.data_dir = dir && *dir ? dir : "build/fuzz/share/heed";
	o.flags = flags;
	c = heed_classifier_new(&o, &err);
	if (!c) {
		fprintf(stderr, "fuzz_classify: %s\n", heed_err_msg(&err));
		exit(1);
	}
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fast = load(0);
	slow = load(HEED_CLASSIFY_NO_PREFILTER);
	xf = heed_classify_ctx_new(fast);
	xs = heed_classify_ctx_new(slow);
	return 0;
}

static void check(const struct heed_verdict *v)
{
	double s = 0;
	long u = 0;

	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];

		if (r->end < r->start || r->end > v->used_len || !r->name)
			abort();
		if (r->target == HEED_TARGET_SENTIMENT)
			s += r->value;
		else if (r->target == HEED_TARGET_URGENCY)
			u += lround(r->value);
	}
	if (fabs(s - v->compound) > 1e-9 || u != v->urgency ||
	    !(v->compound >= -1 && v->compound <= 1) || v->urgency < 0 ||
	    v->urgency > 100 || !v->reply_reason)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct heed_classify_in in;
	const struct heed_verdict *a, *b;
	struct heed_verdict va;
	uint8_t meta = size ? data[0] : 0;

	memset(&in, 0, sizeof(in));
	in.text = size ? (const char *)data + 1 : "";
	in.len = size ? size - 1 : 0;
	in.is_own = meta & 1;
	in.is_share = meta & 2;
	in.mentions_account = meta & 4;
	in.followers = meta & 8 ? (int64_t)(meta >> 4) * 100000 : -1;
	in.lang = meta & 0x80 ? "es" : NULL;
	if (heed_classify(xf, &in, &a))
		abort();
	check(a);
	va = *a;
	if (heed_classify(xs, &in, &b))
		abort();
	if (va.compound != b->compound || va.urgency != b->urgency ||
	    va.topics != b->topics || va.needs_reply != b->needs_reply ||
	    va.spam != b->spam)
		abort();	/* the prefilter hid a match */
	return 0;
}
