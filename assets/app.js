// Kept in a file (not inline) so the Content-Security-Policy can forbid inline script.
import { initAll } from "/static/dist/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// A page waiting for a background job (a matching run) reloads once the API says the job has ended.
const waiting = document.querySelector("[data-reload-when-finished]");
if (waiting) {
  const url = waiting.getAttribute("data-reload-when-finished");
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
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
}
