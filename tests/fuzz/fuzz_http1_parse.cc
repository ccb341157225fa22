// HTTP/1 framing: the head parser on the whole input, then request or response framing
// through the generic parse loop with the input cut into chunks, some with gaps.
//
// Input: byte 0 picks the message type and whether responses answer a HEAD/CONNECT;
// then records of [u8 ctl][u8 len][len bytes]: ctl bit 0 adds a gap of (ctl >> 1) * 97
// bytes after the captured ones.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

#include "fuzz_input.h"
#include "protocols/common/parse_loop.h"
#include "protocols/http1/parse.h"

using namespace beyla;
using namespace beyla::http1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.take<uint8_t>();
    const MessageType type = (mode & 1) ? MessageType::kResponse : MessageType::kRequest;

    // The stateless pieces on everything after the mode byte.
    {
        std::string_view all(reinterpret_cast<const char *>(data + std::min<size_t>(size, 1)),
                             size ? size - 1 : 0);
        Message m;
        Framing f;
        size_t head_len = 0;
        if (parse_head(type, all, &m, &f, &head_len) == ParseState::kSuccess && head_len > all.size())
            __builtin_trap();
        (void)classify_start({reinterpret_cast<const uint8_t *>(all.data()), all.size()});
    }

    // Requests the responses answer: a HEAD or CONNECT changes how a response is framed.
    std::deque<Message> requests(3);
    requests[0].method = (mode & 2) ? "HEAD" : "GET";
    requests[1].method = (mode & 4) ? "CONNECT" : "POST";
    requests[2].method = "GET";

    DataStream s(mode & 8 ? 512 : DataStream::kDefaultCapacity);
    ParserState st;
    if (type == MessageType::kResponse) st.requests = &requests;
    std::deque<Message> out;
    protocols::ParseStats stats;
    uint64_t ts = 1;
    while (!in.empty()) {
        const uint8_t ctl = in.take<uint8_t>();
        const uint8_t len = in.take<uint8_t>();
        auto payload = in.bytes(len);
        protocols::DataChunk c;
        c.ts_begin = ts;
        c.ts_end = ts + 1;
        ts += 2;
        c.captured = payload;
        c.total = payload.size() + ((ctl & 1) ? uint64_t(ctl >> 1) * 97 : 0);
        if (!s.append(c)) st.reset_frame();
        protocols::parse_frames(type, s, &out, &stats, &st);
        if (st.paused && (ctl & 0x80)) st.paused = false; // as the stitcher does once it knows
        if (out.size() > 64) out.clear();
        if (type == MessageType::kResponse && st.next_request >= requests.size()) st.next_request = 0;
    }
    Message last;
    (void)finish_at_close(&st, &last);
    return 0;
}
