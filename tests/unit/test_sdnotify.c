/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of lib/common/aw_sdnotify: a datagram socket stands in for the
 * service manager (a path, then the abstract '@' form); the test checks what
 * arrives, that it comes from this process (SCM_CREDENTIALS, as systemd
 * checks), and the errors for a missing, malformed or unreachable socket.
 */
#define _GNU_SOURCE
#include "aw_test.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "aw_sdnotify.h"

/* A receiving socket bound to name ('/path' or '@abstract'); -1 on failure. */
static int
manager_socket(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		len++;
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One datagram without waiting (a local send is queued before sendto returns);
 * its sender's pid in *pid. Length, or -1 when nothing is there. */
static ssize_t
receive(int fd, char *buf, size_t cap, pid_t *pid)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	*pid = 0;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cr;
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			*pid = cr.pid;
		}
	return n;
}

static void
check_roundtrip(const char *name)
{
	static const char ready[] = "READY=1\nSTATUS=listening on 127.0.0.1:7810";
	char buf[8192];
	pid_t pid;
	int fd = manager_socket(name);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK_EQ(aw_sd_notify(ready), 1);
	CHECK_EQ(receive(fd, buf, sizeof(buf), &pid), (ssize_t)strlen(ready));
	CHECK_STR(buf, ready);
	CHECK_EQ(pid, getpid());
	CHECK_EQ(aw_sd_notifyf("STATUS=%u lcore(s)", 4u), 1);
	CHECK_EQ(receive(fd, buf, sizeof(buf), &pid), 17);
	CHECK_STR(buf, "STATUS=4 lcore(s)");
	CHECK_EQ(aw_sd_notify("STOPPING=1"), 1);
	CHECK_EQ(receive(fd, buf, sizeof(buf), &pid), 10);
	CHECK_STR(buf, "STOPPING=1");
	CHECK_EQ(receive(fd, buf, sizeof(buf), &pid), -1); /* exactly one per call */
	close(fd);
}

static void
test_path_socket(void)
{
	char dir[] = "/tmp/aw-sdnotify-XXXXXX", path[128];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	check_roundtrip(path);
	unlink(path);
	/* nobody listening there any more */
	CHECK_EQ(aw_sd_notify("READY=1"), -1);
	CHECK(errno == ENOENT || errno == ECONNREFUSED);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_abstract_socket(void)
{
	char name[64];

	snprintf(name, sizeof(name), "@aw-sdnotify-test-%d", (int)getpid());
	check_roundtrip(name);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_no_or_bad_socket(void)
{
	char longname[200];

	unsetenv("NOTIFY_SOCKET");
	CHECK_EQ(aw_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	CHECK_EQ(aw_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK_EQ(aw_sd_notify("READY=1"), -1);
	CHECK_EQ(errno, EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	CHECK_EQ(aw_sd_notify("READY=1"), -1);
	CHECK_EQ(errno, EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	CHECK_EQ(aw_sd_notify("READY=1"), -1);
	CHECK_EQ(errno, EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_format_too_long(void)
{
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("NOTIFY_SOCKET", "@aw-sdnotify-unused", 1);
	CHECK_EQ(aw_sd_notifyf("STATUS=%s", big), -1);
	CHECK_EQ(errno, EMSGSIZE);
	unsetenv("NOTIFY_SOCKET");
}

AW_TEST_MAIN({"path_socket", test_path_socket}, {"abstract_socket", test_abstract_socket},
	     {"no_or_bad_socket", test_no_or_bad_socket},
	     {"format_too_long", test_format_too_long})
