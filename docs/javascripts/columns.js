/* Measured tables (a "Median" column among many) show their key columns first: model,
 * runtime and precision, median, throughput, accuracy, status. The others (p90, confidence
 * interval, memory, agreement, process spread...) are folded behind a button above the table,
 * which shows them all and folds them again. Nothing is removed: the full table is one click
 * away, and in the downloads. Runs after tablesort-init.js (the header clicks still sort). */
(function () {
  "use strict";

  var KEEP = /^(rank|model|use case|machine|runtime|fastest runtime|median|throughput|inferences|sustained|.*accuracy|meets floor|status)/i;
  var MEASURED = /^median/i;
  var MIN_COLUMNS = 7;
  var HIDDEN = "nnkb-col-folded";

  function headerTexts(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) return [];
    return Array.prototype.map.call(head.rows[0].cells, function (cell) {
      return cell.textContent.replace(/\s+/g, " ").trim();
    });
  }

  function setFolded(table, folded, extra) {
    Array.prototype.forEach.call(table.rows, function (row) {
      extra.forEach(function (index) {
        var cell = row.cells[index];
        if (cell) cell.classList.toggle(HIDDEN, folded);
      });
    });
  }

  function fold(table) {
    if (table.dataset.nnkbColumns) return;
    var titles = headerTexts(table);
    if (titles.length < MIN_COLUMNS || !titles.some(function (t) { return MEASURED.test(t); })) return;
    var extra = [];
    titles.forEach(function (title, index) { if (!KEEP.test(title)) extra.push(index); });
    if (!extra.length) return;
    table.dataset.nnkbColumns = "folded";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "md-button nnkb-columns-toggle";
    var names = extra.map(function (i) { return titles[i]; }).join(", ");
    function label(folded) {
      button.textContent = folded
        ? "Show all " + titles.length + " columns (+ " + names + ")"
        : "Show fewer columns";
      button.setAttribute("aria-expanded", folded ? "false" : "true");
    }
    button.addEventListener("click", function () {
      var folded = table.dataset.nnkbColumns !== "folded";
      table.dataset.nnkbColumns = folded ? "folded" : "all";
      setFolded(table, folded, extra);
      label(folded);
    });
    // Material wraps each table in a scrolling box: the button goes above that box.
    var anchor = table.closest(".md-typeset__scrollwrap") || table;
    anchor.parentNode.insertBefore(button, anchor);
    setFolded(table, true, extra);
    label(true);
  }

  function start() {
    document.querySelectorAll("article table:not([class])").forEach(function (table) {
      if (table.closest(".nnkb-key-value, .nnkb-cited")) return;
      fold(table);
    });
  }

  if (window.document$) {
    document$.subscribe(start);
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
