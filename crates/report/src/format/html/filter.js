// Findings filters (progressive enhancement: the bar is hidden in the HTML and every row shows
// without this script). Rows carry data-severity, data-fixable, data-kev ("yes"/"no") and
// data-search (package name, id and aliases, lowercased). A row shows when it matches every
// active filter: one of the pressed severities (none pressed: any), "fixable only", "KEV only",
// and every word typed in the search box.
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  var bar = document.getElementById("findings-filters");
  if (!table || !bar || !table.tBodies.length) return;
  var text = document.getElementById("filter-text");
  var fixable = document.getElementById("filter-fixable");
  var kev = document.getElementById("filter-kev");
  var status = document.getElementById("filter-status");
  var clear = document.getElementById("filter-clear");
  var chips = Array.prototype.slice.call(bar.querySelectorAll("button[data-severity]"));
  function apply() {
    var words = text.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var wanted = chips.filter(function (c) { return c.getAttribute("aria-pressed") === "true"; })
      .map(function (c) { return c.getAttribute("data-severity"); });
    var rows = table.tBodies[0].rows;
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var search = row.getAttribute("data-search") || "";
      var ok = (wanted.length === 0 || wanted.indexOf(row.getAttribute("data-severity")) !== -1) &&
        (!fixable.checked || row.getAttribute("data-fixable") === "yes") &&
        (!kev.checked || row.getAttribute("data-kev") === "yes") &&
        words.every(function (w) { return search.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    var total = rows.length;
    status.textContent = shown === total
      ? "Showing all " + total + (total === 1 ? " finding" : " findings")
      : "Showing " + shown + " of " + total + (total === 1 ? " finding" : " findings");
    clear.disabled = words.length === 0 && wanted.length === 0 && !fixable.checked && !kev.checked;
  }
  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      chip.setAttribute("aria-pressed", chip.getAttribute("aria-pressed") === "true" ? "false" : "true");
      apply();
    });
  });
  text.addEventListener("input", apply);
  fixable.addEventListener("change", apply);
  kev.addEventListener("change", apply);
  clear.addEventListener("click", function () {
    text.value = "";
    fixable.checked = false;
    kev.checked = false;
    chips.forEach(function (c) { c.setAttribute("aria-pressed", "false"); });
    apply();
  });
  bar.hidden = false;
  apply();
})();
