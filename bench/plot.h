// `vhm bench ... --plot DIR`: pictures of the figures, drawn by gnuplot (Debian's
// gnuplot-nox), never by hand. Each chart leaves three files in DIR: NAME.dat (the
// numbers, whitespace-separated with a header), NAME.gp (the gnuplot script, to restyle
// and rerun by hand) and NAME.svg (the picture).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace vhm::bench::plot {

enum class ChartKind {
  kBars,   // clustered bars: one cluster per row (the first column is its label), one bar per series
  kLines,  // lines with points: the first column is x (a number), one line per series
  kSteps,  // step lines (histograms): the first column is x, one line per series
};

struct Chart {
  std::string name;  // file stem in DIR: letters, digits, '-' and '_'
  std::string title, xlabel, ylabel;
  ChartKind kind = ChartKind::kBars;
  std::vector<std::string> series;          // column titles after the first
  std::vector<std::string> row_labels;      // kBars: the cluster labels
  std::vector<double> xs;                   // kLines / kSteps: the x values
  std::vector<std::vector<double>> values;  // values[row][series]; NaN = no value
  bool log_x = false, log_y = false;
  std::optional<double> y_min, y_max;
  std::optional<double> x_min, x_max;
  std::vector<std::pair<double, std::string>> x_markers;  // vertical lines, e.g. {31, "match threshold"}
};

// True when a gnuplot program is on PATH.
bool gnuplot_available();

// Writes DIR/NAME.{dat,gp} and runs gnuplot to draw DIR/NAME.svg (DIR is created).
// The error names the chart and what failed (no gnuplot, a write, gnuplot's stderr).
Status render(const std::string& dir, const Chart& chart);

// Renders every chart; returns the SVG paths written, or the first error.
Result<std::vector<std::string>> render_all(const std::string& dir, const std::vector<Chart>& charts);

// Figures that span orders of magnitude (a scan vs MIH, key frames vs every frame) get
// a log y axis once the positive values span more than 30x, or the small ones lie flat
// on zero; otherwise bars start at zero, or their lengths mislead.
void choose_y_axis(Chart& chart);

// Renders the charts, then says so in one line on stderr (stdout may be JSON):
// "plots: PATH..." or "vhm bench WORKLOAD: --plot: REASON". False when it failed.
bool render_and_report(const std::string& workload, const std::string& dir, const std::vector<Chart>& charts);

}  // namespace vhm::bench::plot
