#include "protocols/http2/inference.h"

#include <algorithm>
#include <cstring>

#include "protocols/http2/frame.h"

namespace beyla::http2 {

using protocols::Inference;

namespace {
constexpr uint32_t kDefaultMaxFrameSize = 16384;
} // namespace

Inference infer(std::span<const uint8_t> head) {
    if (head.empty()) return Inference::kNo;
    const size_t n = std::min(head.size(), kPreface.size());
    if (std::memcmp(head.data(), kPreface.data(), n) == 0)
        return n == kPreface.size() ? Inference::kYes : Inference::kNeedMore;
    // Joined late, frames must also fit the default SETTINGS_MAX_FRAME_SIZE (16 KiB): peers
    // rarely raise it, and a bound that loose would let repeated bytes chain as frames.
    switch (plausible_frames(head, kDefaultMaxFrameSize)) {
    case Plausibility::kYes:
        return Inference::kYes;
    case Plausibility::kMaybe:
        return Inference::kNeedMore;
    case Plausibility::kNo:
        break;
    }
    return Inference::kNo;
}

} // namespace beyla::http2
