/* source.c: the plumbing shared by every adapter: requests, pages and
 * mentions (see heed/source.h and heed/mention.h), and the adapter table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/source.h"
#include "heed/xalloc.h"

extern const struct heed_source_ops heed_ops_mastodon, heed_ops_bluesky,
	heed_ops_reddit, heed_ops_x, heed_ops_hn;

const struct heed_source_ops *const heed_source_ops_all[] = {
	&heed_ops_mastodon, &heed_ops_bluesky, &heed_ops_reddit, &heed_ops_x,
	&heed_ops_hn, NULL,
};

const struct heed_source_ops *heed_source_ops_find(const char *platform)
{
	for (size_t i = 0; heed_source_ops_all[i]; i++)
		if (!strcmp(heed_source_ops_all[i]->platform, platform))
			return heed_source_ops_all[i];
	return NULL;
}

void heed_mention_init(struct heed_mention *m)
{
	memset(m, 0, sizeof(*m));
	m->author_followers = -1;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void heed_mention_release(struct heed_mention *m)
{
	free(m->external_id);
	free(m->url);
	free(m->author_id);
	free(m->author_handle);
	free(m->author_name);
	free(m->text);
	free(m->raw);
	free(m->in_reply_to);
	free(m->thread_key);
	free(m->lang);
	free_strv(m->topics);
	free(m->reasons_json);
	free(m->needs_reply_reason);
	heed_mention_init(m);
}

void heed_req_release(struct heed_req *req)
{
	free(req->url);
	for (size_t i = 0; req->headers[i]; i++)
		free(req->headers[i]);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

void heed_req_header(struct heed_req *req, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	char *line;
	int len;

	while (req->headers[n])
		n++;
	if (n + 1 >= sizeof(req->headers) / sizeof(req->headers[0])) {
		fprintf(stderr, "BUG: too many request headers\n");
		abort();
	}
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	line = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(line, (size_t)len + 1, fmt, ap);
	va_end(ap);
	req->headers[n] = line;
	req->headers[n + 1] = NULL;
}

void heed_page_init(struct heed_page *p)
{
	memset(p, 0, sizeof(*p));
}

void heed_page_release(struct heed_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		heed_mention_release(&p->items[i]);
	free(p->items);
	for (size_t i = 0; i < p->nbad; i++) {
		free(p->bad[i].id);
		free(p->bad[i].reason);
	}
	free(p->bad);
	free(p->cursor);
	heed_page_init(p);
}

struct heed_mention *heed_page_add(struct heed_page *p)
{
	p->items = xreallocarray(p->items, p->n + 1, sizeof(*p->items));
	heed_mention_init(&p->items[p->n]);
	return &p->items[p->n++];
}

void heed_page_bad(struct heed_page *p, const char *id, const char *fmt, ...)
{
	struct heed_bad_item *b;
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	p->bad = xreallocarray(p->bad, p->nbad + 1, sizeof(*p->bad));
	b = &p->bad[p->nbad++];
	b->id = id ? xstrndup(id, 200) : NULL;
	b->reason = xstrdup(reason);
}

void heed_source_free(struct heed_source *src)
{
	if (!src)
		return;
	free(src->name);
	free(src->kind);
	free(src->brand);
	free(src->base_url);
	free_strv(src->queries);
	free(src->account);
	free_strv(src->own_accounts);
	free_strv(src->exclude);
	free(src->user);
	if (src->secret)
		explicit_bzero(src->secret, strlen(src->secret));
	free(src->secret);
	free(src->client_id);
	if (src->client_secret)
		explicit_bzero(src->client_secret, strlen(src->client_secret));
	free(src->client_secret);
	free(src);
}
