// Unix-domain sockets: /proc/net/unix parsed, paths by inode, the listener selection, and
// the span of a unix stream connection (network.transport "unix", server.address the path).
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/proc_scan.h"
#include "core/span_builder.h"
#include "core/unix_paths.h"

using namespace beyla;

namespace {

const char kNetUnix[] = "Num       RefCount Protocol Flags    Type St Inode Path\n"
                        "0000000000000000: 00000002 00000000 00010000 0001 01 4242 /tmp/redis.sock\n"
                        "0000000000000000: 00000003 00000000 00000000 0001 03 4243 /tmp/redis.sock\n"
                        "0000000000000000: 00000003 00000000 00000000 0001 03 4244\n"
                        "0000000000000000: 00000002 00000000 00010000 0005 01 4245 @abstract name\n"
                        "0000000000000000: 00000002 00000000 00000000 0002 01 4246 /run/dgram\n"
                        "garbage line\n";

const beyla_attr *attr(const beyla_span &s, const char *key) {
    for (size_t i = 0; i < s.attr_count; i++)
        if (strcmp(s.attrs[i].key, key) == 0) return &s.attrs[i];
    return nullptr;
}

} // namespace

TEST_CASE("unix: /proc/net/unix lines") {
    auto e = parse_proc_net_unix(kNetUnix);
    REQUIRE(e.size() == 5);
    CHECK(e[0].inode == 4242);
    CHECK(e[0].listening);
    CHECK(e[0].type == 1);
    CHECK(e[0].path == "/tmp/redis.sock");
    CHECK_FALSE(e[1].listening);
    CHECK(e[2].path.empty());
    CHECK(e[3].path == "@abstract name");
    CHECK(e[3].type == 5);
}

TEST_CASE("unix: paths by inode, the listener selected by its path") {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("beyla-unix-" + std::to_string(getpid()));
    fs::create_directories(root / "net");
    fs::create_directories(root / "77" / "fd");
    std::ofstream(root / "net" / "unix") << kNetUnix;
    std::ofstream(root / "77" / "stat") << "77 (redis-server) S 1 77 77 0 -1 0";
    fs::create_symlink("socket:[4242]", root / "77" / "fd" / "5");
    UnixPaths paths(root.string());
    CHECK(paths.path(4243, 1) == "/tmp/redis.sock"); // an accepted socket: the listener's path
    CHECK(paths.path(4244, 2).empty());
    CHECK(paths.path(0, 3).empty());
    CHECK(paths.listener_path(77, 4) == "/tmp/redis.sock"); // pid 77 holds the listener
    CHECK(paths.listener_path(78, 5).empty());
    ProcScanner scan(root.string());
    CHECK(scan.listening_unix_inodes({"/tmp/redis.sock"}) == std::set<uint64_t>{4242});
    CHECK(scan.listening_unix_inodes({"/run/dgram"}).empty()); // not a stream listener
    CHECK(scan.holds_socket(77, {4242}));
    Selection sel;
    sel.unix_paths = {"/tmp/redis.sock"};
    CHECK(scan.select(sel) == std::set<uint32_t>{77});
    fs::remove_all(root);
}

TEST_CASE("unix: a span on a unix socket names its path, no ports") {
    SpanBuilder b(false);
    beyla_sockaddr a{};
    a.family = AF_UNIX;
    SpanInput in;
    in.kind = BEYLA_SPAN_CLIENT;
    in.addr = &a;
    in.unix_path = "/tmp/redis.sock";
    const beyla_span &s = b.build(in);
    const beyla_attr *t = attr(s, "network.transport");
    REQUIRE(t);
    CHECK(std::string(t->str) == "unix");
    const beyla_attr *addr = attr(s, "server.address");
    REQUIRE(addr);
    CHECK(std::string(addr->str) == "/tmp/redis.sock");
    CHECK(attr(s, "server.port") == nullptr);
    CHECK(attr(s, "client.address") == nullptr);
}
