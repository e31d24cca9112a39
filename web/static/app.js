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
