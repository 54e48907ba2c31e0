// Which exchange vhm fetch talks to, where, and with what credentials.
//
// Credentials come from a JSON config file (--config) or the environment, never from
// the command line (a process list shows it) and never into a log or an error:
//   stopncii        VHM_STOPNCII_SUBSCRIPTION_KEY, VHM_STOPNCII_FETCH_KEY
//                   (VHM_STOPNCII_FEEDBACK_KEY for vhm feedback's SubmitFeedback)
//   ncmec           VHM_NCMEC_USERNAME, VHM_NCMEC_PASSWORD
//   threatexchange  VHM_THREATEXCHANGE_TOKEN ("<app id>|<app secret>")
//   tcap            VHM_TCAP_USERNAME, VHM_TCAP_PASSWORD
// The environment wins over the file. The file (docs/EXCHANGES.md):
//   {"stopncii": {"subscription_key": "...", "fetch_key": "...", "feedback_key": "...",
//                 "base_url": "...", "page_size": 800, "start_timestamp": 10},
//    "ncmec": {"username": "...", "password": "...", "base_url": "...", "start_timestamp": 0},
//    "threatexchange": {"token": "...", "privacy_group": "...", "base_url": "...",
//                       "page_size": 500, "start_timestamp": 0},
//    "tcap": {"username": "...", "password": "...", "base_url": "..."},
//    "http": {"attempts": 5, "first_delay_ms": 500, "max_delay_ms": 120000,
//             "timeout_s": 120, "ca_file": "..."}}
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "exchange/http_client.h"

namespace vhm {

enum class ExchangeKind { kStopNcii, kNcmec, kThreatExchange, kTcap };
// "stopncii", "ncmec", "threatexchange", "tcap"
const char* exchange_kind_name(ExchangeKind kind);
std::optional<ExchangeKind> parse_exchange_kind(std::string_view name);

struct ExchangeSettings {
  ExchangeKind kind = ExchangeKind::kStopNcii;
  std::string base_url;         // the API's root, without a trailing '/' (default: the exchange's public one)
  std::string collection;       // ThreatExchange: the privacy group; others: none
  int64_t page_size = 0;        // records per page asked for (0: the exchange's default here)
  int64_t start_timestamp = 0;  // where a first fetch starts (Unix seconds; 0: the exchange's default)
  // Named secrets ("subscription_key", "fetch_key", "feedback_key", "username",
  // "password", "token"); present only when given.
  std::map<std::string, std::string> secrets;
  HttpClientOptions http;

  // The secret, or kInvalidArgument naming the variable and the config key to set.
  Result<std::string> secret(const std::string& key) const;
  // The bank's checkpoint name of this feed: "fetch:<exchange>" (":<collection>" when one).
  std::string checkpoint_name() const;
};

// The exchange's public API root.
const char* default_base_url(ExchangeKind kind);

// Settings for `kind` from the config file (empty path: none) and the environment;
// kInvalidArgument naming the file for a file that is not the shape above.
Result<ExchangeSettings> load_exchange_settings(ExchangeKind kind, const std::string& config_path);

}  // namespace vhm
