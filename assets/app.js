// Kept in a file (not inline) so the Content-Security-Policy can forbid inline script.
import { initAll } from "/static/dist/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// A table wider than the screen scrolls inside a container of its own, so the page itself never scrolls
// sideways on a phone. A container that scrolls is a named region in the tab order, so that keyboard
// users can scroll it too; one that fits is left out of the tab order.
const tableContainers = [...document.querySelectorAll(".govuk-table")].map((table) => {
  const container = document.createElement("div");
  container.className = "app-table-container";
  table.before(container);
  container.append(table);
  const caption = table.querySelector("caption")?.textContent.trim();
  return { container, label: caption || "Table" };
});
const markScrollingTables = () => {
  for (const { container, label } of tableContainers) {
    if (container.scrollWidth > container.clientWidth) {
      container.setAttribute("role", "region");
      container.setAttribute("aria-label", `${label} (scrolls sideways)`);
      container.tabIndex = 0;
    } else {
      container.removeAttribute("role");
      container.removeAttribute("aria-label");
      container.removeAttribute("tabindex");
    }
  }
};
markScrollingTables();
window.addEventListener("resize", markScrollingTables);

// A page waiting for a background job (a matching run) reloads once the API says the job has ended.
// It asks soon, since a round of a few hundred pupils takes a fraction of a second, then less often.
const waiting = document.querySelector("[data-reload-when-finished]");
if (waiting) {
  const url = waiting.getAttribute("data-reload-when-finished");
  let delay = 150;
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const { status } = await response.json();
        if (status !== "queued" && status !== "running") {
          window.location.reload();
          return;
        }
      }
    } catch {
      // The network dropped for a moment: try again on the next tick.
    }
    delay = Math.min(delay * 2, 1000);
    window.setTimeout(poll, delay);
  };
  window.setTimeout(poll, delay);
}
