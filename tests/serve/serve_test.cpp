// vhm serve end to end: the built binary on a temporary bank of a corpus video, talked
// to over HTTP on a port it chose itself (--port 0, read from its start line).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "serve/serve_test_util.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBytes = "application/octet-stream";

struct Reply {
  int status = 0;  // 0: no answer at all
  json body;
};

Reply post(const serve::ServeProcess& server, const std::string& path, const std::string& body) {
  httplib::Client client(server.host(), server.port());
  client.set_read_timeout(std::chrono::seconds(120));
  auto res = client.Post(path, body, kBytes);
  if (!res) return {};
  return {res->status, json::parse(res->body, nullptr, false)};
}

Reply get(const serve::ServeProcess& server, const std::string& path) {
  httplib::Client client(server.host(), server.port());
  auto res = client.Get(path);
  if (!res) return {};
  return {res->status, json::parse(res->body, nullptr, false)};
}

// The external ids of the contents a /v1/match answer says matched.
// The contents that matched, each once (a bank's own file matches by its MD5 and its vPDQ).
std::vector<std::string> matched_ids(const json& answer) {
  std::vector<std::string> ids;
  if (!answer.contains("verdicts")) return ids;
  for (const json& v : answer["verdicts"]) {
    const std::string id = v["external_id"].get<std::string>();
    if (v["match"].get<bool>() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

// One frame hash the bank holds for its first content (from `vhm bank export`).
std::string a_bank_frame_hash(const std::string& bank) {
  const auto r = test::run_vhm("bank export " + bank);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string first;
  std::getline(lines, first);
  const json content = json::parse(first, nullptr, false);
  if (!content.is_object() || !content.contains("frames") || content["frames"].size() < 6) return {};
  return content["frames"][5]["pdq"].get<std::string>();
}

// Every test but the two that change the bank or stop the daemon shares one bank and
// one daemon (4 request threads, bodies up to 4 MiB).
class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::signal(SIGPIPE, SIG_IGN);  // a client writing to a socket the server closed
    auto corpus = test::corpus_dir();
    if (!corpus) return;
    videos_ = test::sample_videos(*corpus);
    bank_ = test::make_doorknob_bank(*corpus, "shared");
    if (!bank_.empty()) server_ = test::start_serve(bank_, {"--threads", "4", "--max-body-mb", "4"}).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (!bank_.empty()) fs::remove_all(bank_);
  }
  void SetUp() override {
    if (!test::corpus_dir()) {
      VHM_SKIP_WITHOUT_CORPUS();
    }
    ASSERT_NE(server_, nullptr) << "vhm serve did not start";
  }
  static std::string video(const std::string& name) { return test::read_text_file(videos_ + "/" + name); }

  static inline std::string videos_, bank_;
  static inline serve::ServeProcess* server_ = nullptr;
};

TEST_F(Serve, TheSameVideoMatchesItsContent) {
  const Reply r = post(*server_, "/v1/match?name=doorknob-hd-no-bar.mp4", video("doorknob-hd-no-bar.mp4"));
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_TRUE(r.body["match"].get<bool>()) << r.body.dump();
  EXPECT_EQ(matched_ids(r.body), std::vector<std::string>{"te:doorknob"});
  EXPECT_EQ(r.body["path"], "doorknob-hd-no-bar.mp4");
  EXPECT_EQ(r.body["type"], "video");
  EXPECT_GT(r.body["frames"].get<int>(), 0);
}

TEST_F(Serve, AnotherVideoDoesNotMatch) {
  const Reply r = post(*server_, "/v1/match", video("pattern-hd-no-bar.mp4"));
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_FALSE(r.body["match"].get<bool>()) << r.body.dump();
  EXPECT_TRUE(matched_ids(r.body).empty());
}

// The answer is the object `vhm match --format jsonl` prints for the same file, frame
// hashes included, except for the two timings.
TEST_F(Serve, AnswerIsWhatVhmMatchPrints) {
  const std::string path = videos_ + "/doorknob-hd-no-bar.mp4";
  const auto cli = test::run_vhm("match -q --with-hashes --bank " + bank_ + " " + path);
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json expected = json::parse(cli.out);
  const std::string target = httplib::append_query_params("/v1/match", {{"with_hashes", "1"}, {"name", path}});
  const Reply r = post(*server_, target, video("doorknob-hd-no-bar.mp4"));
  ASSERT_EQ(r.status, 200) << r.body.dump();
  json got = r.body;
  ASSERT_TRUE(got.contains("hashes"));
  EXPECT_FALSE(got["hashes"].empty());
  for (json* j : {&expected, &got}) {
    j->erase("hash_s");
    j->erase("lookup_s");
  }
  EXPECT_EQ(got, expected);
}

TEST_F(Serve, GarbageIs422AndTheDaemonStaysUp) {
  std::string garbage(4096, '\0');
  std::mt19937 rng(7);
  for (char& c : garbage) c = static_cast<char>(rng());
  const Reply bad = post(*server_, "/v1/match", garbage);
  EXPECT_EQ(bad.status, 422) << bad.body.dump();
  EXPECT_TRUE(bad.body.contains("error")) << bad.body.dump();
  const Reply bad_image = post(*server_, "/v1/match?kind=image", garbage);
  EXPECT_EQ(bad_image.status, 422) << bad_image.body.dump();

  const Reply next = post(*server_, "/v1/match", video("doorknob-hd-no-bar.mp4"));
  ASSERT_EQ(next.status, 200) << next.body.dump();
  EXPECT_EQ(matched_ids(next.body), std::vector<std::string>{"te:doorknob"});
}

// An upload that is a playlist made the daemon GET the URL it names (and read local
// files a fetched playlist listed); an ffconcat body hashed files in the daemon's
// directory. Uploads are decoded from their own bytes only: 422, and nothing fetched.
TEST_F(Serve, UploadsAreDecodedFromTheirOwnBytesOnly) {
  httplib::Server origin;  // what the playlist points at; it must never be asked
  std::atomic<int> fetched{0};
  origin.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++fetched;
    res.set_content("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:" + videos_ + "/doorknob-hd-no-bar.mp4\n",
                    "application/vnd.apple.mpegurl");
  });
  const int port = origin.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { origin.listen_after_bind(); });
  // httplib's stop() is lost if it comes before listen_after_bind() marks the server
  // running: wait for that first.
  while (!origin.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v.m3u8";
  for (const std::string& body : {"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n" + url + "\n",
                                  "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n" + url + "\n#EXT-X-ENDLIST\n",
                                  "ffconcat version 1.0\nfile '" + videos_ + "/doorknob-hd-no-bar.mp4'\n",
                                  std::string("ffconcat version 1.0\nfile \xff\xfe.mp4\n")}) {
    const Reply r = post(*server_, "/v1/match", body);
    EXPECT_EQ(r.status, 422) << body << " -> " << r.body.dump();
    EXPECT_FALSE(r.body.contains("verdicts")) << r.body.dump();
  }
  origin.stop();
  serving.join();
  EXPECT_EQ(fetched.load(), 0) << "the daemon fetched the URL an upload named";
  EXPECT_EQ(get(*server_, "/v1/health").status, 200);
}

TEST_F(Serve, EmptyBodyIs400TooLargeIs413UnknownRouteIs404) {
  const Reply empty = post(*server_, "/v1/match", "");
  EXPECT_EQ(empty.status, 400);
  EXPECT_TRUE(empty.body.contains("error")) << empty.body.dump();
  const Reply large = post(*server_, "/v1/match", std::string(size_t{5} << 20, 'x'));  // over --max-body-mb 4
  EXPECT_EQ(large.status, 413);
  EXPECT_TRUE(large.body.contains("error")) << large.body.dump();
  const Reply bad_kind = post(*server_, "/v1/match?kind=audio", "x");
  EXPECT_EQ(bad_kind.status, 400);
  const Reply nowhere = get(*server_, "/v2/nothing");
  EXPECT_EQ(nowhere.status, 404);
  EXPECT_TRUE(nowhere.body.contains("error")) << nowhere.body.dump();
  EXPECT_EQ(get(*server_, "/v1/health").status, 200);
}

TEST_F(Serve, LookupFindsABankFrameAtDistanceZero) {
  const std::string hex = a_bank_frame_hash(bank_);
  ASSERT_EQ(hex.size(), 64u);
  for (const std::string& body : {"# one hash\n" + hex + "\n", "[\"" + hex + "\"]"}) {
    const Reply r = post(*server_, "/v1/lookup", body);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    ASSERT_EQ(r.body["results"].size(), 1u);
    const json& result = r.body["results"][0];
    EXPECT_EQ(result["pdq"], hex);
    EXPECT_TRUE(result["match"].get<bool>());
    ASSERT_FALSE(result["hits"].empty());
    EXPECT_EQ(result["hits"][0]["distance"], 0);  // nearest first
    EXPECT_EQ(result["hits"][0]["external_id"], "te:doorknob");
  }
  const Reply bad = post(*server_, "/v1/lookup", hex + "\nnot-a-hash\n");
  EXPECT_EQ(bad.status, 400);
  ASSERT_EQ(bad.body["errors"].size(), 1u);
  EXPECT_EQ(bad.body["errors"][0]["line"], 2);
}

// Typed entries: the bank stored the doorknob file's MD5 with its frames (bank add's
// default), so its md5sum finds it; results come in the body's order.
TEST_F(Serve, LookupTakesTypedSignalsInOrder) {
  const std::string hex = a_bank_frame_hash(bank_);
  const auto md5 = test::run_command("md5sum " + videos_ + "/doorknob-hd-no-bar.mp4");
  ASSERT_EQ(md5.exit_code, 0);
  const std::string md5_hex = md5.out.substr(0, 32);
  const Reply r = post(*server_, "/v1/lookup",
                       "[\"video_md5 " + md5_hex + "\", \"pdq " + hex + "\", \"" + std::string(32, 'a') + "\"]");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["results"].size(), 3u);
  const json& by_md5 = r.body["results"][0];
  EXPECT_EQ(by_md5["line"], 1);
  EXPECT_EQ(by_md5["signal"], "video_md5");
  EXPECT_EQ(by_md5["value"], md5_hex);
  EXPECT_TRUE(by_md5["match"].get<bool>());
  ASSERT_EQ(by_md5["hits"].size(), 1u);
  EXPECT_EQ(by_md5["hits"][0]["external_id"], "te:doorknob");
  EXPECT_EQ(by_md5["hits"][0]["signal"], "video_md5");
  EXPECT_EQ(r.body["results"][1]["pdq"], hex);
  EXPECT_TRUE(r.body["results"][1]["match"].get<bool>());
  EXPECT_EQ(r.body["results"][2]["signal"], "video_md5");  // a bare 32-digit hex: an MD5
  EXPECT_FALSE(r.body["results"][2]["match"].get<bool>());
  const Reply bad = post(*server_, "/v1/lookup", "tmk not-base64!\n");
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
}

// An image is told from a video by its bytes, and hashed from memory to the same hash
// `vhm hash` gives its file.
TEST_F(Serve, ImageIsHashedFromMemoryAsFromItsFile) {
  const std::string photo = *test::corpus_dir() + "/threatexchange/pdq/data/reg-test-input/exif-rotn/exif-rotn-1.jpg";
  const auto cli = test::run_vhm("hash " + photo);
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const std::string expected = cli.out.substr(0, cli.out.find(','));
  const Reply r = post(*server_, "/v1/match?with_hashes=1", test::read_text_file(photo));
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["type"], "image");
  ASSERT_EQ(r.body["hashes"].size(), 1u);
  EXPECT_EQ(r.body["hashes"][0]["pdq"], expected);
}

TEST_F(Serve, ConcurrentRequestsGetTheSameAnswer) {
  const std::string bytes = video("doorknob-hd-no-bar.mp4");
  std::atomic<int> agreed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        const Reply r = post(*server_, "/v1/match", bytes);
        if (r.status == 200 && matched_ids(r.body) == std::vector<std::string>{"te:doorknob"}) ++agreed;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(agreed.load(), 12);
}

TEST_F(Serve, HealthAndStats) {
  const Reply health = get(*server_, "/v1/health");
  ASSERT_EQ(health.status, 200) << health.body.dump();
  EXPECT_TRUE(health.body["ok"].get<bool>());
  EXPECT_GE(health.body["generation"].get<int64_t>(), 1);
  EXPECT_EQ(health.body["index"]["spec"], "mih");
  EXPECT_GT(health.body["index"]["main_frames"].get<int64_t>() + health.body["index"]["delta_frames"].get<int64_t>(),
            0);
  // A request is counted once answered (httplib's logger runs after the response is
  // written), so the health request may reach the count just after its reply reached
  // us: the stats are asked until they show it, within a generous bound.
  Reply stats = get(*server_, "/v1/stats");
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       stats.status == 200 && stats.body["requests"]["health"].get<int64_t>() < 1 &&
       std::chrono::steady_clock::now() < until;)
    stats = get(*server_, "/v1/stats");
  ASSERT_EQ(stats.status, 200) << stats.body.dump();
  EXPECT_GE(stats.body["requests"]["health"].get<int64_t>(), 1);
  EXPECT_GE(stats.body["requests"]["total"].get<int64_t>(), 1);
  EXPECT_EQ(stats.body["in_flight"], 0);
  EXPECT_GE(stats.body["uptime_s"].get<double>(), 0.0);
  EXPECT_EQ(stats.body["bank"]["contents_live"], 1);
}

TEST_F(Serve, MetricsAreThePrometheusTextFormat) {
  const std::string hash = a_bank_frame_hash(bank_);
  ASSERT_FALSE(hash.empty());
  ASSERT_EQ(post(*server_, "/v1/lookup", hash).status, 200);
  EXPECT_EQ(get(*server_, "/no/such/route").status, 404);
  httplib::Client client(server_->host(), server_->port());
  // Requests are counted once answered: asked until both show, within a bound.
  std::string text, type;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       std::chrono::steady_clock::now() < until;) {
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    text = res->body;
    type = res->get_header_value("Content-Type");
    if (text.find("vhm_http_requests_total{route=\"other\",status=\"404\"}") != std::string::npos &&
        text.find("vhm_http_requests_total{route=\"/v1/lookup\",status=\"200\"}") != std::string::npos)
      break;
  }
  EXPECT_EQ(type, "text/plain; version=0.0.4; charset=utf-8");
  // Every sample line is `name{labels} value`, every family declared by # TYPE first.
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$)");
  std::set<std::string> declared;
  std::istringstream lines(text);
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) declared.insert(line.substr(7, line.find(' ', 7) - 7));
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << line;
    std::string family = m[1].str();
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!declared.count(family) && family.size() > std::strlen(suffix) &&
          family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        family.resize(family.size() - std::strlen(suffix));
    EXPECT_TRUE(declared.count(family)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 20);
  EXPECT_NE(text.find("vhm_http_request_duration_seconds_count{route=\"/v1/lookup\"}"), std::string::npos);
  EXPECT_NE(text.find("\nvhm_bank_contents_live 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nvhm_bank_signals_video_md5_contents 1\n"), std::string::npos) << text;
}

// Admission: with one slot and no queue, a request while an upload hashes is turned
// away at once with 429 and a Retry-After, and the daemon serves the next one.
TEST(ServeBusy, AFullQueueIs429WithRetryAfter) {
  VHM_REQUIRE_CORPUS(corpus);
  ::signal(SIGPIPE, SIG_IGN);
  const std::string bank = test::make_doorknob_bank(corpus, "busy");
  ASSERT_FALSE(bank.empty());
  auto daemon = test::start_serve(bank, {"--threads", "1", "--max-queue", "0", "--sample", "every-frame"});
  ASSERT_TRUE(daemon);
  const std::string video = test::read_text_file(test::sample_videos(corpus) + "/doorknob-hd-no-bar.mp4");
  int first = 0;
  std::thread upload([&] { first = post(*daemon, "/v1/match", video).status; });
  // The upload holds the one slot once /v1/stats says so (asked until it does).
  bool hashing = false;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !hashing && std::chrono::steady_clock::now() < until;)
    hashing = get(*daemon, "/v1/stats").body.value("hashing", 0) == 1;
  ASSERT_TRUE(hashing);
  httplib::Client client(daemon->host(), daemon->port());
  const std::string hash = a_bank_frame_hash(bank);
  auto busy = client.Post("/v1/lookup", hash, "text/plain");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 429) << busy->body;
  EXPECT_GE(std::atoi(busy->get_header_value("Retry-After").c_str()), 1);
  upload.join();
  EXPECT_EQ(first, 200);
  EXPECT_EQ(post(*daemon, "/v1/lookup", hash).status, 200);  // the slot is free again
  EXPECT_GE(get(*daemon, "/v1/stats").body["busy_refusals"].get<int64_t>(), 1);
  fs::remove_all(bank);
}

// --log-format json: every line the daemon writes is one JSON object, and a request's
// lines carry its id (the client's X-Request-Id, echoed on the reply).
TEST(ServeLogs, JsonLinesCarryTheRequestId) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string bank = test::make_doorknob_bank(corpus, "logs");
  ASSERT_FALSE(bank.empty());
  auto daemon = test::start_serve(bank, {"--log-format", "json"});
  ASSERT_TRUE(daemon);
  httplib::Client client(daemon->host(), daemon->port());
  auto bad = client.Post("/v1/lookup", httplib::Headers{{"X-Request-Id", "test-42"}}, "not a hash", "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->get_header_value("X-Request-Id"), "test-42");
  auto made = client.Get("/v1/health");
  ASSERT_TRUE(made);
  EXPECT_EQ(made->get_header_value("X-Request-Id").rfind("r-", 0), 0u);  // one of the daemon's
  ASSERT_TRUE(daemon->stop());
  std::istringstream lines(daemon->output());
  int objects = 0;
  bool tagged = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    ++objects;
    tagged = tagged || (j.value("request_id", "") == "test-42" && j["level"] == "warning");
  }
  EXPECT_GE(objects, 2);  // the start line, the 400, the stop
  EXPECT_TRUE(tagged) << daemon->output();
  EXPECT_EQ(test::run_vhm("serve --bank " + bank + " --log-format xml").exit_code, 2);
  fs::remove_all(bank);
}

// `vhm bank remove` and `vhm bank add` in other processes are seen by the very next request.
TEST(ServeLive, BankChangesAreSeenByTheNextRequest) {
  VHM_REQUIRE_CORPUS(corpus);
  ::signal(SIGPIPE, SIG_IGN);
  const std::string bank = test::make_doorknob_bank(corpus, "live");
  ASSERT_FALSE(bank.empty());
  auto server = test::start_serve(bank);
  ASSERT_NE(server, nullptr);
  const std::string bytes = test::read_text_file(test::sample_videos(corpus) + "/doorknob-hd-no-bar.mp4");
  const std::string hex = a_bank_frame_hash(bank);

  Reply r = post(*server, "/v1/match", bytes);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(matched_ids(r.body), std::vector<std::string>{"te:doorknob"});

  const auto removed = test::run_vhm("bank remove " + bank + " --external-id te:doorknob");
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  r = post(*server, "/v1/match", bytes);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_FALSE(r.body["match"].get<bool>()) << r.body.dump();
  EXPECT_TRUE(r.body["verdicts"].empty()) << r.body.dump();
  const Reply lookup = post(*server, "/v1/lookup", hex);
  ASSERT_EQ(lookup.status, 200) << lookup.body.dump();
  EXPECT_TRUE(lookup.body["results"][0]["hits"].empty()) << lookup.body.dump();

  const auto added = test::run_vhm("bank add " + bank + " " + test::sample_videos(corpus) +
                                   "/doorknob-hd-no-bar.mp4 --external-id te:doorknob-again");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  r = post(*server, "/v1/match", bytes);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(matched_ids(r.body), std::vector<std::string>{"te:doorknob-again"});

  auto code = server->stop();
  ASSERT_TRUE(code.is_ok()) << code.status().to_string();
  EXPECT_EQ(*code, 0) << server->output();
  fs::remove_all(bank);
}

// SIGTERM: the request in flight is answered, then the daemon exits 0.
// A request provably in flight when SIGTERM lands: its headers and half its body are
// sent, the daemon counts it in flight, the signal is sent, and only once the daemon
// says it is stopping does the rest of the body follow. The answer must still come,
// complete, and the daemon exit 0.
TEST(ServeStop, SigtermFinishesTheRequestInFlightAndExitsZero) {
  VHM_REQUIRE_CORPUS(corpus);
  ::signal(SIGPIPE, SIG_IGN);
  const std::string bank = test::make_doorknob_bank(corpus, "stop");
  ASSERT_FALSE(bank.empty());
  auto server = test::start_serve(bank, {"--read-timeout", "600"});
  ASSERT_NE(server, nullptr);
  const std::string bytes = test::read_text_file(test::sample_videos(corpus) + "/doorknob-hd-no-bar.mp4");
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto send_all = [fd](const std::string& data) {
    return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  };
  const size_t half = bytes.size() / 2;
  ASSERT_TRUE(send_all("POST /v1/match HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                       std::to_string(bytes.size()) + "\r\n\r\n" + bytes.substr(0, half)));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool in_flight = false;
  while (!in_flight && std::chrono::steady_clock::now() < until) {
    const Reply stats = get(*server, "/v1/stats");
    in_flight = stats.status == 200 && stats.body["in_flight"] == 1;
    if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(in_flight) << server->output();
  Result<int> code = Status(StatusCode::kInternal, "not stopped");
  std::thread stopper([&] { code = server->stop(); });
  bool stopping = false;
  while (!stopping && std::chrono::steady_clock::now() < until + std::chrono::seconds(30)) {
    stopping = server->output().find("answering 1 request(s) in flight first") != std::string::npos;
    if (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(stopping) << server->output();
  ASSERT_TRUE(send_all(bytes.substr(half)));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  stopper.join();
  ASSERT_TRUE(code.is_ok()) << code.status().to_string();
  EXPECT_EQ(*code, 0) << server->output();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200")) << response.substr(0, 200);
  const size_t body_at = response.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  const json answer = json::parse(response.substr(body_at + 4), nullptr, false);
  EXPECT_EQ(matched_ids(answer), std::vector<std::string>{"te:doorknob"}) << response.substr(body_at);
  EXPECT_NE(server->output().find("stopped after"), std::string::npos) << server->output();
  fs::remove_all(bank);
}

}  // namespace
}  // namespace vhm
