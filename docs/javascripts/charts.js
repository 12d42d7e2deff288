/* Charts are drawn when they come into view, and follow the page.
 *
 * A chart fragment (render/shared/charts.py) is a placeholder of the chart's height and its figure as
 * JSON in <script type="application/json" data-nnkb-chart="div id">; this script, deferred and
 * on chart pages only (docs/overrides/main.html), loads plotly.js when the first chart comes
 * within a screen of the viewport and draws each chart then, so the page's text and tables
 * never wait for chart code.
 *
 * Charts follow the page: the palette (mkdocs-material sets data-md-color-scheme on <body>,
 * "slate" for dark) and the width (below 600 px the legend moves under the plot, where it
 * cannot overlap the title or the toolbar). render/shared/charts.py draws every figure for the light
 * palette with the legend above; this re-lays out each figure when the palette or the width
 * changes, and keeps each figure's own layout to go back to. */
(function () {
  "use strict";

  var LIGHT = {
    paper: "white", plot: "white", font: "#444444",
    grid: "#e5e5e5", line: "#bbbbbb", zero: "#cccccc", ink: "#000000"
  };
  // The slate palette's background (hsl(232, 15%, 14%)) and text, and gridlines in between.
  var DARK = {
    paper: "#1e2029", plot: "#1e2029", font: "#d5d7e2",
    grid: "#363a4a", line: "#5c6174", zero: "#4a4e5e", ink: "#e6e6e6"
  };
  var NARROW = 600;

  function dark() {
    return document.body.getAttribute("data-md-color-scheme") === "slate";
  }

  function copy(value) {
    return value === undefined ? {} : JSON.parse(JSON.stringify(value));
  }

  function axisKeys(gd) {
    return Object.keys(gd.layout).filter(function (key) { return /^[xy]axis\d*$/.test(key); });
  }

  function update(gd) {
    if (!window.Plotly || !gd.layout || !gd.data) return;
    if (!gd._nnkbOwn) {
      gd._nnkbOwn = {
        legend: copy(gd.layout.legend),
        margin: copy(gd.layout.margin),
        height: gd.layout.height,
        title: copy(gd.layout.title),
        modes: gd.data.map(function (t) { return t.mode; }),
        axes: {},
        // Bars (or groups of them) along x: a phone cannot show many side by side.
        categories: gd.data.reduce(function (most, t) {
          var x = t.type === "bar" && t.orientation !== "h" && t.x;
          var n = x ? (Array.isArray(x[0]) ? x[0].length : x.length) : 0;
          return Math.max(most, n);
        }, 0),
        // The longest category name along x (a two-level axis: its inner level).
        longest: gd.data.reduce(function (most, t) {
          var x = t.type === "bar" && t.orientation !== "h" && t.x;
          var names = x ? (Array.isArray(x[0]) ? x[x.length - 1] : x) : [];
          return names.reduce(function (m, v) { return Math.max(m, String(v).length); }, most);
        }, 0)
      };
      axisKeys(gd).forEach(function (key) {
        var axis = gd.layout[key] || {};
        gd._nnkbOwn.axes[key] = {
          tickvals: axis.tickvals, ticktext: axis.ticktext, nticks: axis.nticks,
          automargin: axis.automargin, tickangle: axis.tickangle, type: axis.type
        };
      });
    }
    var colours = dark() ? DARK : LIGHT;
    var layout = {
      paper_bgcolor: colours.paper,
      plot_bgcolor: colours.plot,
      "font.color": colours.font
    };
    Object.keys(gd.layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        layout[key + ".gridcolor"] = colours.grid;
        layout[key + ".linecolor"] = colours.line;
        layout[key + ".zerolinecolor"] = colours.zero;
      }
    });
    var own = gd._nnkbOwn;
    if (gd.clientWidth && gd.clientWidth < NARROW) {
      // The legend goes to the bottom of the figure, in a band of its own below the axis
      // labels: one line per trace, as a phone has no room for them side by side.
      var names = {};
      gd.data.forEach(function (t) { if (t.showlegend !== false && t.name) names[t.name] = 1; });
      var rows = Object.keys(names).length;
      var band = rows ? 24 + 20 * rows : 0;
      var legend = copy(own.legend);
      legend.orientation = "v";
      legend.x = 0;
      legend.xanchor = "left";
      legend.yref = "container";
      legend.y = 0;
      legend.yanchor = "bottom";
      layout.legend = legend;
      var margin = copy(own.margin);
      margin.t = 70;
      margin.l = Math.min(margin.l || 70, 50);
      margin.r = 10;
      margin.b = (margin.b || 60) + band;
      layout.margin = margin;
      layout.height = (own.height || 460) + band;
      // A long title is broken before its parenthesis and set smaller.
      var title = copy(own.title);
      if (typeof title.text === "string") title.text = title.text.replace(/ \(/, "<br>(");
      title.font = { size: 13 };
      layout.title = title;
      // Fewer tick labels: every other one of a hand-set axis, and at most a few of the
      // others, so that none is dropped or overprinted.
      axisKeys(gd).forEach(function (key) {
        var axis = own.axes[key];
        if (axis.tickvals && axis.tickvals.length > 6) {
          var keep = function (_, i) { return i % 2 === 0; };
          layout[key + ".tickvals"] = axis.tickvals.filter(keep);
          layout[key + ".ticktext"] = (axis.ticktext || axis.tickvals).filter(keep);
        } else if (!axis.tickvals && axis.type !== "category" && axis.type !== "multicategory") {
          layout[key + ".nticks"] = 5;
        }
        layout[key + ".automargin"] = true;
      });
      // A chart of many bars keeps a readable width and scrolls inside its own box.
      if (own.categories > 4 || (own.categories > 1 && own.longest > 14)) {
        layout.width = Math.max(720, 22 * own.categories);
        gd.parentElement.classList.add("nnkb-chart-scroll");
        // A box that scrolls takes the keyboard focus, to be scrolled without a pointer.
        gd.parentElement.setAttribute("tabindex", "0");
        layout["xaxis.tickangle"] = -90;
        // Upright names take their length below the axis: the figure grows by as much, or
        // the plot is squeezed to a strip above them.
        layout.height += Math.round(6.5 * own.longest);
      }
    } else {
      layout.legend = copy(own.legend);
      layout.margin = copy(own.margin);
      layout.height = own.height;
      layout.title = copy(own.title);
      axisKeys(gd).forEach(function (key) {
        var axis = own.axes[key];
        layout[key + ".tickvals"] = axis.tickvals;
        layout[key + ".ticktext"] = axis.ticktext;
        layout[key + ".nticks"] = axis.nticks;
        layout[key + ".automargin"] = axis.automargin;
        layout[key + ".tickangle"] = axis.tickangle;
      });
      layout.width = null;
      gd.parentElement.classList.remove("nnkb-chart-scroll");
      gd.parentElement.removeAttribute("tabindex");
    }
    // The one black trace colour of the palette would vanish on the dark background.
    var colour = [];
    var indices = [];
    gd.data.forEach(function (trace, index) {
      var marker = trace.marker && trace.marker.color;
      var line = trace.line && trace.line.color;
      if ([marker, line].some(function (c) { return c === LIGHT.ink || c === DARK.ink; })) {
        colour.push(colours.ink);
        indices.push(index);
      }
    });
    // The fragment's div is "height: 100%" of a wrapper sized at the first draw; it follows
    // the figure's height here, or the band below would be cut off.
    gd.style.height = (layout.height || 460) + "px";
    // The wrapper plotly wrote keeps its first height: it follows too, or the chart would
    // spill over what comes after it (a scrolling box needs room for its scrollbar).
    if (gd.parentElement) {
      var scrolls = gd.parentElement.classList.contains("nnkb-chart-scroll");
      gd.parentElement.style.height = ((layout.height || 460) + (scrolls ? 16 : 0)) + "px";
      gd.style.width = layout.width ? layout.width + "px" : "100%";
    }
    Plotly.relayout(gd, layout);
    // On a phone the points' text labels would cover each other: hover names each point.
    var narrow = gd.clientWidth && gd.clientWidth < NARROW;
    var modes = own.modes.map(function (mode) {
      return narrow && mode ? mode.replace("+text", "") : mode;
    });
    if (own.modes.some(function (mode) { return mode && mode.indexOf("+text") >= 0; })) {
      Plotly.restyle(gd, { mode: modes });
    }
    if (indices.length) Plotly.restyle(gd, { "marker.color": colour, "line.color": colour }, indices);
  }

  function updateAll() {
    document.querySelectorAll(".plotly-graph-div").forEach(function (gd) {
      if (gd._fullLayout) update(gd);
    });
  }

  // plotly.js (1.5 MB) is fetched once, when the first chart comes near the screen.
  var script = document.currentScript;
  var plotlyUrl = script && script.getAttribute("data-plotly");
  var loading = null;

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = plotlyUrl;
        tag.async = true;
        tag.onload = resolve;
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function draw(holder) {
    var gd = document.getElementById(holder.getAttribute("data-nnkb-chart"));
    if (!gd || gd._nnkbDrawn) return;
    gd._nnkbDrawn = true;
    var figure = JSON.parse(holder.textContent);
    loadPlotly().then(function () {
      // Each chart in a task of its own, after plotly.js's evaluation: the page stays
      // responsive between them.
      return new Promise(function (resolve) { setTimeout(resolve, 0); });
    }).then(function () {
      return Plotly.newPlot(gd, figure.data, figure.layout, figure.config);
    }).then(function () {
      update(gd);
      gd.setAttribute("data-nnkb-drawn", "");
    });
  }

  function start() {
    var holders = document.querySelectorAll("script[data-nnkb-chart]");
    if (!holders.length || !plotlyUrl) return;
    if ("IntersectionObserver" in window) {
      // Half a screen ahead: the chart is drawn as the reader reaches it.
      var seen = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          seen.unobserve(entry.target);
          draw(entry.target.nnkbHolder);
        });
      }, { rootMargin: "0px 0px 50% 0px" });
      holders.forEach(function (holder) {
        var gd = document.getElementById(holder.getAttribute("data-nnkb-chart"));
        if (!gd) return;
        gd.nnkbHolder = holder;
        seen.observe(gd);
      });
    } else {
      holders.forEach(draw);
    }
    new MutationObserver(updateAll).observe(document.body, {
      attributes: true, attributeFilter: ["data-md-color-scheme"]
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(updateAll, 150);
    });
  }

  start();
})();
