/*
 * netlab-capture: the packets of several interfaces, each in its own network
 * namespace, as one pcapng stream on stdout (`netlab capture`, docs/observe.md).
 *
 * For each interface it joins only the network namespace of the node's PID 1
 * (setns(CLONE_NEWNET) on /proc/PID/ns/net; the PID's start time is checked
 * after the open, so a reused PID is refused), opens a libpcap handle there
 * (AF_PACKET with a TPACKET_V3 ring, nanosecond timestamps; ring blocks are
 * handed over when full or after 20 ms, not per packet: immediate mode lost
 * most packets at high rates, docs/decisions.md "Capture")
 * and returns to its own namespace: a socket stays bound to the namespace it
 * was made in (socket(7)). Nothing runs inside the node, so a node whose root
 * filesystem has no tcpdump is captured all the same, and the interface is
 * not put in promiscuous mode (a veth hands its packet sockets every frame).
 *
 * libpcap is loaded with dlopen (libpcap.so.0.8, Debian's name, then
 * libpcap.so.1 and libpcap.so): netlab builds without libpcap's headers, and
 * only capture needs the library, at run time. The few declarations below are
 * libpcap's stable ABI (pcap/pcap.h, unchanged since 1.0).
 *
 * Order: packets of all interfaces are held in a heap for --hold-ms (default
 * 100 ms) after their kernel timestamp and then written oldest first, so the
 * file is in time order across interfaces even though each ring is read on
 * its own; at the end everything left is written in order. One interface
 * needs no merging: its packets are written as they are read.
 *
 * Usage: netlab-capture [--count N] [--duration-ms MS] [--snaplen BYTES]
 *          [--buffer-kb KB] [--hold-ms MS] [--filter EXPR] [--immediate]
 *          --if PID STARTTIME IFNAME NAME DESCRIPTION [--if …]…
 *   PID 0: this process's own network namespace (the host end of a host link).
 * stdout: pcapng (pcapng spec, draft-ietf-opsawg-pcapng): a Section Header
 *   Block, an Interface Description Block per --if (if_name NAME,
 *   if_description DESCRIPTION, if_tsresol 9, if_filter), an Enhanced Packet
 *   Block per packet, and at the end an Interface Statistics Block per
 *   interface (isb_filteraccept, isb_osdrop: dropped because the ring was
 *   full, isb_usrdeliv: written).
 * stderr: lines for capture.ts, one event each:
 *   ready                                   every interface is capturing
 *   gone IDX MESSAGE                        an interface vanished (node died)
 *   stat IDX RECEIVED DROPPED WRITTEN       at the end, one per interface
 *   error IDX STEP ERRNO MESSAGE            IDX is - when not about one interface
 * `netlab-capture --check` only loads libpcap (for netlab doctor): exit 0 or 1.
 * Exit: 0 done (count, duration, SIGINT/SIGTERM/SIGHUP, every interface gone,
 * or the reader closed the pipe), 1 a failure, 2 bad usage or a bad filter.
 */
#include "common.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- libpcap's ABI (pcap/pcap.h, pcap/bpf.h) ---- */
typedef struct pcap pcap_t;
struct pcap_pkthdr { struct timeval ts; uint32_t caplen; uint32_t len; };
struct bpf_program { unsigned int bf_len; void *bf_insns; };
struct pcap_stat { unsigned int ps_recv, ps_drop, ps_ifdrop; };
typedef void (*pcap_handler)(unsigned char *, const struct pcap_pkthdr *, const unsigned char *);
#define PCAP_ERRBUF_SIZE 256
#define PCAP_TSTAMP_PRECISION_NANO 1
#define PCAP_NETMASK_UNKNOWN 0xffffffffu

static struct {
	pcap_t *(*create)(const char *, char *);
	int (*set_snaplen)(pcap_t *, int);
	int (*set_timeout)(pcap_t *, int);
	int (*set_immediate_mode)(pcap_t *, int);
	int (*set_buffer_size)(pcap_t *, int);
	int (*set_tstamp_precision)(pcap_t *, int);
	int (*activate)(pcap_t *);
	char *(*geterr)(pcap_t *);
	int (*compile)(pcap_t *, struct bpf_program *, const char *, int, uint32_t);
	int (*setfilter)(pcap_t *, struct bpf_program *);
	void (*freecode)(struct bpf_program *);
	int (*setnonblock)(pcap_t *, int, char *);
	int (*get_selectable_fd)(pcap_t *);
	int (*dispatch)(pcap_t *, int, pcap_handler, unsigned char *);
	int (*stats)(pcap_t *, struct pcap_stat *);
	int (*datalink)(pcap_t *);
	void (*close)(pcap_t *);
} pc;

static int load_libpcap(void)
{
	static const char *names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" };
	void *h = NULL;
	for (size_t i = 0; i < sizeof names / sizeof *names && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		dprintf(2, "error - dlopen 2 libpcap (libpcap.so.0.8): %s\n", dlerror());
		return -1;
	}
#define SYM(field, name) \
	do { *(void **)&pc.field = dlsym(h, name); if (!pc.field) { dprintf(2, "error - dlsym 2 libpcap has no %s\n", name); return -1; } } while (0)
	SYM(create, "pcap_create");
	SYM(set_snaplen, "pcap_set_snaplen");
	SYM(set_timeout, "pcap_set_timeout");
	SYM(set_immediate_mode, "pcap_set_immediate_mode");
	SYM(set_buffer_size, "pcap_set_buffer_size");
	SYM(set_tstamp_precision, "pcap_set_tstamp_precision");
	SYM(activate, "pcap_activate");
	SYM(geterr, "pcap_geterr");
	SYM(compile, "pcap_compile");
	SYM(setfilter, "pcap_setfilter");
	SYM(freecode, "pcap_freecode");
	SYM(setnonblock, "pcap_setnonblock");
	SYM(get_selectable_fd, "pcap_get_selectable_fd");
	SYM(dispatch, "pcap_dispatch");
	SYM(stats, "pcap_stats");
	SYM(datalink, "pcap_datalink");
	SYM(close, "pcap_close");
#undef SYM
	return 0;
}

/* ---- the interfaces ---- */
struct iface {
	pid_t pid;
	unsigned long long starttime;
	const char *ifname, *name, *desc;
	pcap_t *p;
	int fd;
	bool gone;         /* vanished for good: its node died, or it was deleted */
	bool down;         /* went down (a cut link): reopened once it is up again */
	uint64_t written;
	struct pcap_stat st; /* summed over the handles it had (one per time it was up) */
};

#define MAX_IFACES 4096
static struct iface ifs[MAX_IFACES];
static int nifs;

/* ---- the time-ordered heap of held packets ---- */
struct pkt {
	uint64_t ts_ns, seq;
	uint32_t idx, caplen, len;
	unsigned char data[];
};
static struct pkt **heap;
static size_t heap_n, heap_cap;
static uint64_t seq;

static bool before(const struct pkt *a, const struct pkt *b)
{
	return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns && a->seq < b->seq);
}

static int heap_push(struct pkt *p)
{
	if (heap_n == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 1024;
		struct pkt **n = realloc(heap, cap * sizeof *heap);
		if (!n)
			return -1;
		heap = n, heap_cap = cap;
	}
	size_t i = heap_n++;
	heap[i] = p;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(heap[i], heap[up]))
			break;
		struct pkt *t = heap[i]; heap[i] = heap[up]; heap[up] = t;
		i = up;
	}
	return 0;
}

static struct pkt *heap_pop(void)
{
	struct pkt *top = heap[0];
	heap[0] = heap[--heap_n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < heap_n && before(heap[l], heap[m])) m = l;
		if (r < heap_n && before(heap[r], heap[m])) m = r;
		if (m == i)
			break;
		struct pkt *t = heap[i]; heap[i] = heap[m]; heap[m] = t;
		i = m;
	}
	return top;
}

/* ---- pcapng output, buffered ---- */
static unsigned char outbuf[1 << 20];
static size_t outlen;
static bool reader_gone; /* EPIPE: the reader (wireshark, tcpdump -r -) went away */
static bool write_failed;
static int write_errno;

static void out_flush(void)
{
	if (!outlen || reader_gone || write_failed)
		return;
	if (write_all(1, outbuf, outlen) < 0) {
		if (errno == EPIPE)
			reader_gone = true;
		else
			write_failed = true, write_errno = errno;
	}
	outlen = 0;
}

static void out_bytes(const void *b, size_t n)
{
	if (outlen + n > sizeof outbuf)
		out_flush();
	if (n > sizeof outbuf) { /* larger than the buffer: straight through */
		if (!reader_gone && !write_failed && write_all(1, b, n) < 0) {
			if (errno == EPIPE) reader_gone = true; else write_failed = true, write_errno = errno;
		}
		return;
	}
	memcpy(outbuf + outlen, b, n);
	outlen += n;
}

static void out_u16(uint16_t v) { out_bytes(&v, 2); }
static void out_u32(uint32_t v) { out_bytes(&v, 4); }
static void out_pad(size_t n) { static const unsigned char z[4]; out_bytes(z, (4 - n % 4) % 4); }

/* Size of one option with its padding. */
static size_t opt_size(size_t len) { return 4 + len + (4 - len % 4) % 4; }

static void out_opt(uint16_t code, const void *v, size_t len)
{
	out_u16(code);
	out_u16((uint16_t)len);
	out_bytes(v, len);
	out_pad(len);
}

static void write_shb(void)
{
	const char *app = "netlab capture";
	uint32_t len = 28 + (uint32_t)opt_size(strlen(app)) + 4;
	out_u32(0x0A0D0D0A);
	out_u32(len);
	out_u32(0x1A2B3C4D);
	out_u16(1), out_u16(0);
	out_u32(0xffffffff), out_u32(0xffffffff); /* section length unknown */
	out_opt(4, app, strlen(app));                /* shb_userappl */
	out_u32(0);                                  /* opt_endofopt */
	out_u32(len);
}

static void write_idb(const struct iface *f, int linktype, int snaplen, const char *filter)
{
	unsigned char tsresol = 9; /* nanoseconds */
	size_t flen = filter ? strlen(filter) + 1 : 0;
	uint32_t len = 20 + (uint32_t)(opt_size(strlen(f->name)) + opt_size(strlen(f->desc)) + opt_size(1) + (filter ? opt_size(flen) : 0)) + 4;
	out_u32(1);
	out_u32(len);
	out_u16((uint16_t)linktype), out_u16(0);
	out_u32((uint32_t)snaplen);
	out_opt(2, f->name, strlen(f->name));  /* if_name */
	out_opt(3, f->desc, strlen(f->desc));  /* if_description */
	out_opt(9, &tsresol, 1);               /* if_tsresol */
	if (filter) {                          /* if_filter: type 0 = a libpcap filter string */
		out_u16(11), out_u16((uint16_t)flen);
		out_bytes("", 1);
		out_bytes(filter, flen - 1);
		out_pad(flen);
	}
	out_u32(0);
	out_u32(len);
}

static void write_epb(uint32_t idx, uint64_t ts_ns, uint32_t caplen, uint32_t origlen, const unsigned char *data)
{
	uint32_t len = 32 + caplen + (4 - caplen % 4) % 4;
	out_u32(6);
	out_u32(len);
	out_u32(idx);
	out_u32((uint32_t)(ts_ns >> 32)), out_u32((uint32_t)ts_ns);
	out_u32(caplen), out_u32(origlen);
	out_bytes(data, caplen);
	out_pad(caplen);
	out_u32(len);
}

static void write_isb(uint32_t idx, uint64_t start_ns, uint64_t end_ns, const struct iface *f)
{
	uint64_t accept = f->st.ps_recv, osdrop = f->st.ps_drop, deliv = f->written;
	uint32_t len = 24 + 5 * (uint32_t)opt_size(8) + 4;
	uint32_t st[2] = { (uint32_t)(start_ns >> 32), (uint32_t)start_ns }, en[2] = { (uint32_t)(end_ns >> 32), (uint32_t)end_ns };
	out_u32(5);
	out_u32(len);
	out_u32(idx);
	out_u32(en[0]), out_u32(en[1]);
	out_opt(2, st, 8);       /* isb_starttime */
	out_opt(3, en, 8);       /* isb_endtime */
	out_opt(6, &accept, 8);  /* isb_filteraccept */
	out_opt(7, &osdrop, 8);  /* isb_osdrop */
	out_opt(8, &deliv, 8);   /* isb_usrdeliv */
	out_u32(0);
	out_u32(len);
}

/* ---- the capture loop ---- */
static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool oom;
/* One interface: packets are written as read, without the heap. */
static bool direct;
static uint64_t total_written, max_count;

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *bytes)
{
	uint32_t idx = (uint32_t)(uintptr_t)user;
	if (direct) {
		if (max_count && total_written >= max_count)
			return;
		/* Nanosecond precision: tv_usec holds nanoseconds (pcap_set_tstamp_precision(3PCAP)). */
		write_epb(idx, (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec, h->caplen, h->len, bytes);
		ifs[idx].written++;
		total_written++;
		return;
	}
	struct pkt *p = malloc(sizeof *p + h->caplen);
	if (!p) {
		oom = true;
		return;
	}
	/* Nanosecond precision: tv_usec holds nanoseconds (pcap_set_tstamp_precision(3PCAP)). */
	p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	p->seq = seq++;
	p->idx = idx, p->caplen = h->caplen, p->len = h->len;
	memcpy(p->data, bytes, h->caplen);
	if (heap_push(p) < 0) {
		free(p);
		oom = true;
	}
}

/* Adds the statistics of the handle and closes it. */
static void close_handle(struct iface *f)
{
	struct pcap_stat st;
	if (pc.stats(f->p, &st) == 0) {
		f->st.ps_recv += st.ps_recv;
		f->st.ps_drop += st.ps_drop;
	}
	pc.close(f->p);
	f->p = NULL;
	f->fd = -1;
}

/*
 * Reads everything an interface has ready. A read error (libpcap reports an
 * interface taken down, ENETDOWN, as one) closes the handle; the loop
 * reopens it once the interface is up again (reopen()).
 */
static void drain(int i)
{
	struct iface *f = &ifs[i];
	if (f->gone || f->down)
		return;
	for (;;) {
		int n = pc.dispatch(f->p, -1, on_packet, (unsigned char *)(uintptr_t)i);
		if (n > 0)
			continue;
		if (n < 0) {
			close_handle(f);
			f->down = true;
		}
		return;
	}
}

/* Writes held packets older than `until_ns` (all with UINT64_MAX); stops at `count`. */
static void emit(uint64_t until_ns, uint64_t count)
{
	while (heap_n && heap[0]->ts_ns <= until_ns && !reader_gone && !write_failed) {
		if (count && total_written >= count)
			return;
		struct pkt *p = heap_pop();
		write_epb(p->idx, p->ts_ns, p->caplen, p->len, p->data);
		ifs[p->idx].written++;
		total_written++;
		free(p);
	}
}

/* While reopening a cut interface, failures are expected and not reported. */
static bool quiet;
/* --immediate: a ring block per packet (lower latency, loses packets at high rates). */
static int immediate;
#define SAY(...) do { if (!quiet) dprintf(2, __VA_ARGS__); } while (0)

/*
 * Opens the libpcap handle of interface i inside its node's network namespace.
 * Returns 0; -1 on failure (reported unless quiet); -2 for a bad filter;
 * -3 when the interface exists but is down (libpcap's PCAP_ERROR_IFACE_NOT_UP);
 * -4 when it (or its node) is gone.
 */
static int open_iface(int i, int self_ns, int snaplen, int buffer_kb, const char *filter)
{
	struct iface *f = &ifs[i];
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int ns = -1;
	if (f->pid > 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/net", (int)f->pid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		unsigned long long st = 0;
		char state = 0;
		if (ns < 0 || proc_stat(f->pid, &st, &state) < 0 || (f->starttime && st != f->starttime) || state == 'Z') {
			SAY("error %d open-netns %d the node's PID 1 (%d) is gone\n", i, ESRCH, (int)f->pid);
			if (ns >= 0) close(ns);
			return quiet ? -4 : -1;
		}
		if (setns(ns, CLONE_NEWNET) < 0) {
			SAY("error %d setns %d %s\n", i, errno, strerror(errno));
			close(ns);
			return -1;
		}
	}
	int rc = -1;
	f->p = pc.create(f->ifname, errbuf);
	if (!f->p) {
		SAY("error %d pcap_create %d %s\n", i, ENODEV, errbuf);
		goto back;
	}
	pc.set_snaplen(f->p, snaplen);
	pc.set_immediate_mode(f->p, immediate);
	pc.set_timeout(f->p, 20);
	pc.set_buffer_size(f->p, buffer_kb * 1024);
	pc.set_tstamp_precision(f->p, PCAP_TSTAMP_PRECISION_NANO);
	int a = pc.activate(f->p);
	if (a < 0) {
		/* PCAP_ERROR_NO_SUCH_DEVICE (-5), PCAP_ERROR_PERM_DENIED (-8), PCAP_ERROR_IFACE_NOT_UP (-9) */
		int e = a == -5 ? ENODEV : a == -8 ? EPERM : a == -9 ? ENETDOWN : EIO;
		SAY("error %d pcap_activate %d %s\n", i, e, pc.geterr(f->p));
		pc.close(f->p);
		f->p = NULL;
		rc = a == -9 ? -3 : a == -5 ? -4 : -1;
		goto back;
	}
	if (filter) {
		struct bpf_program prog;
		if (pc.compile(f->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			SAY("error %d filter %d %s\n", i, EINVAL, pc.geterr(f->p));
			rc = -2;
			goto back;
		}
		int s = pc.setfilter(f->p, &prog);
		pc.freecode(&prog);
		if (s < 0) {
			SAY("error %d setfilter %d %s\n", i, EINVAL, pc.geterr(f->p));
			goto back;
		}
	}
	if (pc.setnonblock(f->p, 1, errbuf) < 0) {
		SAY("error %d setnonblock %d %s\n", i, EIO, errbuf);
		goto back;
	}
	f->fd = pc.get_selectable_fd(f->p);
	rc = 0;
back:
	if (ns >= 0) {
		if (setns(self_ns, CLONE_NEWNET) < 0) {
			SAY("error %d setns-back %d %s\n", i, errno, strerror(errno));
			rc = -1;
		}
		close(ns);
	}
	return rc;
}

/* Tries to reopen an interface that went down: up again → captured again; gone → reported. */
static void reopen(int i, int self_ns, int snaplen, int buffer_kb, const char *filter)
{
	struct iface *f = &ifs[i];
	quiet = true;
	int rc = open_iface(i, self_ns, snaplen, buffer_kb, filter);
	quiet = false;
	if (rc == 0) {
		f->down = false;
	} else if (rc == -4 || rc == -1) {
		f->down = false;
		f->gone = true;
		dprintf(2, "gone %d the interface (or its node) is gone\n", i);
	}
}

static int usage(const char *what)
{
	dprintf(2, "error - usage 22 %s; usage: netlab-capture [--count N] [--duration-ms MS] [--snaplen BYTES] "
		   "[--buffer-kb KB] [--hold-ms MS] [--filter EXPR] [--immediate] --if PID STARTTIME IFNAME NAME DESCRIPTION...\n", what);
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t count = 0, duration_ms = 0, hold_ms = 100;
	int snaplen = 262144, buffer_kb = 4096;
	const char *filter = NULL;
	if (argc == 2 && !strcmp(argv[1], "--check")) /* netlab doctor: can libpcap be loaded? */
		return load_libpcap() < 0 ? 1 : 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (more && !strcmp(a, "--count")) count = strtoull(argv[++i], NULL, 10);
		else if (more && !strcmp(a, "--duration-ms")) duration_ms = strtoull(argv[++i], NULL, 10);
		else if (more && !strcmp(a, "--hold-ms")) hold_ms = strtoull(argv[++i], NULL, 10);
		else if (more && !strcmp(a, "--snaplen")) snaplen = atoi(argv[++i]);
		else if (more && !strcmp(a, "--buffer-kb")) buffer_kb = atoi(argv[++i]);
		else if (more && !strcmp(a, "--filter")) filter = argv[++i][0] ? argv[i] : NULL;
		else if (!strcmp(a, "--immediate")) immediate = 1;
		else if (!strcmp(a, "--if") && i + 5 < argc) {
			if (nifs == MAX_IFACES)
				return usage("too many interfaces");
			struct iface *f = &ifs[nifs++];
			f->pid = atoi(argv[i + 1]);
			f->starttime = strtoull(argv[i + 2], NULL, 10);
			f->ifname = argv[i + 3], f->name = argv[i + 4], f->desc = argv[i + 5];
			f->fd = -1;
			i += 5;
		} else
			return usage(a);
	}
	if (!nifs)
		return usage("no --if");
	if (snaplen < 64 || snaplen > 262144 || buffer_kb < 64)
		return usage("bad --snaplen or --buffer-kb");

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (load_libpcap() < 0)
		return 1;
	direct = nifs == 1;
	max_count = count;
	int self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_ns < 0) {
		dprintf(2, "error - open-netns %d /proc/self/ns/net: %s\n", errno, strerror(errno));
		return 1;
	}
	for (int i = 0; i < nifs; i++) {
		int rc = open_iface(i, self_ns, snaplen, buffer_kb, filter);
		if (rc < 0)
			return rc == -2 ? 2 : 1;
	}
	write_shb();
	for (int i = 0; i < nifs; i++)
		write_idb(&ifs[i], pc.datalink(ifs[i].p), snaplen, filter);
	out_flush();
	uint64_t start_ns = now_ns(CLOCK_REALTIME);
	uint64_t deadline = duration_ms ? now_ns(CLOCK_MONOTONIC) + duration_ms * 1000000ull : 0;
	dprintf(2, "ready\n");

	struct pollfd *pfd = calloc((size_t)nifs, sizeof *pfd);
	if (!pfd)
		return 1;
	int alive = nifs;
	uint64_t last_reopen = 0;
	while (!stop_signal && !reader_gone && !write_failed && !oom && alive > 0 && !(count && total_written >= count)) {
		int timeout = 20;
		if (deadline) {
			uint64_t now = now_ns(CLOCK_MONOTONIC);
			if (now >= deadline)
				break;
			if ((deadline - now) / 1000000ull < (uint64_t)timeout)
				timeout = (int)((deadline - now) / 1000000ull) + 1;
		}
		for (int i = 0; i < nifs; i++)
			pfd[i] = (struct pollfd){ .fd = ifs[i].gone || ifs[i].down ? -1 : ifs[i].fd, .events = POLLIN };
		int n = poll(pfd, (nfds_t)nifs, timeout);
		if (n < 0 && errno != EINTR) {
			dprintf(2, "error - poll %d %s\n", errno, strerror(errno));
			break;
		}
		for (int i = 0; i < nifs; i++)
			if (n > 0 && pfd[i].revents)
				drain(i);
		emit(now_ns(CLOCK_REALTIME) - hold_ms * 1000000ull, count);
		out_flush();
		uint64_t mono = now_ns(CLOCK_MONOTONIC);
		if (mono - last_reopen >= 100000000ull) {
			last_reopen = mono;
			for (int i = 0; i < nifs; i++)
				if (ifs[i].down)
					reopen(i, self_ns, snaplen, buffer_kb, filter);
		}
		alive = 0;
		for (int i = 0; i < nifs; i++)
			alive += !ifs[i].gone;
	}
	/*
	 * The end: a ring hands over its current block only when it is full or
	 * its 20 ms are up, so keep reading for a little longer than that (the
	 * last packets before a Ctrl-C are in it), then write everything in order.
	 */
	if (!reader_gone && !write_failed && !(count && total_written >= count)) {
		uint64_t until = now_ns(CLOCK_MONOTONIC) + 60000000ull;
		while (now_ns(CLOCK_MONOTONIC) < until) {
			for (int i = 0; i < nifs; i++)
				pfd[i] = (struct pollfd){ .fd = ifs[i].gone || ifs[i].down ? -1 : ifs[i].fd, .events = POLLIN };
			if (poll(pfd, (nfds_t)nifs, 10) > 0)
				for (int i = 0; i < nifs; i++)
					if (pfd[i].revents)
						drain(i);
		}
	}
	for (int i = 0; i < nifs; i++)
		drain(i);
	emit(UINT64_MAX, count);
	uint64_t end_ns = now_ns(CLOCK_REALTIME);
	for (int i = 0; i < nifs; i++) {
		if (ifs[i].p)
			close_handle(&ifs[i]);
		write_isb((uint32_t)i, start_ns, end_ns, &ifs[i]);
	}
	out_flush();
	for (int i = 0; i < nifs; i++)
		dprintf(2, "stat %d %u %u %llu\n", i, ifs[i].st.ps_recv, ifs[i].st.ps_drop, (unsigned long long)ifs[i].written);
	while (heap_n)
		free(heap_pop());
	if (oom) {
		dprintf(2, "error - malloc %d out of memory holding packets\n", ENOMEM);
		return 1;
	}
	if (write_failed) {
		dprintf(2, "error - write %d %s\n", write_errno, strerror(write_errno));
		return 1;
	}
	return 0;
}
