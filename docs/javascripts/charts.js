/* Charts follow the page: the palette (mkdocs-material sets data-md-color-scheme on <body>,
 * "slate" for dark) and the width (below 600 px the legend moves under the plot, where it
 * cannot overlap the title or the toolbar). render/charts.py draws every figure for the light
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

  function update(gd) {
    if (!window.Plotly || !gd.layout || !gd.data) return;
    if (!gd._nnkbOwn) {
      gd._nnkbOwn = {
        legend: copy(gd.layout.legend),
        margin: copy(gd.layout.margin),
        height: gd.layout.height,
        title: copy(gd.layout.title),
        modes: gd.data.map(function (t) { return t.mode; })
      };
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
    } else {
      layout.legend = copy(own.legend);
      layout.margin = copy(own.margin);
      layout.height = own.height;
      layout.title = copy(own.title);
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
    document.querySelectorAll(".plotly-graph-div").forEach(update);
  }

  function start(tries) {
    var charts = document.querySelectorAll(".plotly-graph-div");
    if (!charts.length) return;
    var ready = Array.prototype.every.call(charts, function (gd) { return gd._fullLayout; });
    if (!ready && tries > 0) {
      setTimeout(function () { start(tries - 1); }, 100);
      return;
    }
    updateAll();
    new MutationObserver(updateAll).observe(document.body, {
      attributes: true, attributeFilter: ["data-md-color-scheme"]
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(updateAll, 150);
    });
  }

  start(50);
})();
