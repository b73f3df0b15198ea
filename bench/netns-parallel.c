/*
 * Does the kernel create network namespaces in parallel? Creates N processes,
 * each in a new network namespace (optionally with lo up, optionally with every
 * namespace a netlab node has), from P creators at once, and prints the wall
 * time until all exist. Nothing but the namespaces: no mounts, no links.
 *
 *   gcc -O2 -o /tmp/netns-parallel bench/netns-parallel.c
 *   sudo /tmp/netns-parallel N P [LO] [ALL]     e.g. 500 8 1 1
 *
 * Same time for every P means the work is serialized in the kernel (the
 * pernet setup, and lo's registration, under the RTNL and pernet locks:
 * net/core/net_namespace.c setup_net). Results: docs/performance.md.
 * Every process it makes is killed before it exits; nothing is left behind.
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &r) < 0 || (r.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &r)) < 0)
		perror("lo up");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s N P [LO] [ALL]\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[1]), par = atoi(argv[2]);
	int lo = argc > 3 && atoi(argv[3]), all = argc > 4 && atoi(argv[4]);
	int flags = CLONE_NEWNET | (all ? CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP : 0);
	if (n < 1 || par < 1)
		return 2;
	setpgid(0, 0); /* the cleanup below signals this group only */
	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	double t0 = now_ms();
	for (int w = 0; w < par; w++) {
		if (fork() != 0)
			continue;
		for (int i = w; i < n; i += par) {
			if (fork() != 0)
				continue;
			if (unshare(flags) < 0) {
				perror("unshare");
				_exit(1);
			}
			if (lo)
				lo_up();
			char b = 1;
			if (write(ready[1], &b, 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		_exit(0);
	}
	for (int i = 0; i < n; i++) {
		char b;
		if (read(ready[0], &b, 1) != 1)
			break;
	}
	double ms = now_ms() - t0;
	printf("%d namespaces%s%s, %d at a time: %.0f ms (%.3f ms each)\n", n, lo ? " + lo up" : "",
	       all ? " (net, mnt, uts, ipc, pid, cgroup)" : " (net)", par, ms, ms / n);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
