// The Tickets list's bulk actions: "Select all on this page" ticks every row's checkbox, shows
// as mixed while only some are ticked, and a polite live region says how many are selected.
// Without JavaScript the rows' checkboxes and the buttons work alone (the form is a plain POST).
import { interpolate, ngettext } from "../common/i18n.js";

const form = document.querySelector("[data-bulk-form]");
if (form) {
  const all = form.querySelector("[data-select-all]");
  const boxes = [...form.querySelectorAll("[data-select-ticket]")];
  const count = form.querySelector("[data-bulk-count]");

  const update = () => {
    const ticked = boxes.filter((box) => box.checked).length;
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (count) {
      count.textContent = interpolate(ngettext("%(count)s selected", "%(count)s selected", ticked), { count: ticked });
    }
  };

  if (all && boxes.length) {
    all.hidden = false;
    all.addEventListener("change", () => {
      for (const box of boxes) box.checked = all.checked;
      update();
    });
  }
  for (const box of boxes) box.addEventListener("change", update);
  update();
}
