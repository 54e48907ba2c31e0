// The daemon's JSON replies, one way for every route (server.cpp, bank_routes.cpp).
#pragma once

#include <httplib.h>

#include <string>

#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace vhm::serve {

inline void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(json_text(body), "application/json");
}

inline void reply_error(httplib::Response& res, int status, const std::string& error) {
  reply(res, status, {{"error", error}});
}

}  // namespace vhm::serve
