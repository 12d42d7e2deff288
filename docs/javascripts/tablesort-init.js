/* Sortable tables: mkdocs-material's tablesort recipe (document$ fires on every page, also with
 * instant navigation), plus a sort for the quantities the site prints ("850 µs", "12.3 ms",
 * "1.8x", "44.0 MB", "11.7 M", "12.3 GFLOP/s", "2,048"). Such text sorts wrongly as text, so a
 * column whose cells all read as quantities gets each cell's value in SI units as data-sort,
 * and its header the "nnkb-quantity" sort method. A range ("2.98–3.01 ms", a confidence
 * interval) sorts by its midpoint. Footnote markers are not part of a value; cells without a
 * value ("—", "–", "not cited", a status in words such as "not benchmarked") sort after every
 * number. Key-value tables (specifications,
 * settings: render/shared/tables.py wraps them in .nnkb-key-value) are read row by row and not sorted. */
(function () {
  "use strict";

  var MISSING = /^(?:|—|–|-|not cited|n\/a)$/i;
  // A status in words ("not benchmarked", "timed out", "failed") in a column of numbers: no
  // value, sorted after every number, never a reason to sort the column as text.
  var WORDS = /^[^\d]*$/;
  var NUMBER = "[-+]?\\d[\\d,]*(?:\\.\\d+)?(?:e[-+]?\\d+)?";
  var QUANTITY = new RegExp("^(" + NUMBER + ")\\s*([^\\s\\d(]*)", "i");
  // "2.98–3.01 ms", "2.98-3.01 ms", "850 µs–1.02 ms": the unit may follow either end.
  var RANGE = new RegExp(
    "^(" + NUMBER + ")\\s*([^\\s\\d(–-]*)\\s*[–-]\\s*(" + NUMBER + ")\\s*([^\\s\\d(]*)$", "i"
  );
  var UNITS = { "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1, "x": 1, "%": 1, "b": 1 };
  var PREFIXES = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  var NO_VALUE = "~";

  function cellText(cell) {
    var copy = cell.cloneNode(true);
    copy.querySelectorAll("sup").forEach(function (sup) { sup.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  /* The value of a quantity in SI units, null when the text is missing, undefined when the
   * text is not a quantity. */
  function quantity(text) {
    if (MISSING.test(text)) return null;
    var range = RANGE.exec(text);
    if (range) {
      var low = scaled(range[1], range[2] || range[4]);
      var high = scaled(range[3], range[4]);
      return low === undefined || high === undefined ? undefined : (low + high) / 2;
    }
    var match = QUANTITY.exec(text);
    if (!match) return undefined;
    return scaled(match[1], match[2]);
  }

  /* A number with its unit, in SI units; undefined when the unit is not one the site prints. */
  function scaled(number, unit) {
    var value = parseFloat(number.replace(/,/g, ""));
    if (unit === "") return value;
    if (Object.prototype.hasOwnProperty.call(UNITS, unit)) return value * UNITS[unit];
    if (Object.prototype.hasOwnProperty.call(PREFIXES, unit[0])) {
      return value * PREFIXES[unit[0]];
    }
    return /^[a-z%/]+$/i.test(unit) ? value : undefined;
  }

  // For the tests (tests/test_browser.py): the value a cell's text sorts by.
  window.nnkbSortValue = quantity;

  Tablesort.extend(
    "nnkb-quantity",
    function () { return false; },  // chosen through data-sort-method only
    function (a, b) {
      // tablesort's convention: positive when a sorts before b in descending order.
      var x = a === NO_VALUE ? Infinity : parseFloat(a);
      var y = b === NO_VALUE ? Infinity : parseFloat(b);
      if (x === y) return 0;
      return x < y ? 1 : -1;
    }
  );

  function markQuantityColumns(table) {
    var body = table.tBodies[0];
    var head = table.tHead;
    if (!body || !head || !head.rows.length) return;
    var headers = head.rows[0].cells;
    for (var column = 0; column < headers.length; column++) {
      var values = [];
      var numbers = 0;
      for (var r = 0; r < body.rows.length; r++) {
        var cell = body.rows[r].cells[column];
        var text = cell ? cellText(cell) : "";
        var value = cell ? quantity(text) : null;
        if (value === undefined && WORDS.test(text)) value = null;
        if (value === undefined) { values = null; break; }
        if (value !== null) numbers++;
        values.push(value);
      }
      if (!values || numbers === 0) continue;
      for (r = 0; r < body.rows.length; r++) {
        var target = body.rows[r].cells[column];
        if (target) target.setAttribute("data-sort", values[r] === null ? NO_VALUE : String(values[r]));
      }
      headers[column].setAttribute("data-sort-method", "nnkb-quantity");
    }
  }

  document$.subscribe(function () {
    document.querySelectorAll("article table:not([class])").forEach(function (table) {
      if (table.closest(".nnkb-key-value")) return;
      markQuantityColumns(table);
      new Tablesort(table);
    });
  });
})();
