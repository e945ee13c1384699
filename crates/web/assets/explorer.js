// The explorer's conveniences; the page works without them (a GET form). A changed choice
// submits the form, so the address always says what is shown; the map's départements show
// their name and value in a tooltip on hover and on keyboard focus.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.selection");
  if (form) {
    form.addEventListener("change", () => form.requestSubmit());
  }
  const tip = document.getElementById("tooltip");
  if (!tip) return;
  const show = (el, x, y) => {
    tip.textContent = el.getAttribute("aria-label");
    tip.hidden = false;
    tip.style.left = `${x + 12}px`;
    tip.style.top = `${y + 12}px`;
  };
  const hide = () => { tip.hidden = true; };
  for (const el of document.querySelectorAll("[data-departement]")) {
    el.addEventListener("mousemove", (e) => show(el, e.clientX, e.clientY));
    el.addEventListener("mouseleave", hide);
    el.addEventListener("focus", () => {
      const r = el.getBoundingClientRect();
      show(el, r.left + r.width / 2, r.top + r.height / 2);
    });
    el.addEventListener("blur", hide);
  }
});
