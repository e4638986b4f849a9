/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a small native program does through its C library (glibc or musl): the dynamic loader at start, a thread,
 * a loopback TCP connection, a pipe to a child process, file reads, a timer and a sleep. scripts/derive-seccomp-bases.ts
 * builds it with gcc (glibc) and musl-gcc (musl) and traces both with strace -f.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *worker(void *arg)
{
	int srv = *(int *)arg;
	int c = accept(srv, NULL, NULL);
	char b[8];
	ssize_t n = read(c, b, sizeof b);
	if (n > 0 && write(c, b, (size_t)n) != n)
		exit(3);
	close(c);
	return NULL;
}

int main(void)
{
	int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (srv < 0 || bind(srv, (struct sockaddr *)&a, sizeof a) || listen(srv, 1) ||
	    getsockname(srv, (struct sockaddr *)&a, &len))
		return 1;
	pthread_t t;
	if (pthread_create(&t, NULL, worker, &srv))
		return 2;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char b[8] = "ping";
	if (connect(c, (struct sockaddr *)&a, sizeof a) || write(c, b, 4) != 4 || read(c, b, sizeof b) != 4)
		return 4;
	close(c);
	pthread_join(t, NULL);
	close(srv);

	int p[2];
	if (pipe(p))
		return 5;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[1]);
		execl("/bin/cat", "cat", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	if (write(p[1], "sub\n", 4) != 4)
		return 6;
	close(p[1]);
	int st;
	waitpid(pid, &st, 0);

	FILE *f = fopen("/etc/os-release", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof line, f))
			;
		fclose(f);
	}
	struct stat sb;
	stat("/etc/hostname", &sb);
	DIR *d = opendir("/etc");
	if (d) {
		while (readdir(d))
			;
		closedir(d);
	}
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	struct pollfd none;
	poll(&none, 0, 5);
	signal(SIGALRM, SIG_IGN);
	alarm(1);
	alarm(0);
	printf("libc workload ok\n");
	return 0;
}
