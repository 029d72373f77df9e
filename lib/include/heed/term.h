/* term.h: make outside text inert before it reaches a terminal. Mention
 * text, author names and platform errors are hostile: they may carry escape
 * sequences (a clipboard write by OSC 52, a window title, cursor movement),
 * C1 controls, or bidirectional overrides that reorder what an agent reads.
 * Everything here removes them and repairs invalid UTF-8. */
#ifndef HEED_TERM_H
#define HEED_TERM_H

#include <stddef.h>

#define HEED_TERM_KEEP_NEWLINES 0x1u	/* keep \n (else it becomes a space) */

/* Clean len bytes of in: ESC and the whole sequence it starts (CSI, OSC up
 * to BEL or ST, DCS/SOS/PM/APC strings, two-byte escapes), C0 controls
 * other than tab and newline, DEL, C1 controls (U+0080-U+009F, including
 * 8-bit CSI), bidirectional controls (U+202A-U+202E, U+2066-U+2069,
 * U+200E, U+200F, U+061C) are removed; invalid UTF-8 becomes U+FFFD; tab
 * becomes a space. Returns an allocated string (free it); never NULL. */
char *heed_term_clean(const char *in, size_t len, unsigned flags);

/* The same into out (size outsz, always terminated), one line, cut at a
 * character boundary with "..." when it does not fit. Returns out. */
char *heed_term_sanitize(char *out, size_t outsz, const char *in);

#endif
