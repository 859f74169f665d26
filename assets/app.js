// Kept in a file (not inline) so the Content-Security-Policy can forbid inline script.
import { initAll } from "/static/dist/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
