/* html.h: post text as the platforms send it, made into plain UTF-8 that is
 * safe to store, classify and show: HTML to text (Mastodon content, HN
 * comment_text), entity decoding alone (Reddit without raw_json=1), and the
 * UTF-8 sanitiser every adapter runs on every string it keeps. */
#ifndef HEED_HTML_H
#define HEED_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* Default cap for a post's text, in bytes (NUL excluded). */
#define HEED_HTML_TEXT_MAX (40u * 1024)

/* Make len bytes of s into clean UTF-8: each invalid sequence (maximal
 * subpart, as Unicode recommends) becomes U+FFFD; NUL, the C0 controls but
 * '\t' and '\n', DEL and the C1 controls are dropped. The result holds at
 * most max bytes (0: no cap), cut on a character boundary, never in the
 * middle of a sequence. s need not be NUL-terminated and may hold NULs.
 * Returns a new string (free it); never NULL. Thread-safe. */
char *heed_html_clean(const char *s, size_t len, size_t max);

/* True when len bytes of s are well-formed UTF-8 (controls allowed). */
bool heed_html_utf8_valid(const char *s, size_t len);

/* Decode character references in len bytes of s and leave everything else
 * as it is: named ones (&amp; &lt; &gt; &quot; &apos; &nbsp; and the HTML 4
 * Latin-1, punctuation and symbol set), decimal (&#34;) and hex (&#x27;).
 * Numeric references to 0, a surrogate, past U+10FFFF or too long become
 * U+FFFD; 128-159 are read as Windows-1252, as browsers do. An unknown name
 * stays literal. The result is then cleaned as by heed_html_clean with
 * max. Returns a new string (free it); never NULL. Thread-safe. */
char *heed_html_decode_entities(const char *s, size_t len, size_t max);

/* Turn an HTML fragment into plain text: tags are dropped (their text
 * kept, so a Mastodon link split into "invisible" spans reads whole),
 * comments, <script> and <style> go entirely; <p> and other blocks are
 * separated by a blank line, <br> and <li> start a new line; other runs of
 * white space become one space, and the text is trimmed. Inside <pre> white
 * space is kept. Entities are decoded as by heed_html_decode_entities and
 * the result is cleaned and capped at max bytes as by heed_html_clean.
 * Returns a new string (free it); never NULL. Thread-safe. */
char *heed_html_to_text(const char *html, size_t len, size_t max);

#endif
