/*
 * One registry blob, downloaded by netlab-unpack itself (fetch-blob.h).
 *
 * Node's registry client (src/image/sources/registry-client.ts) still speaks
 * the registry protocol: it resolves the tag, fetches the manifest and the
 * config, and earns the token. For an uncompressed layer it then hands
 * netlab-unpack the blob's URL and its Authorization header, and this file
 * streams the body into libarchive's read callback: the bytes never cross
 * into JavaScript (no pipe copy, no hash on Node's thread, no stream
 * objects). What is left per byte is the socket read, one memcpy, SHA-256
 * and the file writes; the SHA-256 runs on a thread of its own, beside the
 * writes, so a layer lands at about `tar -xf`'s speed (docs/performance.md).
 *
 * HTTP is libcurl's (libcurl.so.4, Debian libcurl4), SHA-256 is OpenSSL's
 * (libcrypto.so.3, Debian libssl3), both loaded with dlopen, like
 * libarchive: the build needs neither's headers, and without them netlab
 * falls back to its own download (Node), only slower.
 *
 * What libcurl does here as Node's client does (src/image/sources/
 * registry-client.ts): redirects followed (at most 5; a registry sends blobs
 * from a CDN), to https only unless the registry itself is plain http on
 * loopback; a custom Authorization header is not sent to another host after a
 * redirect (libcurl >= 7.58, CURLOPT_UNRESTRICTED_AUTH off: RFC 9110
 * §15.4); proxies from https_proxy/HTTPS_PROXY, no_proxy/NO_PROXY
 * (libcurl's own reading of the environment, libcurl-env(3)), none for a
 * registry on this machine; TLS verified against the system's CA store, and
 * against the file NODE_EXTRA_CA_CERTS names when netlab passes it; no
 * Accept-Encoding, so the body is the blob's bytes as stored.
 *
 * The prototypes and constants are those of curl/curl.h (ABI of soname 4,
 * stable since 7.16) and openssl/evp.h (1.1 and 3).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch-blob.h"

/* ---- libcurl and libcrypto, loaded at run time --------------------------- */

typedef void CURL;
typedef void CURLM;
struct curl_slist;
typedef struct {
	int msg; /* CURLMSG_DONE = 1 */
	CURL *easy_handle;
	union {
		void *whatever;
		int result;
	} data;
} CURLMsg;

#define CURL_GLOBAL_DEFAULT 3L
#define CURLOPT_WRITEDATA 10001
#define CURLOPT_URL 10002
#define CURLOPT_ERRORBUFFER 10010
#define CURLOPT_CAINFO 10065
#define CURLOPT_CAPATH 10097
#define CURLOPT_WRITEFUNCTION 20011
#define CURLOPT_USERAGENT 10018
#define CURLOPT_LOW_SPEED_LIMIT 19
#define CURLOPT_LOW_SPEED_TIME 20
#define CURLOPT_HTTPHEADER 10023
#define CURLOPT_FOLLOWLOCATION 52
#define CURLOPT_MAXREDIRS 68
#define CURLOPT_CONNECTTIMEOUT 78
#define CURLOPT_BUFFERSIZE 98
#define CURLOPT_NOSIGNAL 99
#define CURLOPT_NOPROXY 10177
#define CURLOPT_PROTOCOLS 181
#define CURLOPT_REDIR_PROTOCOLS 182
#define CURLPROTO_HTTP 1L
#define CURLPROTO_HTTPS 2L
#define CURLINFO_RESPONSE_CODE 0x200002
#define CURLMSG_DONE 1
#define CURLE_WRITE_ERROR 23
#define CURL_ERROR_SIZE 256
#define CURL_MAX_READ_SIZE 524288L /* the largest CURLOPT_BUFFERSIZE */

static struct {
	int (*global_init)(long);
	CURL *(*easy_init)(void);
	int (*easy_setopt)(CURL *, int, ...);
	int (*easy_getinfo)(CURL *, int, ...);
	const char *(*easy_strerror)(int);
	CURLM *(*multi_init)(void);
	int (*multi_add_handle)(CURLM *, CURL *);
	int (*multi_perform)(CURLM *, int *);
	int (*multi_poll)(CURLM *, void *, unsigned, int, int *); /* curl_multi_poll (7.66), else curl_multi_wait */
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	const char *(*multi_strerror)(int);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
} curl;

typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_md_st EVP_MD;

static struct {
	EVP_MD_CTX *(*ctx_new)(void);
	const EVP_MD *(*sha256)(void);
	int (*init)(EVP_MD_CTX *, const EVP_MD *, void *);
	int (*update)(EVP_MD_CTX *, const void *, size_t);
	int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
} evp;

static void *open_first(const char *const *names, char *why, size_t len)
{
	for (const char *const *n = names; *n; n++) {
		void *h = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
		if (h)
			return h;
		snprintf(why, len, "%s", dlerror());
	}
	return NULL;
}

const char *fetch_load(void)
{
	static char why[512];
	static const char *const curl_names[] = { "libcurl.so.4", "libcurl-gnutls.so.4", NULL };
	static const char *const crypto_names[] = { "libcrypto.so.3", "libcrypto.so.1.1", NULL };
	/* NETLAB_LIBCURL names another file to load (packaging; the tests name a missing one). */
	const char *forced[] = { getenv("NETLAB_LIBCURL"), NULL };
	void *hc = open_first(forced[0] && *forced[0] ? forced : curl_names, why, sizeof why);
	if (!hc)
		return why;
	void *hs = open_first(crypto_names, why, sizeof why);
	if (!hs)
		return why;
#define SYM(h, tab, field, sym)                                                            \
	do {                                                                               \
		*(void **)&tab.field = dlsym(h, sym);                                      \
		if (!tab.field) {                                                          \
			snprintf(why, sizeof why, "no %s in the loaded library", sym);     \
			return why;                                                        \
		}                                                                          \
	} while (0)
	SYM(hc, curl, global_init, "curl_global_init");
	SYM(hc, curl, easy_init, "curl_easy_init");
	SYM(hc, curl, easy_setopt, "curl_easy_setopt");
	SYM(hc, curl, easy_getinfo, "curl_easy_getinfo");
	SYM(hc, curl, easy_strerror, "curl_easy_strerror");
	SYM(hc, curl, multi_init, "curl_multi_init");
	SYM(hc, curl, multi_add_handle, "curl_multi_add_handle");
	SYM(hc, curl, multi_perform, "curl_multi_perform");
	SYM(hc, curl, multi_info_read, "curl_multi_info_read");
	SYM(hc, curl, multi_strerror, "curl_multi_strerror");
	SYM(hc, curl, slist_append, "curl_slist_append");
	*(void **)&curl.multi_poll = dlsym(hc, "curl_multi_poll");
	if (!curl.multi_poll)
		SYM(hc, curl, multi_poll, "curl_multi_wait");
	SYM(hs, evp, ctx_new, "EVP_MD_CTX_new");
	SYM(hs, evp, sha256, "EVP_sha256");
	SYM(hs, evp, init, "EVP_DigestInit_ex");
	SYM(hs, evp, update, "EVP_DigestUpdate");
	SYM(hs, evp, final, "EVP_DigestFinal_ex");
#undef SYM
	return NULL;
}

/* ---- the transfer ------------------------------------------------------- */

/* How much fetch_read gathers before it hands a buffer to libarchive. */
#define WANT (1u << 20)

struct buf {
	char *data;
	size_t len, cap;
};

static CURL *easy;
static CURLM *multi;
static EVP_MD_CTX *md;
static struct buf bufs[2];
static int handed;        /* index of the buffer libarchive holds; the other fills */
static int done;          /* the transfer ended (well or not) */
static long status;       /* HTTP status of the final response, once its body starts */
static int too_big;       /* more body than `limit` */
static unsigned long long got, limit;
static char errbuf[CURL_ERROR_SIZE];
static char failure[1024];
static const char *failure_kind;
static long failure_code;
static char body_start[512]; /* an error answer's first bytes */
static size_t body_len;

static void fail(const char *kind, long code, const char *text)
{
	if (failure_kind)
		return;
	failure_kind = kind;
	failure_code = code;
	snprintf(failure, sizeof failure, "%s", text);
	for (char *p = failure; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* libcurl's write callback: an error answer's body is kept (its start), a 2xx body hashed, counted and buffered. */
static size_t on_body(char *p, size_t size, size_t n, void *user)
{
	(void)user;
	size_t len = size * n;
	if (!status)
		curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		size_t room = sizeof body_start - 1 - body_len;
		size_t take = len < room ? len : room;
		memcpy(body_start + body_len, p, take);
		body_len += take;
		return len;
	}
	if (got + len > limit) {
		too_big = 1;
		return 0; /* CURLE_WRITE_ERROR ends the transfer */
	}
	struct buf *b = &bufs[!handed];
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : WANT + CURL_MAX_READ_SIZE;
		while (cap < b->len + len)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			fail("FETCH", 0, "out of memory");
			return 0;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	got += len;
	return len;
}

/*
 * The hashing thread: SHA-256 of each buffer handed to libarchive, while
 * libarchive's caller writes its files. A buffer is refilled only once its
 * hash is done (hash_wait).
 */
static pthread_t hasher;
static pthread_mutex_t hash_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_cond = PTHREAD_COND_INITIALIZER;
static const char *hash_job;
static size_t hash_len;
static int hash_busy, hash_started;

static void *hash_loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hash_lock);
	for (;;) {
		while (!hash_busy)
			pthread_cond_wait(&hash_cond, &hash_lock);
		const char *job = hash_job;
		size_t len = hash_len;
		pthread_mutex_unlock(&hash_lock);
		evp.update(md, job, len);
		pthread_mutex_lock(&hash_lock);
		hash_busy = 0;
		pthread_cond_broadcast(&hash_cond);
	}
	return NULL;
}

/* Waits until the hashing thread has no buffer. */
static void hash_wait(void)
{
	pthread_mutex_lock(&hash_lock);
	while (hash_busy)
		pthread_cond_wait(&hash_cond, &hash_lock);
	pthread_mutex_unlock(&hash_lock);
}

/* Hands a buffer to the hashing thread (hashed on this one when no thread could start). */
static void hash_submit(const char *data, size_t len)
{
	if (!len)
		return;
	if (!hash_started) {
		evp.update(md, data, len);
		return;
	}
	pthread_mutex_lock(&hash_lock);
	while (hash_busy)
		pthread_cond_wait(&hash_cond, &hash_lock);
	hash_job = data;
	hash_len = len;
	hash_busy = 1;
	pthread_cond_broadcast(&hash_cond);
	pthread_mutex_unlock(&hash_lock);
}

const char *fetch_start(const char *url, const char *headers, int direct, unsigned long long max, const char *ca_file)
{
	static char why[256];
	limit = max;
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != 0 || !(easy = curl.easy_init()) || !(multi = curl.multi_init()))
		return "libcurl could not be initialised";
	if (!(md = evp.ctx_new()) || evp.init(md, evp.sha256(), NULL) != 1)
		return "libcrypto could not start a SHA-256";
	struct curl_slist *list = NULL;
	char *copy = headers ? strdup(headers) : NULL;
	for (char *save = NULL, *line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		list = curl.slist_append(list, line);
	/* http only when the registry itself is plain http (a loopback registry, `--insecure`), and redirects no lower than it. */
	long protos = strncmp(url, "http://", 7) == 0 ? CURLPROTO_HTTP | CURLPROTO_HTTPS : CURLPROTO_HTTPS;
	int rc = 0;
	rc |= curl.easy_setopt(easy, CURLOPT_URL, url);
	rc |= curl.easy_setopt(easy, CURLOPT_PROTOCOLS, protos);
	rc |= curl.easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS, protos);
	rc |= curl.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
	rc |= curl.easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
	rc |= curl.easy_setopt(easy, CURLOPT_HTTPHEADER, list);
	rc |= curl.easy_setopt(easy, CURLOPT_USERAGENT, "netlab");
	rc |= curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl.easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
	rc |= curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	rc |= curl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	rc |= curl.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 30L);
	/* As undici's bodyTimeout: a body that stalls for 5 minutes fails. */
	rc |= curl.easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	rc |= curl.easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 300L);
	if (rc != 0) {
		snprintf(why, sizeof why, "libcurl refused an option: %s", curl.easy_strerror(rc));
		return why;
	}
	curl.easy_setopt(easy, CURLOPT_BUFFERSIZE, CURL_MAX_READ_SIZE); /* fewer, bigger reads; a cap, not a need */
	if (direct)
		curl.easy_setopt(easy, CURLOPT_NOPROXY, "*");
	/* Node trusts these too (NODE_EXTRA_CA_CERTS): the file, and the system's certificates by their hashed names (Debian, Ubuntu). */
	if (ca_file && *ca_file) {
		curl.easy_setopt(easy, CURLOPT_CAINFO, ca_file);
		curl.easy_setopt(easy, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (curl.multi_add_handle(multi, easy) != 0)
		return "libcurl could not start the transfer";
	hash_started = pthread_create(&hasher, NULL, hash_loop, NULL) == 0;
	return NULL;
}

/* Drives the transfer until the filling buffer holds `want` bytes or the transfer ends. */
static void pump(size_t want)
{
	while (!done && bufs[!handed].len < want) {
		int running = 0;
		int mc = curl.multi_perform(multi, &running);
		if (mc != 0) {
			fail("FETCH", 0, curl.multi_strerror(mc));
			done = 1;
			break;
		}
		if (!running) {
			int left;
			CURLMsg *m;
			int result = 0;
			while ((m = curl.multi_info_read(multi, &left)))
				if (m->msg == CURLMSG_DONE)
					result = m->data.result;
			done = 1;
			if (!status)
				curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
			if (too_big) {
				char text[160];
				snprintf(text, sizeof text, "the registry sent more than the %llu bytes the manifest gives", limit);
				fail("FETCH", 0, text);
			} else if (result != 0 && !(result == CURLE_WRITE_ERROR && failure_kind)) {
				fail("FETCH", result, *errbuf ? errbuf : curl.easy_strerror(result));
			} else if (status < 200 || status > 299) {
				body_start[body_len] = 0;
				fail("HTTP", status, body_start);
			}
			break;
		}
		if (bufs[!handed].len >= want)
			break;
		curl.multi_poll(multi, NULL, 0, 1000, NULL);
	}
}

ssize_t fetch_read(const void **out)
{
	/*
	 * libarchive is done with the buffer it held (its hash may still run:
	 * the next hash_submit waits for it). The other one fills now: its
	 * hash ended before that one's began.
	 */
	bufs[handed].len = 0;
	pump(WANT);
	if (failure_kind)
		return -1;
	handed = !handed;
	hash_submit(bufs[handed].data, bufs[handed].len);
	*out = bufs[handed].data;
	return (ssize_t)bufs[handed].len;
}

const char *fetch_failure(const char **kind, long *code)
{
	if (!failure_kind)
		return NULL;
	*kind = failure_kind;
	*code = failure_code;
	return failure;
}

unsigned long long fetch_bytes(void)
{
	return got;
}

void fetch_digest(char hex[65])
{
	unsigned char d[32];
	unsigned int n = 0;
	hash_wait();
	evp.final(md, d, &n);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	hex[64] = 0;
}
