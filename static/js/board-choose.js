// Choosing the images to assign in the assign dialog's grid (board and batch page): click to choose,
// shift-click for a range, and "first N", "last N", "every other", "none". The choice is plain
// checkboxes named "images": the server checks every id and assigns exactly those (workflow.assign).
(function () {
  "use strict";

  function grid(element) { return element.closest && element.closest("[data-image-choice]"); }
  function boxes(choice) { return Array.prototype.slice.call(choice.querySelectorAll("[data-choose-image]")); }

  var lastClicked = null;

  function update(choice, changed) {
    var list = boxes(choice);
    var n = list.filter(function (box) { return box.checked; }).length;
    var label = choice.querySelector("[data-choose-count]");
    label.textContent = n === 0 ? choice.dataset.chosenNone :
      n === 1 ? choice.dataset.chosenOne : window.BinaBoard.format(choice.dataset.chosenMany, { n: n });
    list.forEach(function (box) { box.closest(".choice-tile").classList.toggle("chosen", box.checked); });
    var chosenScope = choice.closest("form").querySelector("[data-scope-chosen]");
    if (n > 0 && chosenScope && !chosenScope.checked) chosenScope.checked = true;
    // The consequence sentence is the server's: tell the dialog's preview the inputs changed.
    if (changed) choice.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var box = target.closest && target.closest("[data-choose-image]");
    if (box) {
      var choice = grid(box);
      var list = boxes(choice);
      if (event.shiftKey && lastClicked && lastClicked.isConnected && grid(lastClicked) === choice) {
        var a = list.indexOf(lastClicked), b = list.indexOf(box);
        list.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) { other.checked = box.checked; });
      }
      lastClicked = box;
      update(choice, false); // before the checkbox's "change" reaches the preview: the scope is already "chosen"
      return;
    }
    var button = target.closest && target.closest("[data-choose]");
    if (!button) return;
    var group = grid(button);
    var all = boxes(group);
    // A text box, not type=number, which drops the Persian digits a Persian keyboard types.
    var typed = window.BinaBoard.latinDigits(group.querySelector("[data-choose-n]").value.trim());
    var n = Math.max(0, Math.min(all.length, /^[0-9]+$/.test(typed) ? parseInt(typed, 10) : 0));
    all.forEach(function (other, index) {
      switch (button.dataset.choose) {
        case "first": other.checked = index < n; break;
        case "last": other.checked = index >= all.length - n; break;
        case "other": other.checked = index % 2 === 0; break;
        default: other.checked = false;
      }
    });
    update(group, true);
  });

  // A click on a checkbox already sends "change" to the preview; keep the count and the scope in step.
  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("[data-choose-image]");
    if (!box) return;
    var choice = grid(box);
    var chosenScope = choice.closest("form").querySelector("[data-scope-chosen]");
    if (chosenScope && !chosenScope.checked) chosenScope.checked = true;
    update(choice, false);
  });

  function init(root) {
    var found = root.matches && root.matches("[data-image-choice]") ? [root] : root.querySelectorAll("[data-image-choice]");
    Array.prototype.forEach.call(found, function (choice) { update(choice, false); });
  }
  if (window.htmx) htmx.onLoad(init);
  init(document);
})();
