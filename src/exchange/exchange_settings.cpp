// Settings and credentials of an exchange (exchange_settings.h).
#include "exchange/exchange_settings.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace vhm {
namespace {

struct SecretSource {
  const char* key;
  const char* env;
};

std::vector<SecretSource> secret_sources(ExchangeKind kind) {
  switch (kind) {
    case ExchangeKind::kStopNcii:
      return {{"subscription_key", "VHM_STOPNCII_SUBSCRIPTION_KEY"},
              {"fetch_key", "VHM_STOPNCII_FETCH_KEY"},
              {"feedback_key", "VHM_STOPNCII_FEEDBACK_KEY"}};
    case ExchangeKind::kNcmec:
      return {{"username", "VHM_NCMEC_USERNAME"}, {"password", "VHM_NCMEC_PASSWORD"}};
    case ExchangeKind::kThreatExchange:
      return {{"token", "VHM_THREATEXCHANGE_TOKEN"}};
    case ExchangeKind::kTcap:
      return {{"username", "VHM_TCAP_USERNAME"}, {"password", "VHM_TCAP_PASSWORD"}};
  }
  return {};
}

Status config_error(const std::string& path, const std::string& what) {
  return {StatusCode::kInvalidArgument, what, path};
}

}  // namespace

const char* exchange_kind_name(ExchangeKind kind) {
  switch (kind) {
    case ExchangeKind::kStopNcii:
      return "stopncii";
    case ExchangeKind::kNcmec:
      return "ncmec";
    case ExchangeKind::kThreatExchange:
      return "threatexchange";
    case ExchangeKind::kTcap:
      return "tcap";
  }
  return "?";
}

std::optional<ExchangeKind> parse_exchange_kind(std::string_view name) {
  for (ExchangeKind k :
       {ExchangeKind::kStopNcii, ExchangeKind::kNcmec, ExchangeKind::kThreatExchange, ExchangeKind::kTcap})
    if (name == exchange_kind_name(k)) return k;
  return std::nullopt;
}

const char* default_base_url(ExchangeKind kind) {
  switch (kind) {
    case ExchangeKind::kStopNcii:
      return "https://api.stopncii.org/v1";
    case ExchangeKind::kNcmec:
      return "https://report.cybertip.org/hashsharing";
    case ExchangeKind::kThreatExchange:
      return "https://graph.facebook.com/v21.0";
    case ExchangeKind::kTcap:
      return "https://app.terrorismanalytics.org";
  }
  return "";
}

Result<std::string> ExchangeSettings::secret(const std::string& key) const {
  if (auto it = secrets.find(key); it != secrets.end() && !it->second.empty()) return it->second;
  std::string env;
  for (const SecretSource& s : secret_sources(kind))
    if (key == s.key) env = s.env;
  return Status(StatusCode::kInvalidArgument,
                "no " + key + ": set " + env + " or \"" + key + "\" under \"" + exchange_kind_name(kind) +
                    "\" in the --config file",
                exchange_kind_name(kind));
}

std::string ExchangeSettings::checkpoint_name() const {
  return std::string("fetch:") + exchange_kind_name(kind) + (collection.empty() ? "" : ":" + collection);
}

Result<ExchangeSettings> load_exchange_settings(ExchangeKind kind, const std::string& config_path) {
  ExchangeSettings s;
  s.kind = kind;
  s.base_url = default_base_url(kind);
  if (!config_path.empty()) {
    std::ifstream in(config_path, std::ios::binary);
    if (!in) return Status(StatusCode::kNotFound, "cannot read the config file", config_path);
    std::stringstream text;
    text << in.rdbuf();
    auto doc = parse_json_text(text.str());
    if (!doc) return config_error(config_path, "not JSON: " + doc.status().message());
    if (!doc->is_object()) return config_error(config_path, "expected a JSON object");
    const char* name = exchange_kind_name(kind);
    if (doc->contains(name)) {
      const nlohmann::json& e = (*doc)[name];
      if (!e.is_object()) return config_error(config_path, std::string("\"") + name + "\" must be an object");
      for (const auto& [key, value] : e.items()) {
        bool is_secret = false;
        for (const SecretSource& src : secret_sources(kind)) is_secret = is_secret || key == src.key;
        if (is_secret || key == "base_url" || key == "privacy_group") {
          if (!value.is_string()) return config_error(config_path, std::string(name) + "." + key + " must be a string");
          if (is_secret) s.secrets[key] = value.get<std::string>();
          else if (key == "base_url") s.base_url = value.get<std::string>();
          else s.collection = value.get<std::string>();
        } else if (key == "page_size" || key == "start_timestamp") {
          if (!value.is_number_integer() || value.get<int64_t>() < 0)
            return config_error(config_path, std::string(name) + "." + key + " must be a whole number >= 0");
          (key == "page_size" ? s.page_size : s.start_timestamp) = value.get<int64_t>();
        } else {
          return config_error(config_path, std::string("unknown key ") + name + "." + key);
        }
      }
    }
    if (doc->contains("http")) {
      const nlohmann::json& h = (*doc)["http"];
      if (!h.is_object()) return config_error(config_path, "\"http\" must be an object");
      for (const auto& [key, value] : h.items()) {
        if (key == "ca_file") {
          if (!value.is_string()) return config_error(config_path, "http.ca_file must be a string");
          s.http.ca_file = value.get<std::string>();
          continue;
        }
        if (!value.is_number_integer() || value.get<int64_t>() < 0)
          return config_error(config_path, "http." + key + " must be a whole number >= 0");
        const int64_t v = value.get<int64_t>();
        if (key == "attempts")
          s.http.retry.attempts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(v, 100)));
        else if (key == "first_delay_ms") s.http.retry.first_delay = std::chrono::milliseconds(v);
        else if (key == "max_delay_ms") s.http.retry.max_delay = std::chrono::milliseconds(v);
        else if (key == "timeout_s") s.http.timeout_seconds = static_cast<long>(std::max<int64_t>(1, v));
        else return config_error(config_path, "unknown key http." + key);
      }
    }
  }
  for (const SecretSource& src : secret_sources(kind))
    if (const char* v = std::getenv(src.env); v && *v) s.secrets[src.key] = v;
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  return s;
}

}  // namespace vhm
