/*
 * fetch-blob.c: netlab-unpack's own download of one registry blob, so an
 * uncompressed layer goes from the socket to the layer's files without
 * passing through Node (docs/performance.md, "Images"; docs/decisions.md,
 * "Images: netlab-unpack fetches uncompressed layers itself").
 */
#ifndef NETLAB_FETCH_BLOB_H
#define NETLAB_FETCH_BLOB_H

#include <sys/types.h>

/*
 * Loads libcurl (libcurl.so.4) and libcrypto (libcrypto.so.3, else .so.1.1)
 * with dlopen. Returns NULL, or why they cannot be used (a static string).
 */
const char *fetch_load(void);

/*
 * Starts a GET of `url` with the extra request headers in `headers` (one
 * "Name: value" per line, or NULL), through the proxy the environment names
 * unless `direct` (a registry on this machine), accepting at most `limit`
 * bytes of body. `ca_file` (or NULL) names CA certificates to trust besides
 * the system's hashed folder /etc/ssl/certs (Node's NODE_EXTRA_CA_CERTS).
 * Returns NULL, or why it cannot start.
 */
const char *fetch_start(const char *url, const char *headers, int direct, unsigned long long limit, const char *ca_file);

/*
 * The next bytes of the body (valid until the next call), their count, 0 at
 * the end, or -1 when the transfer failed: fetch_failure() then says why.
 * Every byte returned has been hashed (SHA-256) and counted.
 */
ssize_t fetch_read(const void **out);

/*
 * The failure as a report line's fields: `kind` "HTTP" (code: the status;
 * text: the body's start) or "FETCH" (code: libcurl's error number, or
 * empty; text: its message). NULL when nothing failed.
 */
const char *fetch_failure(const char **kind, long *code);

/* Bytes of body read so far. */
unsigned long long fetch_bytes(void);

/* The SHA-256 of the whole body as 64 hex digits (call once, at the end). */
void fetch_digest(char hex[65]);

#endif
