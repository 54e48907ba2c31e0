// BankRoutes (bank_routes.h).
#include "serve/bank_routes.h"

#include <spdlog/spdlog.h>

#include "bank/importers.h"
#include "serve/http_reply.h"
#include "serve/media_input.h"
#include "signal/signal_registry.h"

namespace vhm::serve {
namespace {

using nlohmann::json;

// The HTTP status of a Status the bank or an importer returned.
int http_status_of(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kCorrupt:
    case StatusCode::kUnsupported:
      return 422;  // the body is not what it says
    case StatusCode::kLimitExceeded:
      return 413;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

json content_json(const ContentInfo& c, int64_t frames, std::span<const ContentSignal> signals) {
  json names = json::array();
  for (const ContentSignal& s : signals) names.push_back(std::string(signal_name(s.signal)));
  return {{"content_id", c.id},
          {"external_id", c.meta.external_id},
          {"label", c.meta.label},
          {"source", c.meta.source},
          {"kind", content_kind_name(c.meta.kind)},
          {"added_at", c.added_at},
          {"removed_at", c.removed_at.empty() ? json(nullptr) : json(c.removed_at)},
          {"removed_reason", c.removed_reason},
          {"frames", frames},
          {"signals", names}};
}

}  // namespace

bool tokens_equal(const std::string& given, const std::string& expected) {
  // Every byte of both is read whatever differs, so the time says nothing of where.
  const size_t n = std::max(given.size(), expected.size());
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    const unsigned char b = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0;
    diff |= a ^ b;
  }
  return diff == 0;
}

BankRoutes::BankRoutes(Bank& bank, BankRouteOptions options, std::counting_semaphore<>& hashing_slots,
                       BodyReader read_body)
    : bank_(bank), options_(std::move(options)), hashing_slots_(hashing_slots), read_body_(std::move(read_body)) {}

void BankRoutes::install(httplib::Server& http) {
  http.Get("/v1/banks", [this](const httplib::Request& req, httplib::Response& res) { list_banks(req, res); });
  http.Get(R"(/v1/banks/([^/]+)/contents/(.+))",
           [this](const httplib::Request& req, httplib::Response& res) { get_content(req, res); });
  http.Post(R"(/v1/banks/([^/]+)/contents)",
            [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
              add_contents(req, res, reader);
            });
  http.Delete(R"(/v1/banks/([^/]+)/contents/(.+))",
              [this](const httplib::Request& req, httplib::Response& res) { remove_content(req, res); });
}

bool BankRoutes::authorised(const httplib::Request& req, httplib::Response& res, bool write) const {
  if (!write && !options_.reads_need_token) return true;
  if (options_.write_token.empty()) {
    reply_error(res, 403, "bank writes are off: start vhm serve with --token-file (or VHM_SERVE_TOKEN)");
    return false;
  }
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  const bool given = header.size() > kBearer.size() && header.compare(0, kBearer.size(), kBearer) == 0;
  if (!given || !tokens_equal(header.substr(kBearer.size()), options_.write_token)) {
    res.set_header("WWW-Authenticate", "Bearer");
    reply_error(res, 401, given ? "wrong token" : "this route needs Authorization: Bearer <token>");
    return false;
  }
  return true;
}

bool BankRoutes::known_bank(const std::string& name, httplib::Response& res) const {
  if (name == options_.bank_name) return true;
  reply_error(res, 404, "no bank '" + name + "' here (GET /v1/banks lists them)");
  return false;
}

void BankRoutes::list_banks(const httplib::Request& req, httplib::Response& res) const {
  if (!authorised(req, res, false)) return;
  auto st = bank_.stats();
  if (!st) return reply_error(res, 500, st.status().to_string());
  reply(res, 200,
        {{"banks",
          {{{"name", options_.bank_name},
            {"path", st->path},
            {"generation", st->generation},
            {"contents_live", st->contents_live},
            {"writable", !options_.write_token.empty()}}}}});
}

void BankRoutes::get_content(const httplib::Request& req, httplib::Response& res) const {
  if (!authorised(req, res, false) || !known_bank(req.matches[1], res)) return;
  auto c = bank_.content(ContentRef::by_external_id(req.matches[2]));
  if (!c) return reply_error(res, http_status_of(c.status()), c.status().message());
  auto signals = bank_.content_signals(c->id);
  if (!signals) return reply_error(res, 500, signals.status().to_string());
  reply(res, 200, content_json(*c, c->frame_count, *signals));
}

void BankRoutes::add_contents(const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader& reader) {
  if (!authorised(req, res, true) || !known_bank(req.matches[1], res)) return;
  ImportOptions import;
  const std::string format_name = req.has_param("format") ? req.get_param_value("format") : "media";
  const auto format = parse_import_format(format_name);
  if (!format) return reply_error(res, 400, "unknown format '" + format_name + "' (those of vhm bank add)");
  import.format = *format;
  import.hashing = options_.hashing;
  import.label = req.get_param_value("label");
  import.external_id = req.get_param_value("external_id");
  bool kind_ok = true;
  const std::optional<InputKind> kind = parse_kind(req.get_param_value("kind"), kind_ok);
  if (!kind_ok) return reply_error(res, 400, "kind must be image or video");
  std::string body;
  if (!read_body_(req, res, reader, body)) return;
  const std::string name = req.has_param("name") ? req.get_param_value("name") : "upload";
  const auto bytes = std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  const Input sniffed = media_input(bytes, name, kind);
  auto imported = [&] {
    // Media is hashed here: it takes a hashing slot, as an upload to match does (held
    // by RAII, so nothing can leave it taken); a hash list needs none.
    struct Slot {
      std::counting_semaphore<>* held = nullptr;
      ~Slot() {
        if (held) held->release();
      }
    } slot;
    if (import.format == ImportFormat::kMedia || import.format == ImportFormat::kAuto) {
      hashing_slots_.acquire();
      slot.held = &hashing_slots_;
    }
    return import_bytes(bytes, name, sniffed.kind, import);
  }();
  if (!imported) return reply_error(res, http_status_of(imported.status()), imported.status().to_string());
  BankChanges changes;
  changes.add = std::move(imported->contents);
  changes.remove_external_ids = std::move(imported->remove_external_ids);
  changes.remove_reason = "withdrawn by " + name;
  for (NewContent& c : changes.add)
    if (c.meta.source.empty() || c.meta.source == name) c.meta.source = "POST /v1/banks/" + options_.bank_name;
  auto applied = bank_.apply_changes(changes);
  if (!applied) return reply_error(res, http_status_of(applied.status()), applied.status().to_string());
  if (applied->outcome == ChangesOutcome::kDuplicateExternalId)  // the client's to resolve; nothing written
    return reply_error(res, 409,
                       "external id '" + changes.add[applied->refused].meta.external_id + "' is already content " +
                           std::to_string(applied->existing_content_id) + " (DELETE it first)");
  json added = json::array();
  for (size_t i = 0; i < applied->added.size(); ++i)
    added.push_back({{"content_id", applied->added[i].id},
                     {"external_id", changes.add[i].meta.external_id},
                     {"frames_stored", applied->added[i].frames_stored}});
  // The generation the commit made searchable (apply_changes synced the index), not a
  // whole-bank stats() count on every write.
  const int64_t generation = bank_.index_info().generation;
  spdlog::info("POST /v1/banks/{}/contents: {} added, {} removed", options_.bank_name, applied->added.size(),
               applied->removed);
  reply(res, 201, {{"added", std::move(added)}, {"removed", applied->removed}, {"generation", generation}});
}

void BankRoutes::remove_content(const httplib::Request& req, httplib::Response& res) {
  if (!authorised(req, res, true) || !known_bank(req.matches[1], res)) return;
  const std::string reason = req.has_param("reason") ? req.get_param_value("reason") : "removed through vhm serve";
  auto r = bank_.remove(ContentRef::by_external_id(req.matches[2]), reason);
  if (!r) return reply_error(res, http_status_of(r.status()), r.status().message());
  spdlog::info("DELETE /v1/banks/{}/contents/{}: {}", options_.bank_name, std::string(req.matches[2]),
               r->already_removed ? "already removed" : "removed");
  reply(res, 200,
        {{"content_id", r->content.id},
         {"external_id", r->content.meta.external_id},
         {"removed_at", r->content.removed_at},
         {"already_removed", r->already_removed}});
}

}  // namespace vhm::serve
