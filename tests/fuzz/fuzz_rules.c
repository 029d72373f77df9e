/* fuzz_rules.c: libFuzzer target over the rule file parser and the
 * prefilter. The input is a rule file, optionally followed by a line
 * "===" and a mention. The file parses or fails with "name:line: ...";
 * when it parses, the mention gets the same rule hits, at the same places,
 * with the prefilter and the anchored tries at word starts as without them
 * (the literals they prove are in every match). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../classifier/classify_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct heed_classifier *model(const char *text, size_t len,
				     unsigned flags)
{
	struct heed_classifier *c = cls_model_new_empty();
	struct heed_err err;
	int rc = rules_parse(c, "fuzz.rules", text, len, &err);

	if (rc != HEED_OK) {
		if (rc != HEED_EPARSE || strncmp(err.msg, "fuzz.rules:", 11))
			abort();
		heed_classifier_free(c);
		return NULL;
	}
	c->flags = flags;
	rules_finish(c);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *sep;
	size_t rules_len = size, msg_len = 0;
	const char *msg = "";
	struct heed_classifier *a, *b;
	struct heed_classify_ctx *xa, *xb;
	const struct heed_verdict *va, *vb;
	struct heed_classify_in in;
	uint64_t topics;
	int urgency;

	sep = size >= 5 ? memmem(text, size, "\n===\n", 5) : NULL;
	if (sep) {
		rules_len = (size_t)(sep - text) + 1;
		msg = sep + 5;
		msg_len = size - (size_t)(msg - text);
	}
	a = model(text, rules_len, 0);
	if (!a)
		return 0;
	b = model(text, rules_len, HEED_CLASSIFY_NO_PREFILTER);
	if (!b)
		abort();	/* the same text parsed once */
	xa = heed_classify_ctx_new(a);
	xb = heed_classify_ctx_new(b);
	memset(&in, 0, sizeof(in));
	in.text = msg;
	in.len = msg_len;
	in.followers = -1;
	if (heed_classify(xa, &in, &va))
		abort();
	topics = va->topics;
	urgency = va->urgency;
	if (heed_classify(xb, &in, &vb) || vb->topics != topics ||
	    vb->urgency != urgency || xa->n_hits != xb->n_hits)
		abort();
	/* the same first match of each rule, and the same sarcasm flips */
	for (size_t i = 0; i < xa->n_hits; i++)
		if (xa->hits[i].rule != xb->hits[i].rule ||
		    xa->hits[i].start != xb->hits[i].start ||
		    xa->hits[i].end != xb->hits[i].end)
			abort();
	for (size_t i = 0; i < xa->n_toks; i++)
		if ((xa->toks[i].flags ^ xb->toks[i].flags) & TF_FLIP)
			abort();
	heed_classify_ctx_free(xa);
	heed_classify_ctx_free(xb);
	heed_classifier_free(a);
	heed_classifier_free(b);
	return 0;
}
