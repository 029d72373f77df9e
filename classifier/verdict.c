/* verdict.c: a verdict as JSON (heed classify --json, the reasons stored
 * with each mention) and the adapter that fills a struct heed_mention the
 * way the pollers call the classifier. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify_int.h"
#include "heed/mention.h"
#include "heed/term.h"
#include "heed/xalloc.h"

/* jansson's dump, copied to our allocator. */
static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)), *copy;

	json_decref(j);
	if (!s)
		abort();	/* jansson fails only when out of memory */
	copy = xstrdup(s);
	free(s);
	return copy;
}

/* A string for JSON: valid UTF-8, no controls. */
static json_t *clean_string(const char *s, size_t len)
{
	char *c = heed_term_clean(s, len, 0);
	json_t *j = json_string(c);

	free(c);
	return j ? j : json_string("");
}

static json_t *reasons_array(const struct heed_verdict *v, const char *text,
			     size_t len)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n_reasons; i++) {
		const struct heed_reason *r = &v->reasons[i];
		json_t *o = json_object(), *span = json_array();
		size_t s = r->start < len ? r->start : len;
		size_t e = r->end < len ? r->end : len;

		json_array_append_new(span, json_integer((json_int_t)s));
		json_array_append_new(span, json_integer((json_int_t)e));
		json_object_set_new(o, "target", json_string(heed_reason_target_name(r->target)));
		json_object_set_new(o, "kind", json_string(heed_reason_kind_name(r->kind)));
		json_object_set_new(o, "span", span);
		json_object_set_new(o, "text", e > s ? clean_string(text + s, e - s)
						     : json_string(""));
		json_object_set_new(o, "name", clean_string(r->name, strlen(r->name)));
		json_object_set_new(o, "note", json_string(r->note));
		if (r->topic)
			json_object_set_new(o, "topic", json_string(r->topic));
		json_object_set_new(o, "raw", json_real(r->raw));
		json_object_set_new(o, "value", json_real(r->value));
		json_array_append_new(a, o);
	}
	return a;
}

char *heed_verdict_reasons_json(const struct heed_verdict *v,
				const char *text, size_t len)
{
	return dump(reasons_array(v, text, len));
}

char *heed_verdict_json(const struct heed_classifier *c,
			const struct heed_verdict *v, const char *text,
			size_t len, bool reasons)
{
	json_t *o = json_object(), *sent = json_object(), *urg = json_object();
	json_t *topics = json_array();

	json_object_set_new(sent, "label", json_string(heed_sentiment_name(v->label)));
	json_object_set_new(sent, "compound", json_real(v->compound));
	json_object_set_new(sent, "pos", json_real(v->pos));
	json_object_set_new(sent, "neu", json_real(v->neu));
	json_object_set_new(sent, "neg", json_real(v->neg));
	json_object_set_new(o, "sentiment", sent);
	json_object_set_new(urg, "score", json_integer(v->urgency));
	json_object_set_new(urg, "level", json_string(heed_urgency_name(v->level)));
	json_object_set_new(o, "urgency", urg);
	for (size_t i = 0; i < c->n_topics; i++)
		if (v->topics >> i & 1)
			json_array_append_new(topics, json_string(c->topic[i]));
	json_object_set_new(o, "topics", topics);
	json_object_set_new(o, "needs_reply", json_boolean(v->needs_reply));
	json_object_set_new(o, "reply_reason", json_string(v->reply_reason));
	json_object_set_new(o, "spam", json_boolean(v->spam));
	json_object_set_new(o, "lang", v->lang[0] ? clean_string(v->lang, strlen(v->lang))
						  : json_null());
	json_object_set_new(o, "lang_guessed", json_boolean(v->lang_guessed));
	json_object_set_new(o, "scored", json_boolean(v->scored));
	json_object_set_new(o, "truncated", json_boolean(v->truncated));
	if (reasons)
		json_object_set_new(o, "reasons", reasons_array(v, text, len));
	return dump(o);
}

void heed_classify_mention(struct heed_classify_ctx *ctx,
			   struct heed_mention *m)
{
	const struct heed_classifier *c = ctx->c;
	const struct heed_verdict *v;
	struct heed_classify_in in;
	size_t n = 0;

	memset(&in, 0, sizeof(in));
	in.text = m->text ? m->text : "";
	in.len = strlen(in.text);
	in.lang = m->lang;
	in.followers = m->author_followers;
	in.is_own = m->is_own;
	in.is_share = m->is_share;
	in.mentions_account = m->mentions_account;
	if (heed_classify(ctx, &in, &v))
		return;	/* cannot happen: the text is never NULL */
	for (size_t i = 0; m->topics && m->topics[i]; i++)
		free(m->topics[i]);
	free(m->topics);
	free(m->reasons_json);
	free(m->needs_reply_reason);
	m->topics = xcalloc((size_t)__builtin_popcountll(v->topics) + 1,
			    sizeof(*m->topics));
	for (size_t i = 0; i < c->n_topics; i++)
		if (v->topics >> i & 1)
			m->topics[n++] = xstrdup(c->topic[i]);
	m->classified = true;
	m->sentiment = v->compound;
	m->sentiment_label = heed_sentiment_name(v->label);
	m->urgency = v->urgency;
	m->urgency_level = heed_urgency_name(v->level);
	m->reasons_json = heed_verdict_reasons_json(v, in.text, v->used_len);
	m->needs_reply = v->needs_reply;
	m->needs_reply_reason = xstrdup(v->reply_reason);
	m->is_spam = v->spam;
}
