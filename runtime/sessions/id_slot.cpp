#include "runtime/sessions/id_slot.hpp"

#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>

namespace cove::sessions {
namespace {

namespace fs = std::filesystem;

std::optional<uint32_t> read_slot(const fs::path& session_dir) {
  std::ifstream in(session_dir / "id_slot");
  unsigned long slot = kIdSlots;
  if (in >> slot && slot < kIdSlots) return static_cast<uint32_t>(slot);
  return std::nullopt;
}

// Written whole or not at all: a crash leaves no half-written record.
void write_slot(const fs::path& session_dir, uint32_t slot) {
  fs::path tmp = session_dir / "id_slot.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << slot << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, session_dir / "id_slot");
}

}  // namespace

uint32_t claim_id_slot(const fs::path& sessions_dir, const std::string& session_id,
                       const std::function<bool(const std::string&)>& exists) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  fs::path own = sessions_dir / session_id;
  if (auto slot = read_slot(own)) return *slot;
  std::set<uint32_t> taken;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sessions_dir, ec)) {
    auto id = entry.path().filename().string();
    if (id == session_id) continue;
    if (auto slot = read_slot(entry.path()); slot && exists(id)) taken.insert(*slot);
  }
  // Start where the id hashes to, so sessions do not all probe from slot 0.
  uint32_t start = static_cast<uint32_t>(std::hash<std::string>{}(session_id) % kIdSlots);
  for (uint32_t i = 0; i < kIdSlots; ++i) {
    uint32_t slot = (start + i) % kIdSlots;
    if (taken.count(slot)) continue;
    fs::create_directories(own);
    write_slot(own, slot);
    return slot;
  }
  throw std::runtime_error("all " + std::to_string(kIdSlots) +
                           " host id ranges are in use by sessions in " + sessions_dir.string());
}

}  // namespace cove::sessions
