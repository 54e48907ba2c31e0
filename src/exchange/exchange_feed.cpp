// make_exchange_feed: the feed of an exchange kind (exchange_feed.h).
#include "exchange/exchange_feed.h"

#include "exchange/feeds.h"

namespace vhm {

Result<std::unique_ptr<ExchangeFeed>> make_exchange_feed(const ExchangeSettings& settings, HttpClient& http) {
  switch (settings.kind) {
    case ExchangeKind::kStopNcii:
      return make_stopncii_feed(settings, http);
    case ExchangeKind::kNcmec:
      return make_ncmec_feed(settings, http);
    case ExchangeKind::kThreatExchange:
      return make_threatexchange_feed(settings, http);
    case ExchangeKind::kTcap:
      return make_tcap_feed(settings, http);
  }
  return Status(StatusCode::kInternal, "unknown exchange kind");
}

}  // namespace vhm
