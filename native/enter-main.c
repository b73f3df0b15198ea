/*
 * netlab-enter's command line: the internal form TypeScript uses (enter.ts
 * enterArgs) and, with --cli, `netlab exec`/`netlab shell` as users type them
 * (enter-cli.c). Usage in enter.c's header comment.
 */
#include "enter.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void say_error(const char *hint, const char *fmt, ...)
{
	bool color = isatty(2) && !getenv("NO_COLOR");
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dprintf(2, "%serror:%s %s\n", color ? "\033[31m" : "", color ? "\033[39m" : "", msg);
	if (hint && hint[0])
		dprintf(2, "%shint:%s %s\n", color ? "\033[33m" : "", color ? "\033[39m" : "", hint);
}

static int usage(void)
{
	say_error("netlab exec NODE -- CMD runs CMD in NODE (docs/nodes.md)",
		  "usage: netlab-enter --pid PID [--starttime N] [--lab LAB] [--node NODE] [--class CLS] "
		  "[--cwd DIR] [--user UID:GID] [--env K=V]... [-t [--winsize-fd FD]] [--detach [--log FILE]] -- CMD [ARG...]");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--cli"))
		return cli_main(argc - 2, argv + 2);
	static char *envs[256];
	struct enter_req r = { .env = envs };
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-t")) {
			r.tty = true;
		} else if (!strcmp(a, "--detach")) {
			r.detach = true;
		} else if (v && !strcmp(a, "--pid")) {
			r.pid = atoi(v), i++;
		} else if (v && !strcmp(a, "--starttime")) {
			r.starttime = strtoull(v, NULL, 10), i++;
		} else if (v && !strcmp(a, "--lab")) {
			r.lab = v, i++;
		} else if (v && !strcmp(a, "--node")) {
			r.node = v, i++;
		} else if (v && !strcmp(a, "--class")) {
			r.cls = v, i++;
		} else if (v && !strcmp(a, "--log")) {
			r.log = v, i++;
		} else if (v && !strcmp(a, "--winsize-fd") && atoi(v) > 2) {
			r.winsize_fd = atoi(v), i++;
			/* never inherited by the command; read without blocking */
			if (fcntl(r.winsize_fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(r.winsize_fd, F_SETFL, O_NONBLOCK) < 0)
				return usage();
		} else if (v && !strcmp(a, "--cwd")) {
			r.cwd = v, i++;
		} else if (v && !strcmp(a, "--user") && sscanf(v, "%u:%u", &r.uid, &r.gid) == 2) {
			r.user = true, i++;
		} else if (v && !strcmp(a, "--env") && strchr(v, '=') && r.nenv < 255) {
			envs[r.nenv++] = (char *)v, i++;
		} else {
			return usage();
		}
	}
	r.argv = argv + i;
	if (r.pid <= 0 || (!r.argv[0] && !r.tty) || (r.tty && r.detach) || (r.winsize_fd && !r.tty))
		return usage();
	return enter_run(&r);
}
