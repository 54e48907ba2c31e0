// NCMEC's hash-sharing XML (v2), read with libxml2: a well-kept parser, not a hand one,
// for input that comes from outside.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "bank/exchange_detail.h"
#include "bank/exchange_formats.h"

namespace vhm {

using exchange_detail::keep_or_skip;

namespace {

namespace fs = std::filesystem;

constexpr const char* kNcmecNamespace = "https://hashsharing.ncmec.org/hashsharing/v2";
constexpr uintmax_t kMaxTmkFileBytes = 64ull << 20;

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

// The element's local name when it is in NCMEC's namespace (or in none: some files
// leave it off their children), else "".
std::string_view ncmec_name(const xmlNode* n) {
  if (n->type != XML_ELEMENT_NODE) return {};
  if (n->ns && n->ns->href && std::strcmp(reinterpret_cast<const char*>(n->ns->href), kNcmecNamespace) != 0) return {};
  return reinterpret_cast<const char*>(n->name);
}

const xmlNode* child(const xmlNode* n, std::string_view name) {
  for (const xmlNode* c = n->children; c; c = c->next)
    if (ncmec_name(c) == name) return c;
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  if (!n) return {};
  xmlChar* t = xmlNodeGetContent(n);
  std::string s = t ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  const size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Status at_line(const std::string& name, const xmlNode* n, const std::string& what) {
  return {StatusCode::kCorrupt, "line " + std::to_string(xmlGetLineNo(n)) + ": " + what, name};
}

// A TMK_PDQF fingerprint names a binary fetched separately: its last path component,
// looked up in tmk_dir (never a path of the file's choosing).
Result<std::vector<uint8_t>> read_tmk_reference(const std::string& reference, const std::string& tmk_dir) {
  const std::string base = reference.substr(reference.find_last_of('/') + 1);
  if (tmk_dir.empty())
    return Status(StatusCode::kCorrupt, "a TMK_PDQF fingerprint, and no directory of TMK files given");
  if (base.empty() || base == "." || base == "..")
    return Status(StatusCode::kCorrupt, "a TMK_PDQF reference with no file name");
  const fs::path path = fs::path(tmk_dir) / base;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return Status(StatusCode::kCorrupt, "the TMK_PDQF file '" + base + "' is not in " + tmk_dir);
  const uintmax_t size = fs::file_size(path, ec);
  if (ec || size > kMaxTmkFileBytes)
    return Status(StatusCode::kCorrupt, "the TMK_PDQF file '" + base + "' is too large");
  std::vector<uint8_t> bytes(size);
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    return Status(StatusCode::kCorrupt, "cannot read the TMK_PDQF file '" + base + "'");
  Status st = check_tmk_bytes(bytes);
  if (!st.is_ok()) return Status(StatusCode::kCorrupt, "the TMK_PDQF file '" + base + "': " + st.message());
  return bytes;
}

}  // namespace

Result<ExchangeList> parse_ncmec_xml(std::string_view text, const std::string& name, const std::string& tmk_dir) {
  return parse_ncmec_xml(
      text, name, [&tmk_dir](const std::string& reference) { return read_tmk_reference(reference, tmk_dir); },
      BadRecords::kFail);
}

Result<ExchangeList> parse_ncmec_xml(std::string_view text, const std::string& name, const TmkReferenceReader& read_tmk,
                                     BadRecords bad_records) {
  if (text.size() > static_cast<size_t>(INT32_MAX)) return Status(StatusCode::kCorrupt, "too large for XML", name);
  // No network, no entity substitution, no DTD: nothing outside the bytes is read,
  // and libxml2's own limits (no XML_PARSE_HUGE) bound depth and sizes.
  std::unique_ptr<xmlDoc, XmlDocFree> doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), name.c_str(),
                                                        nullptr,
                                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) {
    const xmlError* e = xmlGetLastError();
    return Status(
        StatusCode::kCorrupt,
        "not XML" + (e ? ": line " + std::to_string(e->line) + ": " + std::string(e->message ? e->message : "")
                       : std::string()),
        name);
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !root->ns || !root->ns->href ||
      std::strcmp(reinterpret_cast<const char*>(root->ns->href), kNcmecNamespace) != 0)
    return Status(StatusCode::kCorrupt, std::string("not NCMEC hash-sharing XML (namespace ") + kNcmecNamespace + ")",
                  name);
  ExchangeList list;
  // One entry's records, all or none: a malformed fingerprint leaves its whole entry out
  // under BadRecords::kSkip (half a video's fingerprints would be a different content).
  const auto one_entry = [&](const xmlNode* e, std::string_view tag, bool video) -> Status {
    const bool deleted = tag == (video ? "deletedVideo" : "deletedImage");
    const std::string id = text_of(child(e, "id"));
    if (id.empty()) return at_line(name, e, std::string(tag) + " without an <id>");
    const std::string external_id = "ncmec:" + id;
    if (deleted) {
      ExchangeRecord r;
      r.external_id = external_id;
      r.deleted = true;
      list.records.push_back(std::move(r));
      return Status::ok();
    }
    std::vector<std::string> labels;
    if (const std::string c = text_of(child(e, "classification")); !c.empty()) labels.push_back(c);
    const xmlNode* fps = child(e, "fingerprints");
    if (!fps) return Status::ok();
    std::vector<ExchangeRecord> records;
    for (const xmlNode* f = fps->children; f; f = f->next) {
      const std::string_view fp = ncmec_name(f);
      if (fp.empty()) continue;
      const std::string value = text_of(f);
      ExchangeRecord r;
      r.external_id = external_id;
      r.labels = labels;
      std::string lowered(fp);
      for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lowered == "pdq" && !video) {
        const auto h = Hash256::from_hex(value);
        if (!h) return at_line(name, f, "bad PDQ hash (expected 64 hex digits)");
        r.signal = ExchangeSignal::kPdq;
        r.pdq = *h;
      } else if (lowered == "md5" && video) {
        r.signal = ExchangeSignal::kVideoMd5;
        if (value.size() != 32 || value.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
          return at_line(name, f, "bad MD5 (expected 32 hex digits)");
        for (size_t i = 0; i < 16; ++i)
          r.bytes.push_back(static_cast<uint8_t>(std::stoi(value.substr(2 * i, 2), nullptr, 16)));
      } else if ((lowered == "tmk_pdqf" || lowered == "tmk-pdqf") && video) {
        // A large fingerprint is a link (href, as the fetch API gives it) or, in a file
        // saved from it, the name of the fetched binary.
        std::string reference = value;
        if (xmlChar* href = xmlGetProp(f, reinterpret_cast<const xmlChar*>("href"))) {
          reference = reinterpret_cast<const char*>(href);
          xmlFree(href);
        }
        auto bytes = read_tmk(reference);
        if (!bytes) {
          // A download that failed (the exchange down, the credentials refused) is the
          // page's failure, never a malformed record to skip.
          Status st = at_line(name, f, bytes.status().message());
          if (bytes.status().code() != StatusCode::kCorrupt) st = Status(bytes.status().code(), st.message(), name);
          return st;
        }
        r.signal = ExchangeSignal::kTmk;
        r.bytes = std::move(bytes).value();
      } else {
        ++list.unknown_skipped;
        ++list.unknown_by_type[std::string(fp)];
        list.notes.push_back("line " + std::to_string(xmlGetLineNo(f)) + ": unknown signal type '" +
                             std::string(video ? "video " : "image ") + std::string(fp) + "' skipped");
        continue;
      }
      records.push_back(std::move(r));
    }
    for (ExchangeRecord& r : records) list.records.push_back(std::move(r));
    return Status::ok();
  };
  for (const char* group : {"images", "videos"}) {
    const xmlNode* g = child(root, group);
    if (!g) continue;
    const bool video = std::strcmp(group, "videos") == 0;
    for (const xmlNode* e = g->children; e; e = e->next) {
      const std::string_view tag = ncmec_name(e);
      if (tag.empty()) continue;
      if (tag != (video ? "deletedVideo" : "deletedImage") && tag != (video ? "video" : "image"))
        continue;  // a newer element: not ours to judge
      VHM_RETURN_IF_ERROR(keep_or_skip(one_entry(e, tag, video), bad_records, list));
    }
  }
  if (const xmlNode* paging = child(root, "paging")) list.next_page_token = text_of(child(paging, "next"));
  list.has_more_records = !list.next_page_token.empty();
  return list;
}

}  // namespace vhm
