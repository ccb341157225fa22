/* An HTTPS client built against OpenSSL at test time (statically, into the executable):
 * tls_client PORT PATH...  Waits for a line on stdin, then GETs each path on one
 * keep-alive connection and prints "PATH STATUS" per response. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads one response: head up to the blank line, then Content-Length body bytes. The
 * server sends nothing unasked, so what follows the head is this response's body. */
static int read_response(SSL *ssl, int *status)
{
	char buf[16384];
	size_t n = 0;
	char *end = NULL;
	while (!end) {
		if (n >= sizeof(buf) - 1)
			return -1;
		int r = SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n));
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	long left = (cl ? strtol(cl + 17, NULL, 10) : 0) - (long)(n - (size_t)(end + 4 - buf));
	while (left > 0) {
		int r = SSL_read(ssl, buf, left < (long)sizeof(buf) ? (int)left : (int)sizeof(buf));
		if (r <= 0)
			return -1;
		left -= r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PORT PATH...\n", argv[0]);
		return 2;
	}
	char line[16];
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		return 1;
	}
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char req[1024];
		int len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", argv[i]);
		int status = 0;
		if (SSL_write(ssl, req, len) != len || read_response(ssl, &status) != 0) {
			fprintf(stderr, "request %s failed\n", argv[i]);
			return 1;
		}
		printf("%s %d\n", argv[i], status);
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return 0;
}
