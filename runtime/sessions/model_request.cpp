// One model request of a turn: its span, the stream previews of the reply, retries with
// backoff, and the recording of the reply with its usage.
#include <condition_variable>
#include <mutex>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "net/sse_writer.hpp"
#include "runtime/sessions/agent_turn.hpp"
#include "runtime/sessions/session_error.hpp"

namespace cove::sessions {

namespace {

namespace event_type = domain::event_type;
namespace status = domain::session_status;
namespace session_error = domain::session_error;

json usage_json(const models::Usage& u) {
  return {{"input_tokens", u.input_tokens},
          {"output_tokens", u.output_tokens},
          {"cache_creation_input_tokens", u.cache_creation_input_tokens},
          {"cache_read_input_tokens", u.cache_read_input_tokens}};
}

json span_end(const std::string& start_id, bool is_error, const models::Usage& usage) {
  return EventWriter::make_event(event_type::kSpanModelRequestEnd,
                                 {{"model_request_start_id", start_id},
                                  {"is_error", is_error},
                                  {"model_usage", usage_json(usage)}});
}

}  // namespace

// One model request with retries: the reply, or how the turn ended (already reported).
std::variant<models::ModelReply, TurnEnd> AgentTurn::request_model() {
  for (int attempt = 0;; ++attempt) {
    {
      auto b = events_.batch();
      start_id_ = b.add(EventWriter::make_event(event_type::kSpanModelRequestStart));
      events_.commit(b);
    }
    previews_ = Previews{};
    models::ModelRequest req;
    req.system = config_.system;
    req.messages = events_.conversation().history.messages();
    req.tools = toolbox_.definitions();
    try {
      return model_.complete(req, preview_sink(), stop_);
    } catch (const models::ModelError& e) {
      if (auto end = failed(e, attempt)) return *end;
    }
  }
}

// Reports a failed request. Returns how the turn ends, or nothing when the request is to be
// retried (the backoff has passed).
std::optional<TurnEnd> AgentTurn::failed(const models::ModelError& e, int attempt) {
  events_.defer(span_end(start_id_, true, {}));
  if (e.kind() == models::ModelErrorKind::interrupted || stopped()) {
    events_.commit_deferred();
    return TurnEnd::interrupted;
  }
  bool retry = e.retryable() && attempt < config_.max_retries;
  events_.defer(
      EventWriter::error_event(session_error_type(e), e.what(),
                               retry ? session_error::kRetrying : session_error::kExhausted));
  if (!retry) return TurnEnd::retries_exhausted;  // the error rides on the idle event's batch
  {
    auto b = events_.batch();
    events_.set_status(b, status::kRescheduling);
    b.add(EventWriter::make_event(event_type::kSessionStatusRescheduled));
    events_.commit(b);
  }
  if (!sleep_for(backoff(attempt, e.retry_after()))) return TurnEnd::interrupted;
  auto b = events_.batch();
  events_.set_status(b, status::kRunning);
  b.add(EventWriter::make_event(event_type::kSessionStatusRunning));
  events_.commit(b);
  return std::nullopt;
}

std::chrono::milliseconds AgentTurn::backoff(int attempt,
                                             std::optional<std::chrono::milliseconds> retry_after) {
  if (retry_after) return std::min(*retry_after, std::chrono::milliseconds(config_.retry_max * 2));
  auto base = config_.retry_base * (1LL << std::min(attempt, 10));
  auto capped = std::min<std::chrono::milliseconds>(base, config_.retry_max);
  std::uniform_int_distribution<int64_t> jitter(0, capped.count() / 4);
  return capped + std::chrono::milliseconds(jitter(rng_));
}

// Waits, or returns false as soon as the turn is interrupted.
bool AgentTurn::sleep_for(std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return !cv.wait_for(lock, stop_, d, [] { return false; }) && !stopped();
}

// Streams the reply's text as event_start / event_delta frames of the agent.message (and
// agent.thinking) events it will become.
models::StreamSink AgentTurn::preview_sink() {
  models::StreamSink sink;
  sink.on_block_start = [this](int index, std::string_view type) { block_started(index, type); };
  sink.on_text_delta = [this](int index, std::string_view text) {
    auto it = previews_.text_slot.find(index);
    if (it == previews_.text_slot.end()) return;
    json delta = {{"type", "event_delta"},
                  {"event_id", it->second.first},
                  {"delta",
                   {{"type", "content_delta"},
                    {"index", it->second.second},
                    {"content", {{"type", "text"}, {"text", text}}}}}};
    events_.preview(event_type::kAgentMessage, net::sse_frame("event_delta", delta.dump()));
  };
  return sink;
}

void AgentTurn::block_started(int index, std::string_view type) {
  auto& p = previews_;
  if (type == "text") {
    if (!p.last_text) {
      p.message_id = new_id("sevt");
      p.slots = 0;
      json start = {{"type", "event_start"},
                    {"event", {{"type", event_type::kAgentMessage}, {"id", p.message_id}}}};
      events_.preview(event_type::kAgentMessage, net::sse_frame("event_start", start.dump()));
    }
    p.text_slot[index] = {p.message_id, p.slots++};
    p.last_text = true;
    return;
  }
  p.last_text = false;
  if (type == "thinking" || type == "redacted_thinking") {
    std::string id = new_id("sevt");
    p.thinking_id[index] = id;
    json start = {{"type", "event_start"},
                  {"event", {{"type", event_type::kAgentThinking}, {"id", id}}}};
    events_.preview(event_type::kAgentThinking, net::sse_frame("event_start", start.dump()));
  }
}

// Persists what the model said, in content order, closed by the span's end; returns the
// tool calls with their decisions.
std::vector<ToolCall> AgentTurn::record_reply(const models::ModelReply& reply) {
  auto b = events_.batch();
  std::vector<ToolCall> calls;
  json text = json::array();
  std::string text_id;
  auto flush_text = [&] {
    if (!text.empty())
      b.add(EventWriter::make_event(event_type::kAgentMessage, {{"content", text}}, text_id));
    text = json::array();
    text_id.clear();
  };
  const json& content = reply.content;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const json& block = content[i];
    std::string type = block.value("type", "");
    int index = static_cast<int>(i);
    if (type == "text") {
      if (text.empty()) {
        auto it = previews_.text_slot.find(index);
        text_id = it != previews_.text_slot.end() ? it->second.first : std::string();
      }
      if (!block.value("text", "").empty())
        text.push_back({{"type", "text"}, {"text", block["text"]}});
      continue;
    }
    flush_text();
    if (type == "thinking" || type == "redacted_thinking") {
      auto it = previews_.thinking_id.find(index);
      b.add(
          EventWriter::make_event(event_type::kAgentThinking, json::object(),
                                  it != previews_.thinking_id.end() ? it->second : std::string()));
    } else if (type == "tool_use") {
      calls.push_back(record_tool_use(b, toolbox_, block));
    }
  }
  flush_text();
  b.add(span_end(start_id_, false, reply.usage));
  events_.add_usage(b, reply.usage);
  events_.commit(b);
  return calls;
}

}  // namespace cove::sessions
