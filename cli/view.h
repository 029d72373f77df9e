/* view.h: what the agent commands (cmd_queue, cmd_next, cmd_show, cmd_claim,
 * cmd_reply, cmd_case, cmd_templates) share: the colour policy, cells of
 * outside text made inert and cut to a display width, the case view of
 * `heed show` and `heed next`, $EDITOR, and exit codes for queue errors.
 * Everything printed from here has gone through heed_term_*. */
#ifndef HEED_CLI_VIEW_H
#define HEED_CLI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heed/buf.h"
#include "heed/err.h"
#include "heed/queue.h"
#include "heed/reply.h"

struct heed_cfg;
struct cli_ctx;

/* Colour only on a terminal and only while NO_COLOR is unset. */
bool view_colour(int fd);

/* SGR sequences used by the views; append with view_sgr. */
#define VIEW_BOLD "1"
#define VIEW_DIM "2"
#define VIEW_RED "1;31"
#define VIEW_YELLOW "1;33"
#define VIEW_GREEN "32"
#define VIEW_CYAN "36"

/* Append ESC [ sgr m when colour is on; sgr NULL resets. */
void view_sgr(struct heed_buf *b, bool colour, const char *sgr);

/* Append raw outside text made inert, on one line. With width > 0 it is cut
 * to at most width display cells (ending in an ellipsis when cut) and, with
 * pad, padded with spaces to exactly width. */
void view_cell(struct heed_buf *b, const char *raw, size_t width, bool pad);

/* Append raw outside text made inert, newlines kept, each line after the
 * first starting with indent. */
void view_block(struct heed_buf *b, const char *raw, const char *indent);

/* Append time left, right-aligned in width cells: yellow under 10
 * minutes, red once negative (when colour is on). */
void view_left(struct heed_buf *b, int64_t secs, size_t width, bool colour);

/* Append JSON text (the classifier's reasons, an event's detail) inert on
 * one line: strings as they are, objects as key=value pairs, arrays joined
 * with "; ", anything unparsable as its text. */
void view_json_line(struct heed_buf *b, const char *text);

/* Display cells of clean UTF-8 text (already through heed_term_clean). */
size_t view_width(const char *s);

/* The CLI exit code for a heed status (cli.h): 0, 1 for a refusal or a
 * conflict, 4 when the database failed or refused the role. */
int view_exit_code(int code);

/* Print "heed: MESSAGE" (made inert) on stderr; return view_exit_code. */
int view_fail(const struct heed_err *err);

/* Parse a case id (a positive decimal). */
bool view_parse_id(const char *s, int64_t *id);

/* The [reply] limits of the configuration. */
void view_limits(const struct heed_cfg *cfg, struct heed_reply_limits *lim);

/* Lease from --lease, or the configured key ([queue] lease or
 * assign_lease). Returns CLI_OK or CLI_USAGE (message printed). */
int view_lease(struct cli_ctx *ctx, const char *flag, const char *key,
	       int64_t *ms);

/* Print case c (as read with HEED_CASE_ALL) for a person. */
void view_case(FILE *out, const struct heed_case *c, bool colour);

/* Open $VISUAL, $EDITOR or vi on a temporary file holding initial, as git
 * commit does, and return what was saved with '#' lines and surrounding
 * blank lines removed (allocated; "" when empty). keep_path, when not
 * NULL, receives the file's path (allocated) and the file is kept, so that
 * the caller can point the agent at it if queueing fails; otherwise it is
 * removed. HEED_EIO when the editor fails. */
int view_edit(const char *initial, char **out, char **keep_path,
	      struct heed_err *err);

#endif
