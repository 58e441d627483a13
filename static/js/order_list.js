/* The order list's bulk-action bar: counts the ticked orders and ticks a whole page.
 * Without JavaScript the checkboxes and the bar still work; only the live count is missing. */
(function () {
  "use strict";

  function update(form) {
    var items = form.querySelectorAll("[data-bulk-item]");
    var ticked = form.querySelectorAll("[data-bulk-item]:checked").length;
    var label = form.querySelector("[data-bulk-count]");
    var all = form.querySelector("[data-bulk-all]");
    if (label) {
      label.textContent = ticked === 0 ? label.dataset.none
        : ticked === 1 ? label.dataset.one
        : label.dataset.many.replace("__count__", String(ticked));
    }
    if (all) {
      all.checked = ticked > 0 && ticked === items.length;
      all.indeterminate = ticked > 0 && ticked < items.length;
    }
    form.querySelectorAll("[data-bulk-submit]").forEach(function (button) {
      button.disabled = ticked === 0;
    });
  }

  function boot() {
    document.querySelectorAll("[data-bulk-form]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.matches("[data-bulk-all]")) {
          form.querySelectorAll("[data-bulk-item]").forEach(function (box) {
            box.checked = event.target.checked;
          });
        }
        update(form);
      });
      update(form);
    });
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
