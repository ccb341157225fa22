// A small HTTP/1.x server for a metrics endpoint: GET or HEAD of one path, answered from a
// render callback on the server's own thread. Every connection is closed after its answer;
// malformed requests get 400, other paths 404, other methods 405, oversized heads 431, and
// a client that sends nothing for a few seconds is dropped: no client can stall it.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <atomic>
#include <functional>
#include <string>
#include <thread>

struct HttpReply {
    int status = 200;
    std::string content_type;
    std::string body;
};

class HttpServer {
  public:
    // render(openmetrics): the answer for the path; openmetrics when the client's Accept
    // asks for application/openmetrics-text.
    using Render = std::function<HttpReply(bool openmetrics)>;

    HttpServer() = default;
    ~HttpServer() { stop(); }
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    // Binds "ADDR:PORT" ("[::1]:9400", ":9400" for every address, port 0 for any free
    // one) and starts serving. Returns "" or an error message.
    std::string start(const std::string &addr_port, const std::string &path, Render render);
    void stop();
    // The address it listens on, "ADDR:PORT" with the real port.
    const std::string &address() const { return bound_; }
    uint64_t requests() const { return requests_; }

    static constexpr size_t kMaxHead = 8192;
    static constexpr int kMaxClients = 64;
    static constexpr int kClientTimeoutMs = 5000;

  private:
    void run();

    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::string path_, bound_;
    Render render_;
    std::thread thread_;
    std::atomic<uint64_t> requests_{0};
};

// Splits "ADDR:PORT" / "[V6]:PORT" / ":PORT". Returns false on a malformed value.
bool split_host_port(const std::string &s, std::string &host, int &port);
