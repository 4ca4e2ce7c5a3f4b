// Server-Sent Events framing (the writing side): one frame per event, data on one line per
// line of payload, optional id and event name, comments for heartbeats.
#pragma once

#include <string>
#include <string_view>

namespace cove::net {

// "id: <id>\nevent: <event>\ndata: <data>\n\n"; empty id/event are left out. A payload with
// newlines becomes several data: lines (the reader joins them back with '\n').
std::string sse_frame(std::string_view event, std::string_view data, std::string_view id = {});

// ": <text>\n\n", ignored by every SSE reader; used as a heartbeat.
std::string sse_comment(std::string_view text);

}  // namespace cove::net
