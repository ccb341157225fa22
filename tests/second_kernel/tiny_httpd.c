/* A minimal HTTP/1.1 server for the end-to-end capture in the second-kernel VM: one process,
 * one connection at a time, the socket read and written on the fd accept() returned (busybox
 * httpd dup()s it onto fds 0 and 1, so its request and response arrive on two fds).
 * Answers every request with 200 and a short body, then closes.
 * Usage: tiny_httpd PORT READY_FILE   (READY_FILE is created once it listens) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tiny_httpd PORT READY_FILE\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0) {
        perror("tiny_httpd: listen");
        return 1;
    }
    int rf = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (rf < 0) {
        perror("tiny_httpd: ready file");
        return 1;
    }
    close(rf);
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
                               "Connection: close\r\n\r\nhello\n";
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            perror("tiny_httpd: accept");
            return 1;
        }
        /* Read the head (requests here have no body), answer, close. */
        char buf[4096];
        size_t have = 0;
        while (have < sizeof buf - 1) {
            ssize_t r = read(c, buf + have, sizeof buf - 1 - have);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            have += (size_t)r;
            buf[have] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        if (have > 0) write_all(c, resp, sizeof resp - 1);
        close(c);
    }
}
