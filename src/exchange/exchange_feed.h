// One exchange's feed of changes, a page at a time, from a checkpoint: what vhm fetch
// walks (fetch_run.h applies each page to a bank with the checkpoint after it).
//
//   stopncii        GET {base}/FetchHashes?startTimestamp&pageSize&nextPageToken
//                   (stopncii_feed.cpp)
//   ncmec           GET {base}/v2/entries?from&to, then paging/next (ncmec_feed.cpp)
//   threatexchange  GET {base}/{privacy group}/threat_updates?start_time&stop_time&after
//                   (threatexchange_feed.cpp)
//   tcap            POST {base}/token-auth/tcap/, GET {base}/api/hash-list/v2/all?order&after
//                   (tcap_feed.cpp)
// A checkpoint is the feed's own JSON text, stored in the bank and read back verbatim.
#pragma once

#include <memory>
#include <string>

#include "bank/exchange_formats.h"
#include "core/status.h"
#include "exchange/exchange_settings.h"
#include "exchange/http_client.h"

namespace vhm {

struct FeedPage {
  ExchangeList list;             // the page's records (malformed ones in list.bad_records)
  std::string checkpoint_after;  // stored with this page's changes
  bool last = false;             // the feed is played out: the next run starts at checkpoint_after
  std::string name;              // what sources and errors name ("stopncii page 3")
};

class ExchangeFeed {
 public:
  virtual ~ExchangeFeed() = default;
  // The page after `checkpoint` (a value this feed wrote; empty: the first fetch ever).
  // An HTTP status the exchange means as an error is a Status naming the request:
  // kPermissionDenied for 401/403, kUnavailable for 429/5xx that outlasted the retries,
  // kCorrupt for a page that is not the API's shape.
  virtual Result<FeedPage> fetch_page(const std::string& checkpoint) = 0;
};

// The feed of settings.kind, sending through `http` (which must outlive it); missing
// credentials are kInvalidArgument before anything is sent.
Result<std::unique_ptr<ExchangeFeed>> make_exchange_feed(const ExchangeSettings& settings, HttpClient& http);

}  // namespace vhm
