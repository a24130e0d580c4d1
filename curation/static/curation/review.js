// The review queue's select-all box. The page works without this script (a "Select all on this
// page" link re-renders the page with every box ticked); with it, the header box ticks or clears
// every row of the page at once and shows how many are selected.

const form = document.getElementById("bulk-review");
if (form) {
  const all = document.getElementById("pick-all");
  const count = document.getElementById("picked-count");
  const boxes = () => Array.from(form.querySelectorAll('input[type=checkbox][name="ids"]'));

  const update = () => {
    const list = boxes();
    const picked = list.filter((b) => b.checked).length;
    all.checked = picked > 0 && picked === list.length;
    all.indeterminate = picked > 0 && picked < list.length;
    count.textContent = picked ? `${picked} of ${list.length} on this page selected.` : "";
  };

  if (all && count) {
    document.documentElement.classList.add("js"); // hides the no-JavaScript "Select all" link
    for (const el of form.querySelectorAll(".js-only")) el.hidden = false;
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
      update();
    });
    form.addEventListener("change", (event) => {
      if (event.target instanceof HTMLInputElement && event.target.name === "ids") update();
    });
    update();
  }
}
