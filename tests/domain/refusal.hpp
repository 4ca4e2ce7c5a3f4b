// The FieldError message a parse gives, or "" when it accepts.
#pragma once

#include <string>

#include "runtime/domain/field_error.hpp"

namespace cove::domain {

template <typename Parse>
std::string refusal(Parse parse) {
  try {
    parse();
    return "";
  } catch (const FieldError& e) {
    return e.what();
  }
}

}  // namespace cove::domain
