// The bank through the daemon: contents added and removed over HTTP, for curators and
// for systems that act on a review, with a bearer token for every write.
//
//   GET    /v1/banks                                -> {"banks": [{name, path, generation,
//                                                      contents_live, writable}]}
//   GET    /v1/banks/{bank}/contents/{external_id}  -> the live content (else the last
//                                                      removed one): id, label, kind,
//                                                      frames, signals, added/removed
//   POST   /v1/banks/{bank}/contents                body: media (hashed in memory, as
//          ?format=media|vpdq|jsonl|pdq|te-file|    `vhm bank add` hashes it) or a hash
//           te-csv|threatexchange|stopncii|tcap|    list in any format `vhm bank add`
//           tmk|ncmec&external_id=&label=&kind=     reads -> 201 {added: [{content_id,
//                                                      external_id, frames_stored}],
//                                                      removed, generation}
//   DELETE /v1/banks/{bank}/contents/{external_id}?reason=
//                                                   -> 200 {content_id, external_id,
//                                                      removed_at, already_removed}
// A write is committed (one transaction: a list's additions and its withdrawals
// together) before the reply, and the next lookup of every daemon on the bank sees it.
//
// Who may write: `Authorization: Bearer <token>`, compared in constant time with the
// daemon's token (--token-file or VHM_SERVE_TOKEN); a missing or wrong one is 401 and
// nothing is written; with no token configured writes are off (403). Reads need the
// token too with --token-for-reads. A token is never logged.
#pragma once

#include <httplib.h>

#include <functional>
#include <semaphore>
#include <string>

#include "bank/bank.h"
#include "hash/input_hasher.h"

namespace vhm::serve {

struct BankRouteOptions {
  std::string bank_name;          // the {bank} in the routes
  std::string write_token;        // empty: writes refused (403)
  bool reads_need_token = false;  // GET /v1/banks... need it too
  InputHashConfig hashing;        // how uploaded media is hashed for the bank
};

// Whether `given` equals `expected`, in time that depends on their lengths only.
bool tokens_equal(const std::string& given, const std::string& expected);

class BankRoutes {
 public:
  // Reads a request body within the daemon's limits, or answers and returns false.
  using BodyReader =
      std::function<bool(const httplib::Request&, httplib::Response&, const httplib::ContentReader&, std::string&)>;
  // `bank` and `hashing_slots` (the daemon's, held while media is hashed) must outlive it.
  BankRoutes(Bank& bank, BankRouteOptions options, std::counting_semaphore<>& hashing_slots, BodyReader read_body);

  void install(httplib::Server& http);

 private:
  // False (with the 401/403 answered) when the request may not go on.
  bool authorised(const httplib::Request& req, httplib::Response& res, bool write) const;
  // False (with the 404 answered) when {bank} is not this daemon's.
  bool known_bank(const std::string& name, httplib::Response& res) const;
  void list_banks(const httplib::Request& req, httplib::Response& res) const;
  void get_content(const httplib::Request& req, httplib::Response& res) const;
  void add_contents(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void remove_content(const httplib::Request& req, httplib::Response& res);

  Bank& bank_;
  const BankRouteOptions options_;
  std::counting_semaphore<>& hashing_slots_;
  BodyReader read_body_;
};

}  // namespace vhm::serve
