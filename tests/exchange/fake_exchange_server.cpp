// vhm_fake_exchange: a scripted HTTP server on loopback that plays an exchange's API
// for the vhm fetch tests (a real process, as the exchanges are to vhm).
//
// Usage: vhm_fake_exchange SCRIPT.json
// Prints "listening <port>" once bound (port 0: the kernel's choice), then one line per
// request it answers: "<METHOD> <path>?<query> <route index> <status>[ hang][ body=<body>]"
// (the body with line breaks as spaces): the test reads them as events. The script:
//   {"routes": [{"method": "GET", "path": "/v1/FetchHashes",
//                "query": {"nextPageToken": "p2"},  // these parameters, these values
//                "absent": ["nextPageToken"],       // these parameters not given
//                "headers": {"x-functions-key": "F"},  // else 401
//                "responses": [{"status": 429, "headers": {"Retry-After": "1"}},
//                              {"status": 200, "body": "...", "body_file": "p2.json",
//                               "hang": false}]}]}
// The first route that matches answers with its next response (the last one repeats);
// "hang" never answers (the test kills the process). No route: 404.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Route {
  nlohmann::json spec;
  size_t served = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vhm_fake_exchange SCRIPT.json\n");
    return 2;
  }
  const std::string script_path = argv[1];
  const std::string dir = script_path.substr(0, script_path.find_last_of('/') + 1);
  nlohmann::json script;
  try {
    script = nlohmann::json::parse(read_file(script_path));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vhm_fake_exchange: %s: %s\n", script_path.c_str(), e.what());
    return 2;
  }
  std::vector<Route> routes;
  for (const auto& r : script["routes"]) routes.push_back({r});
  std::mutex mu;  // guards routes and stdout
  httplib::Server server;
  const auto handle = [&](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(mu);
    std::string query;
    for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
    std::string body = req.body;
    for (char& c : body)
      if (c == '\n' || c == '\r') c = ' ';
    if (!body.empty()) body = " body=" + body;
    for (size_t i = 0; i < routes.size(); ++i) {
      const nlohmann::json& spec = routes[i].spec;
      if (spec.value("method", "GET") != req.method || spec.value("path", "") != req.path) continue;
      bool match = true;
      if (spec.contains("query"))
        for (const auto& [k, v] : spec["query"].items())
          match = match && req.has_param(k) && req.get_param_value(k) == v.get<std::string>();
      if (spec.contains("absent"))
        for (const auto& k : spec["absent"]) match = match && !req.has_param(k.get<std::string>());
      if (!match) continue;
      bool authorised = true;
      if (spec.contains("headers"))
        for (const auto& [k, v] : spec["headers"].items())
          authorised = authorised && req.get_header_value(k) == v.get<std::string>();
      if (!authorised) {
        res.status = 401;
        res.set_content("{\"error\": \"not authorised\"}", "application/json");
        std::printf("%s %s?%s %zu 401\n", req.method.c_str(), req.path.c_str(), query.c_str(), i);
        std::fflush(stdout);
        return;
      }
      const auto& responses = spec["responses"];
      const nlohmann::json& r = responses[std::min(routes[i].served, responses.size() - 1)];
      ++routes[i].served;
      const int status = r.value("status", 200);
      std::printf("%s %s?%s %zu %d%s%s\n", req.method.c_str(), req.path.c_str(), query.c_str(), i, status,
                  r.value("hang", false) ? " hang" : "", body.c_str());
      std::fflush(stdout);
      if (r.value("hang", false)) {
        lock.unlock();
        while (true) std::this_thread::sleep_for(std::chrono::seconds(1));  // until killed
      }
      res.status = status;
      if (r.contains("headers"))
        for (const auto& [k, v] : r["headers"].items()) res.set_header(k, v.get<std::string>());
      std::string content = r.value("body", "");
      if (r.contains("body_file")) {
        const std::string file = r["body_file"].get<std::string>();
        content = read_file(file.front() == '/' ? file : dir + file);
      }
      res.set_content(content, r.value("content_type", "application/json"));
      return;
    }
    res.status = 404;
    res.set_content("no route", "text/plain");
    std::printf("%s %s?%s - 404\n", req.method.c_str(), req.path.c_str(), query.c_str());
    std::fflush(stdout);
  };
  server.Get(".*", handle);
  server.Post(".*", handle);
  server.Put(".*", handle);
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::fprintf(stderr, "vhm_fake_exchange: cannot bind a loopback port\n");
    return 1;
  }
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  server.listen_after_bind();
  return 0;
}
