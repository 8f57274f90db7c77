// SiMO cabinet: small progressive enhancements; every page works without this file.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // Send page: filter the employee list as you type; "all" greys the list out.
  const search = document.getElementById("staff-search");
  const list = document.getElementById("staff-list");
  if (search && list) {
    // Russian users type е for ё: compare both folded.
    const fold = (s) => s.toLowerCase().replaceAll("ё", "е");
    search.addEventListener("input", () => {
      const q = fold(search.value.trim());
      for (const row of list.querySelectorAll("label[data-search]")) {
        row.hidden = q !== "" && !fold(row.dataset.search).includes(q);
      }
    });
  }
  const all = document.getElementById("send-all");
  if (all && list) {
    const sync = () => list.classList.toggle("all-on", all.checked);
    all.addEventListener("change", sync);
    sync();
  }
  // Copy a freshly shown token.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "✓";
    });
  }
  // Filters: changing a select applies it at once.
  const filters = document.getElementById("filters");
  if (filters) {
    for (const select of filters.querySelectorAll("select")) {
      select.addEventListener("change", () => filters.requestSubmit());
    }
  }
});
