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
  // "All" or a group stands instead of the ticks: the list greys out and is not sent.
  const all = document.getElementById("send-all");
  const group = document.getElementById("send-group");
  if (all && list) {
    const sync = () => {
      const instead = all.checked || (group !== null && group.value !== "");
      list.classList.toggle("all-on", instead);
      for (const box of list.querySelectorAll('input[name="staff"]')) box.disabled = instead;
    };
    all.addEventListener("change", () => {
      if (all.checked && group) group.value = "";
      sync();
    });
    group?.addEventListener("change", () => {
      if (group.value !== "") all.checked = false;
      sync();
    });
    sync();
  }
  // Send page: "Schedule for" names the button and needs a time; picking a time chooses it.
  const later = document.getElementById("send-later");
  const at = document.getElementById("send-at");
  const submit = document.getElementById("send-submit");
  if (later && at && submit) {
    const sync = () => {
      submit.textContent = later.checked ? submit.dataset.later : submit.dataset.now;
      at.required = later.checked;
    };
    for (const radio of document.querySelectorAll('input[name="when"]')) radio.addEventListener("change", sync);
    at.addEventListener("input", () => {
      later.checked = at.value !== "";
      sync();
    });
    // Only a scheduled send repeats: choosing a repeat chooses "Schedule for".
    document.getElementById("send-repeat")?.addEventListener("change", (event) => {
      if (event.target.value !== "") later.checked = true;
      sync();
    });
    sync();
  }
  // Send page: choosing a template fills the form in at once, keeping the ticked employees.
  const pick = document.getElementById("tpl-select");
  if (pick) {
    pick.addEventListener("change", () => {
      const params = new URLSearchParams();
      if (pick.value) params.append("template", pick.value);
      for (const box of document.querySelectorAll('#staff-list input[name="staff"]:checked')) params.append("staff", box.value);
      window.location.assign(`/cabinet/send?${params}`);
    });
    document.getElementById("tpl-apply")?.classList.add("js-hidden");
  }
  // Actions that cannot be undone ask first; without this file they go at once.
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
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
  // Employee list: tick the whole page at once; ticked-row buttons wait for a tick; acting on
  // everyone found asks first.
  const bulk = document.getElementById("bulk");
  if (bulk) {
    const boxes = [...document.querySelectorAll('input[name="id"][form="bulk"]')];
    const page = document.getElementById("pick-page");
    const count = document.getElementById("ticked-count");
    const sync = () => {
      const n = boxes.filter((b) => b.checked).length;
      for (const button of bulk.querySelectorAll("button[data-needs-ticks]")) button.disabled = n === 0;
      if (count) count.textContent = `\u00a0(${n})`;
      if (page) {
        page.checked = n > 0 && n === boxes.length;
        page.indeterminate = n > 0 && n < boxes.length;
      }
    };
    for (const box of boxes) box.addEventListener("change", sync);
    if (page) {
      page.addEventListener("change", () => {
        for (const box of boxes) box.checked = page.checked;
        sync();
      });
    }
    sync();
  }
  // Filters: changing a select applies it at once.
  const filters = document.getElementById("filters");
  if (filters) {
    for (const select of filters.querySelectorAll("select")) {
      select.addEventListener("change", () => filters.requestSubmit());
    }
  }
});
