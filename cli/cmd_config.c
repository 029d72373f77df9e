/* cmd_config.c: `heed config`: print the key table with defaults, check a
 * file, or show the effective configuration and where each value came from. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

const char cmd_config_usage[] =
	"usage: heed config [--defaults | --check | --show]\n"
	"\n"
	"  --defaults   print every key with its default and one line of help\n"
	"               (the content of etc/heed.conf.example)\n"
	"  --check      parse and validate the configuration; print its path\n"
	"  --show       print the effective value of every key and its origin\n"
	"               (the default)\n"
	"\n"
	"Secrets never live in the configuration: keys name an environment\n"
	"variable or a 0600 file that holds them.\n";

int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "defaults", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'c' },
		{ "show", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int mode = 's', c;
	struct heed_cfg *cfg;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?')
			return cli_bad_usage(ctx, "bad option");
		mode = c;
	}
	if (optind < argc)
		return cli_bad_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (mode == 'd') {
		heed_cfg_write_defaults(heed_cfg_keys, stdout);
		return CLI_OK;
	}
	cfg = cli_config(ctx);
	if (!cfg)
		return CLI_CONFIG;
	if (mode == 'c') {
		printf("ok: %s\n", heed_cfg_path(cfg) ? heed_cfg_path(cfg)
						      : "no file, defaults only");
		return CLI_OK;
	}
	heed_cfg_write_effective(cfg, stdout);
	return CLI_OK;
}
