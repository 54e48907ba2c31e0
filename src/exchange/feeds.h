// The four feeds' makers (not an interface for other folders: make_exchange_feed in
// exchange_feed.h picks one).
#pragma once

#include <memory>

#include "exchange/exchange_feed.h"

namespace vhm {

Result<std::unique_ptr<ExchangeFeed>> make_stopncii_feed(const ExchangeSettings& settings, HttpClient& http);
Result<std::unique_ptr<ExchangeFeed>> make_ncmec_feed(const ExchangeSettings& settings, HttpClient& http);
Result<std::unique_ptr<ExchangeFeed>> make_threatexchange_feed(const ExchangeSettings& settings, HttpClient& http);
Result<std::unique_ptr<ExchangeFeed>> make_tcap_feed(const ExchangeSettings& settings, HttpClient& http);

}  // namespace vhm
