// Host id ranges for sessions' sandboxes, so that no two live sessions share a host uid.
// Slot k is the range [kFirstHostId + k * kIdsPerSlot, + kIdsPerSlot): a sandbox maps its
// ids 0..65535 there, and the sandbox user (uid 1000 inside) is host uid base + 1000.
//
// A session keeps its slot as long as its directory ($COVE_HOME/sessions/<id>) exists: the
// slot is recorded there in `id_slot`. The directory outlives a crash of the daemon, and so
// do the workspace files owned by the slot's uid; the resumed session gets the same slot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace cove::sessions {

inline constexpr uint32_t kFirstHostId = 1'000'000;
inline constexpr uint32_t kIdsPerSlot = 65536;
inline constexpr uint32_t kIdSlots = 1024;

inline uint32_t slot_host_base(uint32_t slot) {
  return kFirstHostId + slot * kIdsPerSlot;
}

// The slot recorded in sessions_dir/<session_id>/id_slot, or else a slot that no other
// directory of sessions_dir records, recorded now (the directory is created). Records of
// sessions for which `exists` is false (deleted while the daemon was down) do not count.
// Thread-safe within the process. Throws std::runtime_error when every slot is taken.
uint32_t claim_id_slot(const std::filesystem::path& sessions_dir, const std::string& session_id,
                       const std::function<bool(const std::string&)>& exists);

}  // namespace cove::sessions
