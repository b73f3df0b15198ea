/*
 * `netlab shell`: our terminal in raw mode, bytes relayed both ways between it
 * and the pty master whose slave is the command's controlling terminal inside
 * the node. Ctrl-C, Ctrl-Z and friends are bytes here; the node's pty line
 * discipline turns them into signals for the node's foreground process group,
 * so job control works inside and nothing reaches netlab. SIGWINCH copies our
 * window size to the pty (TIOCSWINSZ), which signals the node's foreground job.
 * When our input ends (`netlab shell r1 </dev/null`, a closed pipe), the pty
 * gets its end-of-file character, as script(1) does, so a shell reading it
 * exits; SIGTERM or SIGHUP to us is a hangup of the node's terminal (SIGHUP to
 * the command's session), as when a terminal window closes.
 *
 * Without a terminal of ours (the web UI relays the pty over pipes), the
 * window size comes from --winsize-fd: 4-byte records, rows and columns as
 * little-endian u16, each applied with TIOCSWINSZ like a SIGWINCH would be.
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

/* Writes the terminal's end-of-file character (VEOF, ^D by default) to the pty. */
static void send_eof(int master)
{
	struct termios t;
	char eof = tcgetattr(master, &t) == 0 && t.c_cc[VEOF] ? (char)t.c_cc[VEOF] : 4;
	write_all(master, &eof, 1);
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

bool apply_winsizes(int fd, int master)
{
	/* Node.js hands a child its extra stdio as a stream socket, which may
	 * split a record: the bytes of a partial one wait for the rest. */
	static unsigned char rec[4];
	static size_t have;
	unsigned char buf[4 * 64];
	ssize_t n;
	struct winsize ws = { 0 };
	bool got = false;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			rec[have++] = buf[i];
			if (have < 4)
				continue;
			have = 0;
			ws.ws_row = (unsigned short)(rec[0] | rec[1] << 8);
			ws.ws_col = (unsigned short)(rec[2] | rec[3] << 8);
			got = true;
		}
	}
	if (got && ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws);
	return !(n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR));
}

int relay_pty(int master, pid_t child, int winsize_fd)
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
	int eofs_left = 25; /* after our input ends: ^D every 200 ms, for 5 s at most */
	int status = 0;
	bool exited = false;
	while (!exited) {
		struct pollfd p[4] = { { master, POLLIN, 0 }, { sfd, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 },
				       { winsize_fd > 2 ? winsize_fd : -1, POLLIN, 0 } };
		int ready = poll(p, 4, in_open || eofs_left <= 0 ? -1 : 200);
		if (ready < 0 && errno != EINTR)
			break;
		/* An end of file sent before the shell reads its terminal can be
		 * consumed by its start-up; repeat it until the command is gone. */
		if (ready == 0 && !in_open && eofs_left-- > 0)
			send_eof(master);
		if (p[0].revents & POLLIN) {
			if (!pump(master, 1))
				p[0].revents |= POLLHUP;
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			if (!pump(0, master)) {
				in_open = false; /* our stdin ended: say so on the pty */
				send_eof(master);
			}
		}
		if (p[3].revents & (POLLIN | POLLHUP) && !apply_winsizes(winsize_fd, master))
			winsize_fd = -1; /* the caller closed it: sizes stay as they are */
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGWINCH) {
				struct winsize ws;
				if (ioctl(0, TIOCGWINSZ, &ws) == 0)
					ioctl(master, TIOCSWINSZ, &ws);
			} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
				/* the command leads its own session (setsid in enter.c) */
				kill(-child, SIGHUP);
				kill(child, SIGHUP);
				kill(child, SIGCONT);
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
