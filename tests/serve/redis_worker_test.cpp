// vhm serve --redis end to end: the built binary's Redis Streams workers against a real
// redis-server (a child on a free port) and a temporary bank of a corpus video. Jobs
// are added and results read with hiredis, as a producer would. Skipped when
// redis-server is not installed (scripts/install-deps.sh installs it).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "serve/redis_server_process.h"
#include "serve/serve_test_util.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using serve::RedisConnection;
using std::chrono::milliseconds;

// Polls `done` every 10 ms for up to 20 s.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

struct Published {
  std::string job;
  json result;
};

class RedisWorker : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string binary = test::find_redis_server();
    if (binary.empty()) return;
    redis_ = test::RedisServerProcess::start(binary).release();
    auto corpus = test::corpus_dir();
    if (!corpus) return;
    videos_ = test::sample_videos(*corpus);
    bank_ = test::make_doorknob_bank(*corpus, "redis");
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
    if (!bank_.empty()) fs::remove_all(bank_);
  }

  void SetUp() override {
    if (test::find_redis_server().empty())
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server, or scripts/install-deps.sh)";
    VHM_REQUIRE_CORPUS(corpus);
    ASSERT_NE(redis_, nullptr) << "redis-server did not start";
    ASSERT_FALSE(bank_.empty()) << "the test bank could not be made";
    auto c = redis_->connect();
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    conn_ = std::move(c).value();
    // Each test its own stream, group and results: they cannot see each other's jobs.
    const std::string tag = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    stream_ = tag + ":jobs";
    results_ = tag + ":results";
    prefix_ = tag + ":result:";
  }

  // The group exists before any job is added: the daemon creates it at the stream's
  // end ($), which would skip jobs added before it first connects.
  void create_group() { ASSERT_TRUE(cmd({"XGROUP", "CREATE", stream_, "vhm", "0", "MKSTREAM"})); }

  // Path jobs read the corpus videos: allowed there (they are off by default).
  std::unique_ptr<serve::ServeProcess> start_daemon(std::vector<std::string> extra = {},
                                                    const std::string& allow_paths = videos_) {
    std::vector<std::string> args{"--redis", redis_->url(),     "--stream", stream_,      "--results",
                                  results_,  "--result-prefix", prefix_,    "--consumer", "live"};
    if (!allow_paths.empty()) {
      args.push_back("--allow-paths");
      args.push_back(allow_paths);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return test::start_serve(bank_, args);
  }

  Result<serve::RedisReply> cmd(const std::vector<std::string_view>& args) { return conn_->command(args); }

  std::string xadd(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::vector<std::string_view> args{"XADD", stream_, "*"};
    for (const auto& [k, v] : fields) {
      args.push_back(k);
      args.push_back(v);
    }
    auto r = cmd(args);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r ? serve::reply_string(r->get()) : std::string();
  }

  std::vector<Published> results() {
    std::vector<Published> out;
    auto r = cmd({"XRANGE", results_, "-", "+"});
    if (!r) return out;
    for (size_t i = 0; i < (*r)->elements; ++i) {
      const redisReply* fields = (*r)->element[i]->element[1];
      Published p;
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        const std::string k = serve::reply_string(fields->element[f]);
        const std::string v = serve::reply_string(fields->element[f + 1]);
        if (k == "job") p.job = v;
        if (k == "result") p.result = json::parse(v, nullptr, false);
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  int64_t pending() {
    auto r = cmd({"XPENDING", stream_, "vhm"});
    return r && (*r)->elements > 0 ? (*r)->element[0]->integer : -1;
  }

  std::string result_key(const std::string& job) {
    auto r = cmd({"GET", prefix_ + job});
    return r ? serve::reply_string(r->get()) : std::string();
  }

  static json redis_stats(const serve::ServeProcess& daemon) {
    httplib::Client client(daemon.host(), daemon.port());
    auto res = client.Get("/v1/stats");
    if (!res) return {};
    const json stats = json::parse(res->body, nullptr, false);
    return stats.is_object() && stats.contains("redis") ? stats["redis"] : json{};
  }

  static std::string video_path(const std::string& name) { return videos_ + "/" + name; }

  static bool matched(const json& result, const std::string& external_id) {
    if (!result.is_object() || !result.value("match", false)) return false;
    for (const json& v : result["verdicts"])
      if (v["match"].get<bool>() && v["external_id"] == external_id) return true;
    return false;
  }

  static inline test::RedisServerProcess* redis_ = nullptr;
  static inline std::string videos_, bank_;
  std::unique_ptr<RedisConnection> conn_;
  std::string stream_, results_, prefix_;
};

TEST(RedisUrl, ParsesHostPortAndDatabase) {
  auto a = serve::parse_redis_url("redis://queue.local:6390/3");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->host, "queue.local");
  EXPECT_EQ(a->port, 6390);
  EXPECT_EQ(a->db, 3);
  auto d = serve::parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
  EXPECT_FALSE(serve::parse_redis_url("http://127.0.0.1:6379").is_ok());
  EXPECT_FALSE(serve::parse_redis_url("redis://:6379").is_ok());
  EXPECT_FALSE(serve::parse_redis_url("redis://h:99999").is_ok());
  EXPECT_FALSE(serve::parse_redis_url("redis://h:6379/x").is_ok());
}

// (1) A path job of the bank's video matches its content; a media job (bytes in the
// entry) of another video does not. Both are acknowledged.
TEST_F(RedisWorker, PathAndMediaJobsArePublishedAndAcked) {
  create_group();
  auto daemon = start_daemon();
  ASSERT_NE(daemon, nullptr);
  xadd({{"job", "door"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  xadd({{"job", "pattern"},
        {"media", test::read_text_file(video_path("pattern-hd-no-bar.mp4"))},
        {"name", "pattern.mp4"},
        {"kind", "video"}});
  ASSERT_TRUE(eventually([&] { return results().size() == 2 && pending() == 0; })) << daemon->output();
  for (const Published& p : results()) {
    if (p.job == "door") {
      EXPECT_TRUE(matched(p.result, "te:doorknob")) << p.result.dump();
      EXPECT_EQ(p.result["type"], "video");
    } else {
      EXPECT_EQ(p.job, "pattern");
      EXPECT_FALSE(p.result.value("match", true)) << p.result.dump();
      EXPECT_EQ(p.result["path"], "pattern.mp4");
      EXPECT_GT(p.result["frames"].get<int>(), 0);
    }
    EXPECT_EQ(json::parse(result_key(p.job), nullptr, false), p.result);
  }
  const json stats = redis_stats(*daemon);
  EXPECT_EQ(stats["jobs_done"], 2) << stats.dump();
  EXPECT_EQ(stats["jobs_failed"], 0) << stats.dump();
  auto stopped = daemon->stop();
  ASSERT_TRUE(stopped.is_ok()) << stopped.status().to_string();
  EXPECT_EQ(*stopped, 0) << daemon->output();
}

// (2) Garbage bytes fail alone: an error result, acknowledged; the next job still runs.
// A job without a path or media is refused the same way.
TEST_F(RedisWorker, BadJobsGetAnErrorResultAndTheNextJobRuns) {
  create_group();
  auto daemon = start_daemon();
  ASSERT_NE(daemon, nullptr);
  xadd({{"job", "garbage"}, {"media", std::string(4096, '\x5a')}});
  xadd({{"job", "empty"}, {"name", "nothing"}});
  xadd({{"job", "after"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  ASSERT_TRUE(eventually([&] { return results().size() == 3 && pending() == 0; })) << daemon->output();
  const auto published = results();
  EXPECT_EQ(published[0].job, "garbage");
  EXPECT_EQ(published[0].result["job"], "garbage");
  EXPECT_TRUE(published[0].result.contains("error")) << published[0].result.dump();
  EXPECT_EQ(published[1].job, "empty");
  EXPECT_TRUE(published[1].result.contains("error")) << published[1].result.dump();
  EXPECT_EQ(published[2].job, "after");
  EXPECT_TRUE(matched(published[2].result, "te:doorknob")) << published[2].result.dump();
  const json stats = redis_stats(*daemon);
  EXPECT_EQ(stats["jobs_done"], 3) << stats.dump();
  EXPECT_EQ(stats["jobs_failed"], 2) << stats.dump();
}

// (3) An entry a dead consumer read and never acknowledged is taken over once idle
// longer than --claim-idle-ms, and its result published once.
TEST_F(RedisWorker, ReclaimsTheEntriesOfADeadConsumer) {
  create_group();
  xadd({{"job", "orphan"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  auto read = cmd({"XREADGROUP", "GROUP", "vhm", "dead", "COUNT", "1", "STREAMS", stream_, ">"});
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_EQ(pending(), 1);
  // Reclaimed once it has been idle 100 ms (the daemon looks every 50 ms).
  auto daemon = start_daemon({"--claim-idle-ms", "100"});
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(eventually([&] { return results().size() == 1 && pending() == 0; })) << daemon->output();
  EXPECT_EQ(results()[0].job, "orphan");
  EXPECT_TRUE(matched(results()[0].result, "te:doorknob"));
  EXPECT_EQ(redis_stats(*daemon)["jobs_reclaimed"], 1);
  // Acknowledged (nothing left pending to reclaim again), published once.
  EXPECT_EQ(results().size(), 1u);
  EXPECT_EQ(redis_stats(*daemon)["jobs_duplicate"], 0);
}

// (4) The same job id twice (a producer's retry, or a re-delivery after a crash before
// XACK): one result entry, and the result key keeps the first result.
TEST_F(RedisWorker, AJobIdIsPublishedOnce) {
  create_group();
  auto daemon = start_daemon();
  ASSERT_NE(daemon, nullptr);
  xadd({{"job", "twice"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  ASSERT_TRUE(eventually([&] { return results().size() == 1 && pending() == 0; })) << daemon->output();
  const std::string first = result_key("twice");
  ASSERT_FALSE(first.empty());
  // Another video under the same id: it must not replace the stored result.
  xadd({{"job", "twice"}, {"path", video_path("pattern-hd-no-bar.mp4")}});
  ASSERT_TRUE(eventually([&] { return redis_stats(*daemon).value("jobs_duplicate", 0) == 1 && pending() == 0; }))
      << daemon->output();
  EXPECT_EQ(results().size(), 1u);
  EXPECT_EQ(result_key("twice"), first);
}

// (5) SIGTERM while a job is provably in hand: the job's video comes from a local
// HTTP origin that holds its answer until the signal has been sent and the daemon says
// it is stopping. The job is still finished (published and acked), then exit 0.
TEST_F(RedisWorker, SigtermFinishesTheJobInHandAndExitsZero) {
  create_group();
  httplib::Server origin;
  std::mutex m;
  std::condition_variable cv;
  bool asked = false, released = false;
  const std::string video = test::read_text_file(video_path("doorknob-hd-no-bar.mp4"));
  origin.Get("/v.mp4", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(m);
    asked = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
    res.set_content(video, "video/mp4");
  });
  const int port = origin.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { origin.listen_after_bind(); });
  while (!origin.is_running()) std::this_thread::sleep_for(milliseconds(1));
  auto daemon = start_daemon({"--allow-protocols", "http"}, "");
  ASSERT_NE(daemon, nullptr);
  xadd({{"job", "last"}, {"path", "http://127.0.0.1:" + std::to_string(port) + "/v.mp4"}, {"kind", "video"}});
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return asked; })) << daemon->output();
  }
  EXPECT_TRUE(results().empty());
  Result<int> stopped = Status(StatusCode::kInternal, "not stopped");
  std::thread stopper([&] { stopped = daemon->stop(); });
  EXPECT_TRUE(eventually([&] { return daemon->output().find("stopping") != std::string::npos; })) << daemon->output();
  {
    std::lock_guard lock(m);
    released = true;
  }
  cv.notify_all();
  stopper.join();
  origin.stop();
  serving.join();
  ASSERT_TRUE(stopped.is_ok()) << stopped.status().to_string();
  EXPECT_EQ(*stopped, 0) << daemon->output();
  ASSERT_EQ(results().size(), 1u) << daemon->output();
  EXPECT_TRUE(matched(results()[0].result, "te:doorknob")) << results()[0].result.dump();
  EXPECT_EQ(pending(), 0);
}

// --no-http: workers only. A job queued before the start is done, and SIGTERM (from
// timeout(1) after 3 s) ends the daemon with 0. --foreground: without it timeout(1)
// signals the child and then its whole process group, so the daemon would see a
// second SIGTERM, which means "exit now" (code 3).
TEST_F(RedisWorker, NoHttpRunsWorkersOnly) {
  create_group();
  xadd({{"job", "solo"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  const auto r =
      test::run_command("timeout --foreground --preserve-status -s TERM 3 " + std::string(VHM_BINARY) +
                        " serve --no-http --bank " + bank_ + " --redis " + redis_->url() + " --stream " + stream_ +
                        " --results " + results_ + " --result-prefix " + prefix_ + " --allow-paths " + videos_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(results().size(), 1u) << r.err;
  EXPECT_TRUE(matched(results()[0].result, "te:doorknob"));
  EXPECT_EQ(pending(), 0);
  EXPECT_NE(r.err.find("redis workers stopped after 1 job(s)"), std::string::npos) << r.err;
}

// A path job reads the daemon's disk: refused unless --allow-paths says where (and
// --allow-protocols for URLs); refused outside those directories too. Each refusal is
// the job's error result; the daemon goes on.
TEST_F(RedisWorker, PathJobsAreRefusedUnlessAllowed) {
  create_group();
  auto daemon = start_daemon({}, "");
  ASSERT_NE(daemon, nullptr);
  xadd({{"job", "local"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  xadd({{"job", "url"}, {"path", "http://127.0.0.1:9/v.mp4"}});
  xadd({{"job", "bytes"}, {"media", test::read_text_file(video_path("doorknob-hd-no-bar.mp4"))}});
  ASSERT_TRUE(eventually([&] { return results().size() == 3 && pending() == 0; })) << daemon->output();
  for (const Published& p : results()) {
    if (p.job == "bytes") {
      EXPECT_TRUE(matched(p.result, "te:doorknob")) << p.result.dump();
      continue;
    }
    ASSERT_TRUE(p.result.contains("error")) << p.result.dump();
    EXPECT_EQ(p.result["code"], "permission denied") << p.result.dump();
    EXPECT_NE(p.result["error"].get<std::string>().find("--allow-paths"), std::string::npos) << p.result.dump();
  }
  daemon.reset();
  // Allowed elsewhere: still refused.
  auto rooted = start_daemon({}, fs::temp_directory_path().string());
  ASSERT_NE(rooted, nullptr);
  xadd({{"job", "outside"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  ASSERT_TRUE(eventually([&] { return results().size() == 4 && pending() == 0; })) << rooted->output();
  EXPECT_EQ(results().back().result["code"], "permission denied") << results().back().result.dump();
}

// The jobs that ended the daemon (signal 6) and again after every restart: each now
// fails alone with an error result, is acknowledged, and the next job and HTTP go on.
TEST_F(RedisWorker, HostileJobsFailAloneAndTheDaemonStaysUp) {
  create_group();
  auto daemon = start_daemon({}, "/");  // every path allowed: the reads themselves must hold
  ASSERT_NE(daemon, nullptr);
  // A FIFO took every worker in turn (each blocked opening it) and held up SIGTERM.
  const std::string fifo = (fs::temp_directory_path() / ("vhm_redis_fifo_" + std::to_string(::getpid()))).string();
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> jobs = {
      {"ffconcat", {{"media", "ffconcat version 1.0\nfile \xff\xfe.mp4\n"}}},
      {"hls", {{"media", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://127.0.0.1:9/v.m3u8\n"}}},
      {"bad-name", {{"media", std::string(64, 'x')}, {"name", "\xff\xfe.mp4"}}},
      {"bad-kind", {{"media", std::string(64, 'x')}, {"kind", "\xff"}}},
      {"dir", {{"path", "/tmp"}, {"kind", "image"}}},
      {"mem", {{"path", "/proc/self/mem"}, {"kind", "image"}}},
      {"zero", {{"path", "/dev/zero"}, {"kind", "image"}}},
      {"fifo", {{"path", fifo}}},
      {"fifo-image", {{"path", fifo}, {"kind", "image"}}},
      {"\xff-job", {{"media", std::string(64, 'x')}}},
  };
  for (const auto& [job, fields] : jobs) {
    auto all = fields;
    all.insert(all.begin(), {"job", job});
    xadd(all);
  }
  xadd({{"job", "after"}, {"media", test::read_text_file(video_path("doorknob-hd-no-bar.mp4"))}});
  ASSERT_TRUE(eventually([&] { return results().size() == jobs.size() + 1 && pending() == 0; })) << daemon->output();
  for (const Published& p : results()) {
    if (p.job == "after") {
      EXPECT_TRUE(matched(p.result, "te:doorknob")) << p.result.dump();
      continue;
    }
    ASSERT_TRUE(p.result.is_object()) << p.job;
    EXPECT_TRUE(p.result.contains("error")) << p.job << ": " << p.result.dump();
  }
  const json stats = redis_stats(*daemon);
  EXPECT_EQ(stats["jobs_failed"], static_cast<int>(jobs.size())) << stats.dump();
  auto stopped = daemon->stop();
  ASSERT_TRUE(stopped.is_ok()) << stopped.status().to_string();
  EXPECT_EQ(*stopped, 0) << daemon->output();
  fs::remove(fifo);
}

// A job that ended the workers that took it (here: delivered 5 times already, as if
// 5 daemons had died on it) is not tried again: an error result, its fields in the
// dead-letter stream, acknowledged.
TEST_F(RedisWorker, AJobThatKilledItsWorkersGoesToTheDeadLetterStream) {
  create_group();
  const std::string id = xadd({{"job", "killer"}, {"path", video_path("doorknob-hd-no-bar.mp4")}});
  ASSERT_TRUE(cmd({"XREADGROUP", "GROUP", "vhm", "dead", "COUNT", "1", "STREAMS", stream_, ">"}).is_ok());
  ASSERT_TRUE(cmd({"XCLAIM", stream_, "vhm", "dead", "0", id, "RETRYCOUNT", "5"}).is_ok());
  const std::string dead = stream_ + ":dead";
  auto daemon = start_daemon({"--claim-idle-ms", "1", "--dead-letter", dead});
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(eventually([&] { return results().size() == 1 && pending() == 0; })) << daemon->output();
  const Published p = results()[0];
  EXPECT_EQ(p.job, "killer");
  ASSERT_TRUE(p.result.contains("error")) << p.result.dump();
  EXPECT_NE(p.result["error"].get<std::string>().find(dead), std::string::npos) << p.result.dump();
  auto moved = cmd({"XRANGE", dead, "-", "+"});
  ASSERT_TRUE(moved.is_ok());
  ASSERT_EQ((*moved)->elements, 1u);
  std::map<std::string, std::string> fields;
  const redisReply* f = (*moved)->element[0]->element[1];
  for (size_t i = 0; i + 1 < f->elements; i += 2)
    fields[serve::reply_string(f->element[i])] = serve::reply_string(f->element[i + 1]);
  EXPECT_EQ(fields["job"], "killer");
  EXPECT_EQ(fields["entry"], id);
  EXPECT_EQ(fields["deliveries"], "6");
  EXPECT_EQ(fields["path"], video_path("doorknob-hd-no-bar.mp4"));
  EXPECT_EQ(redis_stats(*daemon)["jobs_dead_lettered"], 1);
}

// A content whose label is not UTF-8 (bytes from an exchange): matching it gives a
// result with the bytes replaced, not a dead daemon.
TEST_F(RedisWorker, AMatchOnANonUtf8LabelIsPublished) {
  create_group();
  const std::string bank = bank_ + "-latin1";
  fs::remove_all(bank);
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  const auto added =
      test::run_command(std::string(VHM_BINARY) + " bank add " + bank + " " + video_path("doorknob-hd-no-bar.mp4") +
                        " --external-id \"$(printf 'te:\\351')\" --label \"$(printf 'caf\\351')\"");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  auto daemon = test::start_serve(
      bank, {"--redis", redis_->url(), "--stream", stream_, "--results", results_, "--result-prefix", prefix_});
  ASSERT_NE(daemon, nullptr);
  xadd({{"job", "latin1"}, {"media", test::read_text_file(video_path("doorknob-hd-no-bar.mp4"))}});
  ASSERT_TRUE(eventually([&] { return results().size() == 1 && pending() == 0; })) << daemon->output();
  EXPECT_TRUE(matched(results()[0].result, "te:\xEF\xBF\xBD")) << results()[0].result.dump();
  httplib::Client http(daemon->host(), daemon->port());
  auto res = http.Post("/v1/match?name=%ff", test::read_text_file(video_path("doorknob-hd-no-bar.mp4")),
                       "application/octet-stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  daemon.reset();
  fs::remove_all(bank);
}

// Redis down: the daemon starts anyway, keeps answering HTTP, counts the outage once,
// and stops with 0.
TEST_F(RedisWorker, SurvivesRedisBeingUnreachable) {
  const test::RefusingPort nobody;
  auto daemon = test::start_serve(bank_, {"--redis", "redis://127.0.0.1:" + std::to_string(nobody.port())});
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(eventually([&] { return redis_stats(*daemon).value("connection_losses", 0) >= 1; })) << daemon->output();
  // Several failed reconnects later, still one outage.
  ASSERT_TRUE(eventually([&] { return redis_stats(*daemon).value("connect_failures", 0) >= 3; })) << daemon->output();
  EXPECT_EQ(redis_stats(*daemon)["connection_losses"], 1);
  auto stopped = daemon->stop();
  ASSERT_TRUE(stopped.is_ok());
  EXPECT_EQ(*stopped, 0) << daemon->output();
}

}  // namespace
}  // namespace vhm
