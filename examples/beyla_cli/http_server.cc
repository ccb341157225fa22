#include "http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

namespace {

int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

struct Client {
    int fd = -1;
    std::string in, out;
    size_t sent = 0;
    int64_t deadline = 0;
    bool answered = false;
    // Sent whole: the write side is shut and what the client still sends is read away
    // for a moment, so closing with unread bytes does not reset the answer away.
    bool draining = false;
};

std::string response(int status, const std::string &ctype, const std::string &body, bool head) {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    r += "Content-Type: " + (ctype.empty() ? std::string("text/plain; charset=utf-8") : ctype) + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!head) r += body;
    return r;
}

bool is_token(const std::string &s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c <= ' ' || c >= 127) return false;
    return true;
}

} // namespace

bool split_host_port(const std::string &s, std::string &host, int &port) {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string p = s.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
    port = std::stoi(p);
    return port <= 65535;
}

std::string HttpServer::start(const std::string &addr_port, const std::string &path, Render render) {
    std::string host;
    int port = 0;
    if (!split_host_port(addr_port, host, port)) return "'" + addr_port + "' is not ADDR:PORT";
    if (path.empty() || path[0] != '/') return "metrics path '" + path + "' does not start with '/'";
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    std::string ps = std::to_string(port);
    if (int e = getaddrinfo(host.empty() ? nullptr : host.c_str(), ps.c_str(), &hints, &res))
        return "cannot resolve '" + host + "': " + gai_strerror(e);
    std::string err;
    for (addrinfo *ai = res; ai && listen_fd_ < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) {
            listen_fd_ = fd;
        } else {
            err = strerror(errno);
            close(fd);
        }
    }
    freeaddrinfo(res);
    if (listen_fd_ < 0) return "cannot listen on " + addr_port + ": " + (err.empty() ? "no address" : err);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&ss), &len);
    char buf[INET6_ADDRSTRLEN] = "?";
    int real_port = 0;
    if (ss.ss_family == AF_INET6) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        real_port = ntohs(a->sin6_port);
        bound_ = "[" + std::string(buf) + "]:" + std::to_string(real_port);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        real_port = ntohs(a->sin_port);
        bound_ = std::string(buf) + ":" + std::to_string(real_port);
    }
    if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
        close(listen_fd_);
        listen_fd_ = -1;
        return std::string("pipe: ") + strerror(errno);
    }
    path_ = path;
    render_ = std::move(render);
    thread_ = std::thread([this] { run(); });
    return "";
}

void HttpServer::stop() {
    if (thread_.joinable()) {
        char c = 1;
        (void)!write(wake_[1], &c, 1);
        thread_.join();
    }
    for (int *fd : {&listen_fd_, &wake_[0], &wake_[1]})
        if (*fd >= 0) close(*fd), *fd = -1;
}

void HttpServer::run() {
    std::vector<Client> clients;
    for (;;) {
        std::vector<pollfd> pfds;
        pfds.push_back({wake_[0], POLLIN, 0});
        // At the client limit new connections wait in the backlog.
        pfds.push_back({listen_fd_, static_cast<short>(clients.size() < kMaxClients ? POLLIN : 0), 0});
        int64_t now = now_ms(), next = now + 1000;
        for (Client &c : clients) {
            pfds.push_back({c.fd, static_cast<short>(c.answered && !c.draining ? POLLOUT : POLLIN), 0});
            next = std::min(next, c.deadline);
        }
        int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(std::max<int64_t>(0, next - now)));
        if (n < 0 && errno != EINTR) return;
        if (pfds[0].revents) return;
        now = now_ms();
        for (size_t i = 0; i < clients.size(); i++) {
            Client &c = clients[i];
            short ev = pfds[i + 2].revents;
            bool drop = false;
            if (c.draining) {
                char buf[4096];
                ssize_t r = ev ? recv(c.fd, buf, sizeof buf, 0) : -1;
                if ((ev && r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) || now >= c.deadline) {
                    close(c.fd);
                    c.fd = -1;
                }
                continue;
            }
            if (!c.answered && (ev & (POLLIN | POLLHUP | POLLERR))) {
                char buf[4096];
                ssize_t r = recv(c.fd, buf, sizeof buf, 0);
                if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) {
                    drop = true; // closed before a whole head: nothing to answer
                } else if (r > 0) {
                    c.in.append(buf, static_cast<size_t>(r));
                    size_t end = c.in.find("\r\n\r\n");
                    if (end == std::string::npos && c.in.find("\n\n") != std::string::npos) end = c.in.find("\n\n");
                    if (end == std::string::npos && c.in.size() > kMaxHead) {
                        c.out = response(431, "", "request head too large\n", false);
                        c.answered = true;
                    } else if (end != std::string::npos) {
                        requests_++;
                        std::string head = c.in.substr(0, end);
                        size_t eol = head.find('\n');
                        std::string line = head.substr(0, eol);
                        if (!line.empty() && line.back() == '\r') line.pop_back();
                        size_t s1 = line.find(' '), s2 = s1 == std::string::npos ? s1 : line.find(' ', s1 + 1);
                        std::string method, target, version;
                        if (s2 != std::string::npos) {
                            method = line.substr(0, s1);
                            target = line.substr(s1 + 1, s2 - s1 - 1);
                            version = line.substr(s2 + 1);
                        }
                        bool head_only = method == "HEAD";
                        if (!is_token(method) || !is_token(target) || version.rfind("HTTP/1.", 0) != 0) {
                            c.out = response(400, "", "bad request\n", false);
                        } else if (target.substr(0, target.find('?')) != path_) {
                            c.out = response(404, "", "not found; metrics are at " + path_ + "\n", head_only);
                        } else if (method != "GET" && !head_only) {
                            c.out = "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n"
                                    "Connection: close\r\n\r\n";
                        } else {
                            std::string lower = head;
                            for (char &ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
                            bool om = lower.find("application/openmetrics-text") != std::string::npos;
                            HttpReply rep = render_(om);
                            c.out = response(rep.status, rep.content_type, rep.body, head_only);
                        }
                        c.answered = true;
                    }
                }
            }
            if (!drop && c.answered && (ev & POLLOUT || c.sent == 0)) {
                while (c.sent < c.out.size()) {
                    ssize_t w = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
                    if (w > 0) {
                        c.sent += static_cast<size_t>(w);
                        continue;
                    }
                    if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
                    drop = true;
                    break;
                }
                if (!drop && c.sent == c.out.size()) {
                    shutdown(c.fd, SHUT_WR);
                    c.draining = true;
                    c.deadline = now + 1000;
                    continue;
                }
            }
            if (!drop && now >= c.deadline) {
                if (!c.answered) {
                    // One best-effort 408, then the connection goes.
                    std::string r = response(408, "", "request timeout\n", false);
                    (void)!send(c.fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                }
                drop = true;
            }
            if (drop) {
                close(c.fd);
                c.fd = -1;
            }
        }
        std::erase_if(clients, [](const Client &c) { return c.fd < 0; });
        if (pfds[1].revents & POLLIN) {
            while (clients.size() < kMaxClients) {
                int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) break;
                Client c;
                c.fd = fd;
                c.deadline = now + kClientTimeoutMs;
                clients.push_back(std::move(c));
            }
        }
    }
}
