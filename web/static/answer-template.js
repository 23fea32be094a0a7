// The answer form: choosing a template puts its text in the answer box to edit
// (a file: the CSP allows scripts from this origin only). Without scripts the
// server sends the chosen template when the box is left empty.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("an-template");
  var text = document.getElementById("an-text");
  if (!select || !text) return;
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option && option.dataset.body) text.value = option.dataset.body;
  });
});
