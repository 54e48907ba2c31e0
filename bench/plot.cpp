// Charts through gnuplot: numbers to NAME.dat, a script to NAME.gp, gnuplot draws NAME.svg.
#include "bench/plot.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "bench/bench.h"

namespace vhm::bench::plot {
namespace {

// A gnuplot single-quoted string: nothing is special inside but the quote, written twice.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c == '\n' || c == '\t') out += ' ';
    else out += c;
  }
  return out + "'";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::string data_text(const Chart& c) {
  std::ostringstream d;
  d << "# " << (c.kind == ChartKind::kBars ? "label" : "x");
  for (const auto& s : c.series) d << '\t' << s;
  d << '\n';
  for (size_t r = 0; r < c.values.size(); ++r) {
    if (c.kind == ChartKind::kBars) {
      std::string label = c.row_labels[r];
      for (char& ch : label)
        if (ch == '\t' || ch == '\n') ch = ' ';
      d << label;
    } else {
      d << number(c.xs[r]);
    }
    for (double v : c.values[r]) d << '\t' << number(v);
    d << '\n';
  }
  return d.str();
}

std::string script_text(const Chart& c, const std::string& dat, const std::string& svg) {
  std::ostringstream g;
  g << "# Drawn by vhm bench --plot; rerun with: gnuplot " << c.name << ".gp\n"
    << "set terminal svg size 1000,560 dynamic font 'sans,12' background rgb 'white'\n"
    << "set output " << quoted(svg) << "\n"
    << "set termoption noenhanced\n"
    << "set datafile separator '\\t'\n"
    << "set datafile missing 'NaN'\n"
    << "set title " << quoted(c.title) << "\n"
    << "set xlabel " << quoted(c.xlabel) << "\n"
    << "set ylabel " << quoted(c.ylabel) << "\n"
    << "set grid ytics lc rgb '#dddddd'\n"
    << "set key outside right top\n";
  if (c.log_x) g << "set logscale x 2\n";
  if (c.log_y) g << "set logscale y\n";
  if (c.y_min || c.y_max)
    g << "set yrange [" << (c.y_min ? number(*c.y_min) : "*") << ":" << (c.y_max ? number(*c.y_max) : "*") << "]\n";
  if (c.x_min || c.x_max)
    g << "set xrange [" << (c.x_min ? number(*c.x_min) : "*") << ":" << (c.x_max ? number(*c.x_max) : "*") << "]\n";
  for (const auto& [x, label] : c.x_markers) {
    g << "set arrow from " << number(x) << ", graph 0 to " << number(x) << ", graph 1 nohead dt 2 lc rgb '#555555'\n"
      << "set label " << quoted(label) << " at " << number(x) << ", graph 0.96 left offset 0.5,0 tc rgb '#555555'\n";
  }
  if (c.kind == ChartKind::kBars) {
    g << "set style data histograms\n"
      << "set style histogram clustered gap 1\n"
      << "set style fill solid 0.85 border -1\n"
      << "set boxwidth 0.9\n"
      << "set xtics rotate by -40 scale 0\n";
  }
  g << "plot ";
  for (size_t s = 0; s < c.series.size(); ++s) {
    if (s) g << ", \\\n     ";
    g << (s == 0 ? quoted(dat) : std::string("''"));
    const size_t col = s + 2;
    switch (c.kind) {
      case ChartKind::kBars:
        g << " using " << col << (s == 0 ? ":xtic(1)" : "");
        break;
      case ChartKind::kLines:
        g << " using 1:" << col << " with linespoints lw 2 pt 7";
        break;
      case ChartKind::kSteps:
        g << " using 1:" << col << " with steps lw 2";
        break;
    }
    g << " title " << quoted(c.series[s]);
  }
  g << "\n";
  return g.str();
}

Status write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return {StatusCode::kIoError, "cannot write", path.string()};
  return Status::ok();
}

}  // namespace

bool gnuplot_available() { return video::program_exists("gnuplot"); }

Status render(const std::string& dir, const Chart& chart) {
  if (!valid_name(chart.name)) return {StatusCode::kInvalidArgument, "bad chart name '" + chart.name + "'"};
  const size_t rows = chart.values.size();
  if ((chart.kind == ChartKind::kBars ? chart.row_labels.size() : chart.xs.size()) != rows)
    return {StatusCode::kInternal, "row labels / x values do not match the rows", chart.name};
  for (const auto& row : chart.values)
    if (row.size() != chart.series.size())
      return {StatusCode::kInternal, "a row's width differs from the series", chart.name};
  if (chart.series.empty() || rows == 0) return {StatusCode::kInvalidArgument, "nothing to plot", chart.name};
  if (!gnuplot_available())
    return {StatusCode::kUnavailable, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)", chart.name};

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return {StatusCode::kIoError, "cannot create the plot directory: " + ec.message(), dir};
  const auto base = std::filesystem::absolute(dir, ec) / chart.name;
  const std::string dat = base.string() + ".dat", gp = base.string() + ".gp", svg = base.string() + ".svg";
  VHM_RETURN_IF_ERROR(write_file(dat, data_text(chart)));
  VHM_RETURN_IF_ERROR(write_file(gp, script_text(chart, dat, svg)));
  const auto p = video::run_process({"gnuplot", gp});
  if (!p.started) return {StatusCode::kUnavailable, "could not run gnuplot", chart.name};
  if (p.exit_code != 0)
    return {StatusCode::kInternal, "gnuplot failed (exit " + std::to_string(p.exit_code) + "): " + p.err, gp};
  if (!std::filesystem::exists(svg, ec)) return {StatusCode::kIoError, "gnuplot wrote no picture", svg};
  return Status::ok();
}

Result<std::vector<std::string>> render_all(const std::string& dir, const std::vector<Chart>& charts) {
  std::vector<std::string> written;
  for (const Chart& c : charts) {
    VHM_RETURN_IF_ERROR(render(dir, c));
    written.push_back((std::filesystem::path(dir) / (c.name + ".svg")).string());
  }
  return written;
}

void choose_y_axis(Chart& chart) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& row : chart.values)
    for (double v : row)
      if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  chart.log_y = hi > 30 * lo;
  if (!chart.log_y && chart.kind == ChartKind::kBars) chart.y_min = 0.0;
}

bool render_and_report(const std::string& workload, const std::string& dir, const std::vector<Chart>& charts) {
  const auto written = render_all(dir, charts);
  if (!written) {
    std::fprintf(stderr, "vhm bench %s: --plot: %s\n", workload.c_str(), written.status().to_string().c_str());
    return false;
  }
  std::string list;
  for (const auto& path : *written) list += " " + path;
  std::fprintf(stderr, "plots:%s\n", list.c_str());
  return true;
}

}  // namespace vhm::bench::plot
