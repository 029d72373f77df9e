/* store.c: the fake server's timeline. Posts are loaded from JSONL (at
 * startup or through POST /_fake/posts), given platform-native ids when the
 * timeline's own id does not look native, and kept per platform in listing
 * order so that every endpoint pages over the same sorted array. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"

#include "fake.h"

#define TWITTER_EPOCH_MS 1288834974657LL

/* ---- string map (open addressing, linear probing) ---- */

void fake_map_init(struct fake_map *m)
{
	m->keys = NULL;
	m->vals = NULL;
	m->n = 0;
	m->alloc = 0;
}

void fake_map_release(struct fake_map *m)
{
	for (size_t i = 0; i < m->alloc; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	fake_map_init(m);
}

static size_t map_slot(const struct fake_map *m, const char *key)
{
	size_t i = (size_t)fake_hash(key, strlen(key)) & (m->alloc - 1);

	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->alloc - 1);
	return i;
}

void *fake_map_get(const struct fake_map *m, const char *key)
{
	size_t i;

	if (!m->alloc)
		return NULL;
	i = map_slot(m, key);
	return m->keys[i] ? m->vals[i] : NULL;
}

void fake_map_put(struct fake_map *m, const char *key, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->alloc) {
		struct fake_map big;

		big.alloc = m->alloc ? m->alloc * 2 : 64;
		big.n = 0;
		big.keys = xcalloc(big.alloc, sizeof(*big.keys));
		big.vals = xcalloc(big.alloc, sizeof(*big.vals));
		for (size_t j = 0; j < m->alloc; j++) {
			if (!m->keys[j])
				continue;
			i = map_slot(&big, m->keys[j]);
			big.keys[i] = m->keys[j];
			big.vals[i] = m->vals[j];
			big.n++;
		}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	i = map_slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = xstrdup(key);
		m->n++;
	}
	m->vals[i] = val;
}

/* ---- posts and authors ---- */

static const char *const platform_tag[FAKE_NPLATFORMS] = {
	"mastodon", "bluesky", "reddit", "x", "hn"
};

static char *pkey(int platform, const char *s)
{
	return xasprintf("%s|%s", platform_tag[platform], s);
}

void fake_store_init(struct fake_store *st, int64_t epoch_ms)
{
	memset(st, 0, sizeof(*st));
	fake_map_init(&st->by_key);
	fake_map_init(&st->by_native);
	fake_map_init(&st->authors);
	fake_map_init(&st->handles);
	st->epoch_ms = epoch_ms;
}

static void post_free(struct fake_post *p)
{
	if (!p)
		return;
	free(p->key);
	free(p->native);
	free(p->rkey);
	free(p->cid);
	free(p->text);
	free(p->title);
	free(p->lang);
	free(p->reply_to);
	free(p->thread);
	free(p->edit_of);
	free(p->subreddit);
	for (size_t i = 0; i < p->nchannels; i++)
		free(p->channels[i]);
	free(p->channels);
	free(p->idem_key);
	free(p->edits);
	free(p->raw);
	free(p->json);
	free(p);
}

void fake_store_release(struct fake_store *st)
{
	for (int p = 0; p < FAKE_NPLATFORMS; p++) {
		for (size_t i = 0; i < st->lists[p].n; i++)
			post_free(st->lists[p].v[i]);
		free(st->lists[p].v);
	}
	for (size_t i = 0; i < st->nauthors; i++) {
		free(st->all_authors[i]->id);
		free(st->all_authors[i]->handle);
		free(st->all_authors[i]->name);
		free(st->all_authors[i]);
	}
	free(st->all_authors);
	fake_map_release(&st->by_key);
	fake_map_release(&st->by_native);
	fake_map_release(&st->authors);
	fake_map_release(&st->handles);
}

static int key_cmp(int64_t a1, uint64_t a2, int64_t b1, uint64_t b2)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return 0;
}

size_t fake_list_lower(const struct fake_list *l, int64_t k1, uint64_t k2)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(l->v[mid]->k1, l->v[mid]->k2, k1, k2) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t fake_list_index(const struct fake_list *l, const struct fake_post *p)
{
	for (size_t i = fake_list_lower(l, p->k1, p->k2); i < l->n; i++) {
		if (l->v[i] == p)
			return i;
		if (key_cmp(l->v[i]->k1, l->v[i]->k2, p->k1, p->k2))
			break;
	}
	return l->n;
}

static void list_insert(struct fake_list *l, struct fake_post *p)
{
	size_t i = fake_list_lower(l, p->k1, p->k2);

	/* equal keys keep insertion order */
	while (i < l->n && !key_cmp(l->v[i]->k1, l->v[i]->k2, p->k1, p->k2))
		i++;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 256;
		l->v = xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
	l->v[i] = p;
	l->n++;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

struct fake_author *fake_store_author_by_handle(const struct fake_store *st,
						int platform, const char *handle)
{
	char *k = pkey(platform, handle);
	struct fake_author *a;

	lower(k);
	a = fake_map_get(&st->handles, k);
	free(k);
	return a;
}

/* A native author id from whatever the timeline gave. */
static char *author_native_id(int platform, const char *id, const char *handle)
{
	const char *seed = id ? id : handle ? handle : "deleted";
	uint64_t h = fake_hash(seed, strlen(seed));
	int64_t num;

	switch (platform) {
	case FAKE_MASTODON:
	case FAKE_X:
		if (id && fake_parse_u63(id, &num))
			return xstrdup(id);
		return xasprintf("%llu", (unsigned long long)
				 (platform == FAKE_X ? 1000000000ULL + h % 999000000000ULL
						     : 100000000000000000ULL +
						       h % 900000000000000000ULL));
	case FAKE_BLUESKY: {
		static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
		char did[8 + 24 + 1] = "did:plc:";

		if (id && !strncmp(id, "did:", 4))
			return xstrdup(id);
		for (int i = 0; i < 24; i++) {
			did[8 + i] = b32[h & 31];
			h = h >> 5 | (h & 31) << 59;
			h ^= (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		}
		did[32] = '\0';
		return xstrdup(did);
	}
	case FAKE_REDDIT: {
		char *b, *r;

		if (id && !strncmp(id, "t2_", 3))
			return xstrdup(id);
		b = fake_base36(h % 2821109907456ULL);	/* 36^8 */
		r = xasprintf("t2_%s", b);
		free(b);
		return r;
	}
	default:
		return xstrdup(handle ? handle : seed);
	}
}

struct fake_author *fake_store_author(struct fake_store *st, int platform,
				      const char *id, const char *handle,
				      const char *name, long long followers)
{
	char *nid, *k;
	struct fake_author *a;

	nid = author_native_id(platform, id, handle);
	k = pkey(platform, nid);
	a = fake_map_get(&st->authors, k);
	if (a) {
		free(k);
		free(nid);
		return a;
	}
	st->gen++;
	a = xcalloc(1, sizeof(*a));
	a->platform = platform;
	a->id = nid;
	a->deleted = !handle || !strcmp(handle, "[deleted]");
	if (!a->deleted) {
		if (platform == FAKE_BLUESKY && !strchr(handle, '.'))
			a->handle = xasprintf("%s.bsky.social", handle);
		else
			a->handle = xstrdup(handle);
	}
	a->name = name ? xstrdup(name) : NULL;
	a->followers = followers;
	fake_map_put(&st->authors, k, a);
	free(k);
	if (a->handle) {
		k = pkey(platform, a->handle);
		lower(k);
		if (!fake_map_get(&st->handles, k))
			fake_map_put(&st->handles, k, a);
		free(k);
	}
	st->all_authors = xreallocarray(st->all_authors, st->nauthors + 1,
					sizeof(*st->all_authors));
	st->all_authors[st->nauthors++] = a;
	return a;
}

struct fake_author *fake_store_brand(struct fake_store *st, int platform,
				     const char *brand)
{
	struct fake_author *a = fake_store_author_by_handle(st, platform, brand);
	char *id, *handle;

	if (a)
		return a;
	if (platform == FAKE_BLUESKY) {
		handle = xasprintf("%s.bsky.social", brand);
		a = fake_store_author_by_handle(st, platform, handle);
		if (!a)
			a = fake_store_author(st, platform, NULL, handle, brand, 5000);
		free(handle);
		return a;
	}
	id = platform == FAKE_MASTODON ? xstrdup("109000000000000001")
	   : platform == FAKE_X ? xstrdup("1600000000000000001")
	   : NULL;
	a = fake_store_author(st, platform, id, brand, brand, 5000);
	free(id);
	return a;
}

bool fake_post_visible(const struct fake_post *p, double tl_now)
{
	return p->brand || p->at <= tl_now;
}

bool fake_post_has_channel(const struct fake_post *p, const char *channel)
{
	for (size_t i = 0; i < p->nchannels; i++)
		if (!strcasecmp(p->channels[i], channel))
			return true;
	return false;
}

bool fake_post_matches_search(const struct fake_post *p, const char *q)
{
	for (size_t i = 0; i < p->nchannels; i++) {
		const char *c = p->channels[i];

		if (!strcasecmp(c, "search"))
			return true;
		if (!strncasecmp(c, "search:", 7) && q && fake_strcasestr(q, c + 7))
			return true;
	}
	return false;
}

struct fake_post *fake_store_find(const struct fake_store *st, int platform,
				  const char *id)
{
	char *k = pkey(platform, id);
	struct fake_post *p = fake_map_get(&st->by_key, k);

	if (!p)
		p = fake_map_get(&st->by_native, k);
	free(k);
	return p;
}

char *fake_post_dedupe_key(const struct fake_store *st,
			   const struct fake_post *p)
{
	(void)st;
	switch (p->platform) {
	case FAKE_REDDIT:
		return xasprintf("%s_%s", p->comment ? "t1" : "t3", p->native);
	case FAKE_X:
		return xstrdup(p->orig ? p->orig->native : p->native);
	default:
		return xstrdup(p->native);
	}
}

char *fake_new_tid(struct fake_store *st, int64_t created_ms)
{
	static const char alpha[] = "234567abcdefghijklmnopqrstuvwxyz";
	uint64_t us = (uint64_t)(created_ms > 0 ? created_ms : 0) * 1000 +
		      st->counter % 1000;
	uint64_t v = (us & ((1ULL << 53) - 1)) << 10 | (st->counter * 7 & 0x3ff);
	char out[14];

	st->counter++;
	for (int i = 12; i >= 0; i--) {
		out[i] = alpha[v & 31];
		v >>= 5;
	}
	out[13] = '\0';
	return xstrdup(out);
}

char *fake_new_cid(const char *seed1, const char *seed2)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	char out[7 + 52 + 1] = "bafyrei";
	uint64_t h = fake_hash(seed1, strlen(seed1)) ^
		     fake_hash(seed2, strlen(seed2)) * 31;

	for (int i = 0; i < 52; i++) {
		out[7 + i] = b32[h & 31];
		h = h * 0x100000001b3ULL + (uint64_t)i + 0x9e37;
		h ^= h >> 29;
	}
	out[59] = '\0';
	return xstrdup(out);
}

static bool native_taken(const struct fake_store *st, int platform,
			 const char *native)
{
	char *k = pkey(platform, native);
	bool taken = fake_map_get(&st->by_native, k) != NULL;

	free(k);
	return taken;
}

char *fake_new_id(struct fake_store *st, int platform, bool comment,
		  int64_t created_ms, int64_t *num)
{
	int64_t n;
	char *s;

	for (;;) {
		uint64_t c = st->counter++;
		char *b36, *full;

		switch (platform) {
		case FAKE_MASTODON:
			n = (int64_t)((uint64_t)(created_ms > 0 ? created_ms : 0) << 16 |
				      (c & 0xffff));
			s = xasprintf("%lld", (long long)n);
			break;
		case FAKE_X:
			n = created_ms > TWITTER_EPOCH_MS ? created_ms - TWITTER_EPOCH_MS
							  : 0;
			n = (int64_t)((uint64_t)n << 22 | (c & 0x3fffff));
			s = xasprintf("%lld", (long long)n);
			break;
		case FAKE_REDDIT:
			n = (comment ? 60000000000LL : 2200000000LL) + (int64_t)c;
			b36 = fake_base36((uint64_t)n);
			full = xasprintf("%s_%s", comment ? "t1" : "t3", b36);
			if (native_taken(st, platform, full)) {
				free(full);
				free(b36);
				continue;
			}
			free(full);
			*num = n;
			return b36;
		default:
			n = 40000000 + (int64_t)c;
			s = xasprintf("%lld", (long long)n);
			break;
		}
		if (!native_taken(st, platform, s))
			break;
		free(s);
	}
	*num = n;
	return s;
}

/* ---- timeline lines ---- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *jdup(json_t *o, const char *k)
{
	const char *s = jstr(o, k);

	return s ? xstrdup(s) : NULL;
}

static bool valid_tid(const char *s)
{
	if (strlen(s) != 13 || !strchr("234567abcdefghij", s[0]))
		return false;
	for (; *s; s++)
		if (!strchr("234567abcdefghijklmnopqrstuvwxyz", *s))
			return false;
	return true;
}

/* The listing order key: ids for Mastodon and X (their paging is by id),
 * time for the others. */
static void set_order(struct fake_post *p)
{
	switch (p->platform) {
	case FAKE_MASTODON:
	case FAKE_X:
		p->k1 = p->num;
		p->k2 = p->seq;
		break;
	case FAKE_REDDIT:
		p->k1 = p->created_ms;
		p->k2 = (uint64_t)p->num << 1 | (p->comment ? 1 : 0);
		break;
	case FAKE_BLUESKY:
		p->k1 = p->created_ms;
		p->k2 = fake_hash(p->native, strlen(p->native));
		break;
	default:
		p->k1 = p->created_ms;
		p->k2 = (uint64_t)p->num;
		break;
	}
}

/* Give p its native id from the timeline id, or a generated one. */
static int assign_native(struct fake_store *st, struct fake_post *p,
			 struct heed_err *err)
{
	const char *k = p->key;
	int64_t num;

	switch (p->platform) {
	case FAKE_MASTODON:
	case FAKE_X:
	case FAKE_HN:
		if (fake_parse_u63(k, &num)) {
			p->native = xstrdup(k);
			p->num = num;
		} else {
			p->native = fake_new_id(st, p->platform, p->comment,
						p->created_ms, &p->num);
		}
		break;
	case FAKE_REDDIT:
		if (!strncmp(k, "t1_", 3) || !strncmp(k, "t3_", 3)) {
			p->comment = k[1] == '1';
			k += 3;
		}
		if (fake_parse_base36(k, &num)) {
			p->native = xstrdup(k);
			p->num = num;
		} else {
			p->native = fake_new_id(st, p->platform, p->comment,
						p->created_ms, &p->num);
		}
		break;
	case FAKE_BLUESKY: {
		const char *slash = strrchr(k, '/');

		if (!strncmp(k, "at://", 5) && slash)
			p->rkey = xstrdup(slash + 1);
		else if (valid_tid(k))
			p->rkey = xstrdup(k);
		else
			p->rkey = fake_new_tid(st, p->created_ms);
		p->native = xasprintf("at://%s/app.bsky.feed.post/%s",
				      p->author->id, p->rkey);
		p->cid = fake_new_cid(p->native, p->text);
		break;
	}
	default:
		break;
	}
	if (p->platform == FAKE_REDDIT) {
		char *full = xasprintf("%s_%s", p->comment ? "t1" : "t3", p->native);
		bool taken = native_taken(st, p->platform, full);

		free(full);
		if (taken)
			return heed_err_set(err, HEED_EINVAL, "duplicate id '%s'",
					    p->key);
	} else if (native_taken(st, p->platform, p->native)) {
		return heed_err_set(err, HEED_EINVAL, "duplicate id '%s'", p->key);
	}
	return HEED_OK;
}

static void index_post(struct fake_store *st, struct fake_post *p)
{
	char *k;

	p->seq = st->counter++;
	st->gen++;
	set_order(p);
	if (p->key) {
		k = pkey(p->platform, p->key);
		fake_map_put(&st->by_key, k, p);
		free(k);
	}
	if (p->platform == FAKE_REDDIT) {
		char *full = xasprintf("%s_%s", p->comment ? "t1" : "t3", p->native);

		k = pkey(p->platform, full);
		free(full);
	} else {
		k = pkey(p->platform, p->native);
	}
	fake_map_put(&st->by_native, k, p);
	free(k);
	if (p->platform == FAKE_BLUESKY) {
		k = xasprintf("bluesky|rkey|%s|%s", p->author->id, p->rkey);
		fake_map_put(&st->by_native, k, p);
		free(k);
	}
	list_insert(&st->lists[p->platform], p);
}

/* Parse one timeline line into a post (not yet in the store). */
static struct fake_post *parse_line(struct fake_store *st, json_t *o,
				    double tl_now, struct heed_err *err)
{
	struct fake_post *p = NULL;
	json_t *author, *chans, *v;
	const char *s;
	int platform;

	s = jstr(o, "platform");
	platform = s ? fake_platform_parse(s) : FAKE_NOPLATFORM;
	if (platform < 0) {
		heed_err_set(err, HEED_EINVAL, "unknown or missing 'platform'");
		return NULL;
	}
	if (!json_is_string(json_object_get(o, "text"))) {
		heed_err_set(err, HEED_EINVAL, "missing 'text'");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->platform = platform;
	v = json_object_get(o, "id");
	if (json_is_string(v))
		p->key = xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		p->key = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		p->key = xasprintf("auto-%llu", (unsigned long long)st->counter++);
	if (fake_store_find(st, platform, p->key)) {
		heed_err_set(err, HEED_EINVAL, "duplicate id '%s'", p->key);
		goto out_free_post;
	}
	v = json_object_get(o, "at");
	p->at = json_is_number(v) ? json_number_value(v) : 0;
	if (json_is_true(json_object_get(o, "at_now")))
		p->at += tl_now;
	p->created_ms = st->epoch_ms + llround(p->at * 1000);
	p->text = jdup(o, "text");
	if (!fake_utf8_valid(p->text, strlen(p->text))) {
		heed_err_set(err, HEED_EUTF8, "'text' is not valid UTF-8");
		goto out_free_post;
	}
	p->title = jdup(o, "title");
	p->lang = jdup(o, "lang");
	p->reply_to = jdup(o, "reply_to");
	p->thread = jdup(o, "thread");
	p->edit_of = jdup(o, "edit_of");
	p->subreddit = jdup(o, "subreddit");
	s = jstr(o, "kind");
	if (s && strcmp(s, "post") && strcmp(s, "comment") && strcmp(s, "story")) {
		heed_err_set(err, HEED_EINVAL, "'kind' must be post or comment");
		goto out_free_post;
	}
	p->comment = s ? !strcmp(s, "comment") : p->reply_to != NULL;
	v = json_object_get(o, "edited");
	if (json_is_number(v))
		p->edited_ms = st->epoch_ms + llround((p->at + json_number_value(v)) *
						       1000);
	else if (json_is_true(v))
		p->edited_ms = p->created_ms + 60000;
	chans = json_object_get(o, "channels");
	if (chans && !json_is_array(chans)) {
		heed_err_set(err, HEED_EINVAL, "'channels' must be a list");
		goto out_free_post;
	}
	p->channels = xcalloc(json_array_size(chans) + 1, sizeof(char *));
	for (size_t i = 0; i < json_array_size(chans); i++) {
		json_t *c = json_array_get(chans, i);

		if (!json_is_string(c)) {
			heed_err_set(err, HEED_EINVAL, "channel is not a string");
			goto out_free_post;
		}
		p->channels[p->nchannels++] = xstrdup(json_string_value(c));
		if (!p->subreddit && !strncmp(json_string_value(c), "sub:", 4))
			p->subreddit = xstrdup(json_string_value(c) + 4);
	}
	if (platform == FAKE_REDDIT && !p->subreddit)
		p->subreddit = xstrdup("all");
	if (p->edit_of) {
		struct fake_post *o2 = fake_store_find(st, platform, p->edit_of);

		if (platform != FAKE_X || !o2) {
			heed_err_set(err, HEED_EINVAL,
				     "'edit_of' needs an earlier X post, got '%s'",
				     p->edit_of);
			goto out_free_post;
		}
	}
	author = json_object_get(o, "author");
	if (json_is_object(author)) {
		json_t *f = json_object_get(author, "followers");
		const char *aid = jstr(author, "id");
		char *num_id = NULL;

		if (!aid && json_is_integer(json_object_get(author, "id")))
			aid = num_id = xasprintf("%" JSON_INTEGER_FORMAT,
						 json_integer_value(json_object_get(author, "id")));
		p->author = fake_store_author(st, platform, aid,
					      jstr(author, "handle"),
					      jstr(author, "name"),
					      json_is_integer(f) ? json_integer_value(f) : 0);
		free(num_id);
	} else {
		p->author = fake_store_author(st, platform, NULL, NULL, NULL, 0);
	}
	if (assign_native(st, p, err))
		goto out_free_post;
	return p;

out_free_post:
	post_free(p);
	return NULL;
}

/* Link an X edit to its first version. */
static void link_edit(struct fake_store *st, struct fake_post *p)
{
	struct fake_post *o = fake_store_find(st, p->platform, p->edit_of);

	if (!o)
		return;
	if (o->orig)
		o = o->orig;
	p->orig = o;
	st->gen++;
	o->edits = xreallocarray(o->edits, o->nedits + 1, sizeof(*o->edits));
	o->edits[o->nedits++] = p;
}

int fake_store_add_jsonl(struct fake_store *st, const char *text, size_t len,
			 double tl_now, struct heed_err *err)
{
	struct fake_post **batch = NULL;
	size_t nbatch = 0, lineno = 0;
	const char *p = text, *end = text + len;
	int rc = HEED_OK;

	/* Posts are indexed as they parse (so later lines can name earlier ones
	 * in edit_of); on an error every post of this batch is taken out again. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t jerr;
		json_t *o;
		struct fake_post *post;

		lineno++;
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || p[0] == '#') {
			p = nl ? nl + 1 : end;
			continue;
		}
		o = json_loadb(p, n, 0, &jerr);
		if (!json_is_object(o)) {
			json_decref(o);
			rc = heed_err_set(err, HEED_EPARSE, "line %zu: %s", lineno,
					  jerr.text[0] ? jerr.text : "not an object");
			goto out_undo;
		}
		post = parse_line(st, o, tl_now, err);
		json_decref(o);
		if (!post) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", heed_err_msg(err));
			rc = heed_err_set(err, HEED_EINVAL, "line %zu: %s", lineno, msg);
			goto out_undo;
		}
		index_post(st, post);
		if (post->edit_of)
			link_edit(st, post);
		batch = xreallocarray(batch, nbatch + 1, sizeof(*batch));
		batch[nbatch++] = post;
		p = nl ? nl + 1 : end;
	}
	free(batch);
	return HEED_OK;

out_undo:
	for (size_t i = nbatch; i-- > 0;) {
		struct fake_post *q = batch[i];
		struct fake_list *l = &st->lists[q->platform];
		size_t at = fake_list_index(l, q);
		char *k;

		memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
		l->n--;
		k = pkey(q->platform, q->key);
		fake_map_put(&st->by_key, k, NULL);
		free(k);
		if (q->platform == FAKE_REDDIT) {
			char *full = xasprintf("%s_%s", q->comment ? "t1" : "t3",
					       q->native);

			k = pkey(q->platform, full);
			free(full);
		} else {
			k = pkey(q->platform, q->native);
		}
		fake_map_put(&st->by_native, k, NULL);
		free(k);
		if (q->platform == FAKE_BLUESKY) {
			k = xasprintf("bluesky|rkey|%s|%s", q->author->id, q->rkey);
			fake_map_put(&st->by_native, k, NULL);
			free(k);
		}
		if (q->orig)
			q->orig->nedits--;
		post_free(q);
	}
	free(batch);
	return rc;
}

int fake_store_load_file(struct fake_store *st, const char *path,
			 struct heed_err *err)
{
	struct heed_buf b;
	char chunk[65536];
	FILE *f = fopen(path, "r");
	size_t n;
	int rc;

	if (!f)
		return heed_err_set(err, HEED_EIO, "cannot open '%s'", path);
	heed_buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fake_buf_add(&b, chunk, n);
	if (ferror(f)) {
		rc = heed_err_set(err, HEED_EIO, "cannot read '%s'", path);
		goto out_release;
	}
	rc = fake_store_add_jsonl(st, heed_buf_str(&b), heed_buf_len(&b), 0, err);
	if (rc) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", heed_err_msg(err));
		heed_err_set(err, rc, "%s: %s", path, msg);
	}
out_release:
	heed_buf_release(&b);
	fclose(f);
	return rc;
}

void fake_store_add_brand(struct fake_store *st, struct fake_post *p,
			  int64_t now_ms)
{
	p->brand = true;
	p->created_ms = now_ms;
	p->at = (double)(now_ms - st->epoch_ms) / 1000.0;
	if (!p->key)
		p->key = xasprintf("reply-%llu", (unsigned long long)st->counter++);
	if (p->platform == FAKE_BLUESKY && !p->cid)
		p->cid = fake_new_cid(p->native, p->text);
	index_post(st, p);
}

/* ---- paging ---- */

static int cmp_key(const struct fake_post *p, const struct fake_key *k)
{
	return key_cmp(p->k1, p->k2, k->k1, k->k2);
}

size_t fake_page(const struct fake_list *l, const struct fake_key *lo,
		 const struct fake_key *hi, bool from_low, size_t limit,
		 fake_pred_fn *pred, void *ctx, struct fake_post **out,
		 bool *more)
{
	size_t n = 0, i;

	*more = false;
	if (from_low) {
		i = lo ? fake_list_lower(l, lo->k1, lo->k2) : 0;
		while (lo && i < l->n && cmp_key(l->v[i], lo) <= 0)
			i++;
		for (; i < l->n; i++) {
			if (hi && cmp_key(l->v[i], hi) >= 0)
				break;
			if (!pred(l->v[i], ctx))
				continue;
			if (n == limit) {
				*more = true;
				break;
			}
			out[n++] = l->v[i];
		}
		for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
			struct fake_post *t = out[a];

			out[a] = out[b - 1];
			out[b - 1] = t;
		}
		return n;
	}
	i = hi ? fake_list_lower(l, hi->k1, hi->k2) : l->n;
	while (i-- > 0) {
		if (lo && cmp_key(l->v[i], lo) <= 0)
			break;
		if (!pred(l->v[i], ctx))
			continue;
		if (n == limit) {
			*more = true;
			break;
		}
		out[n++] = l->v[i];
	}
	return n;
}
