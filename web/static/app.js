// Atrium back office: the little behaviour htmx does not cover. No inline scripts, so the
// Content-Security-Policy can forbid them.
document.addEventListener("click", function (event) {
  // Line editors: remove a row in place. Without JavaScript the same button submits the
  // form and the server re-renders it without the row.
  var button = event.target.closest("[data-remove-row]");
  if (!button) return;
  event.preventDefault();
  var row = button.closest("tr");
  if (row) row.remove();
});

// Lookup fields (a SKU or barcode in a line editor): Enter, which a barcode scanner sends
// after the code, looks the code up instead of sending the form, and moves on to the
// line's quantity.
function lookupField(event) {
  if (event.key !== "Enter" || !event.target.closest) return null;
  return event.target.closest("input[data-lookup]");
}
document.addEventListener("keydown", function (event) {
  var input = lookupField(event);
  if (!input) return;
  event.preventDefault();
  // A line added a moment ago may not be wired up by htmx yet (a scanner is quick).
  if (window.htmx) window.htmx.process(input);
  input.dispatchEvent(new Event("change", { bubbles: true }));
});
// Some keyboards (and scanners) still send the keypress that would submit the form.
document.addEventListener("keypress", function (event) {
  if (lookupField(event)) event.preventDefault();
});
// Once the key is up, on to the quantity (earlier, the keypress would land there).
document.addEventListener("keyup", function (event) {
  var input = lookupField(event);
  var row = input && input.closest("tr");
  var next = row && row.querySelector("input[name='line_qty']");
  if (next) next.focus();
});
