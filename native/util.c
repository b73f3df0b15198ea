/* Small file and error helpers shared by netlab-init and netlab-enter. */
#include "common.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nl_err nl_err;

int failx(const char *step, const char *object, int errnum)
{
	nl_err.step = step;
	nl_err.errnum = errnum ? errnum : EIO;
	snprintf(nl_err.object, sizeof nl_err.object, "%s", object ? object : "-");
	return -1;
}

int fail(const char *step, const char *object)
{
	return failx(step, object, errno);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *data, int flags, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags, mode);
	if (fd < 0)
		return fail("open", path);
	if (write_all(fd, data, strlen(data)) < 0) {
		int e = errno;
		close(fd);
		return failx("write", path, e);
	}
	if (close(fd) < 0)
		return fail("close", path);
	return 0;
}

ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return failx("read", path, e);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(fd);
	return (ssize_t)len;
}

int path_join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, NL_PATH_MAX, "%s%s%s", a, (b[0] == '/' || a[0] == 0) ? "" : "/", b);
	if (n < 0 || n >= NL_PATH_MAX)
		return failx("path", a, ENAMETOOLONG);
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return fail("mkdir", path);
	char tmp[NL_PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return fail("mkdir", tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return fail("mkdir", tmp);
	return 0;
}

int proc_stat(pid_t pid, unsigned long long *starttime, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* comm (field 2) may hold spaces and parentheses: parse after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	if (state)
		*state = *p;
	/* p is at field 3; starttime is field 22, 19 fields further on. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (starttime)
		*starttime = strtoull(p, NULL, 10);
	return 0;
}
