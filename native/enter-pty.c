/*
 * `netlab shell`: our terminal in raw mode, bytes relayed both ways between it
 * and the pty master whose slave is the command's controlling terminal inside
 * the node. Ctrl-C, Ctrl-Z and friends are bytes here; the node's pty line
 * discipline turns them into signals for the node's foreground process group,
 * so job control works inside and nothing reaches netlab. SIGWINCH copies our
 * window size to the pty (TIOCSWINSZ), which signals the node's foreground job.
 */
#include "enter.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static bool raw;

static void restore_terminal(void)
{
	if (raw)
		tcsetattr(0, TCSADRAIN, &saved);
	raw = false;
}

static void make_raw(void)
{
	if (!isatty(0) || tcgetattr(0, &saved) < 0)
		return;
	struct termios t = saved;
	cfmakeraw(&t);
	if (tcsetattr(0, TCSADRAIN, &t) == 0)
		raw = true;
}

/* Copies what `from` has to `to`; false on end of file or error. */
static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof buf);
	if (n <= 0)
		return n < 0 && errno == EINTR;
	return write_all(to, buf, (size_t)n) == 0;
}

int relay_pty(int master, pid_t child)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	make_raw();
	bool in_open = true;
	int status = 0;
	bool exited = false;
	while (!exited) {
		struct pollfd p[3] = { { master, POLLIN, 0 }, { sfd, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			if (!pump(master, 1))
				p[0].revents |= POLLHUP;
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			if (!pump(0, master))
				in_open = false; /* our stdin ended; the command keeps its pty */
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGWINCH) {
				struct winsize ws;
				if (ioctl(0, TIOCGWINSZ, &ws) == 0)
					ioctl(master, TIOCSWINSZ, &ws);
			} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
				kill(child, si.ssi_signo);
			}
		}
		if (waitpid(child, &status, WNOHANG) == child)
			exited = true;
		else if (p[0].revents & POLLHUP && !(p[0].revents & POLLIN)) {
			/* every slave fd is closed but the command still runs: wait for it */
			waitpid(child, &status, 0);
			exited = true;
		}
	}
	/* what the command wrote last */
	int fl = 1;
	ioctl(master, FIONBIO, &fl);
	while (pump(master, 1))
		;
	restore_terminal();
	return status;
}
