/* One plain HTTP/1.1 request and out, in about a millisecond: oneshot_client PORT PATH.
 * Prints the status code. For the tests of processes that live too briefly for user space
 * to select them after their exec. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 1;
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", argv[2]);
	if (n <= 0 || n >= (int)sizeof(req) || write(fd, req, (size_t)n) != n)
		return 1;
	/* Until the server closes (Connection: close): the whole response. */
	char buf[4096];
	size_t got = 0;
	ssize_t r;
	while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = 0;
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return 1;
	printf("%d\n", status);
	return 0;
}
