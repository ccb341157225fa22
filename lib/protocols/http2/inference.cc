#include "protocols/http2/inference.h"

#include <algorithm>
#include <cstring>

#include "protocols/http2/frame.h"

namespace beyla::http2 {

using protocols::Inference;

Inference infer(std::span<const uint8_t> head) {
    if (head.empty()) return Inference::kNo;
    const size_t n = std::min(head.size(), kPreface.size());
    if (std::memcmp(head.data(), kPreface.data(), n) == 0)
        return n == kPreface.size() ? Inference::kYes : Inference::kNeedMore;
    switch (plausible_frames(head)) {
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
