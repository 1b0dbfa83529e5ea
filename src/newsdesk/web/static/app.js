// Live search and "run now": the pages work without this script (plain links
// and forms); it only saves reloads.
"use strict";

function liveSearch() {
  const form = document.getElementById("search");
  const results = document.getElementById("results");
  if (!form || !results) return;
  let timer = null;
  let latest = 0;
  const update = () => {
    const params = new URLSearchParams(new FormData(form));
    const ticket = ++latest;
    history.replaceState(null, "", "/search?" + params);
    params.set("partial", "1");
    fetch("/search?" + params)
      .then((r) => r.text())
      .then((html) => { if (ticket === latest) results.innerHTML = html; });
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
  form.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(timer); update(); });
}

function runNow() {
  const button = document.getElementById("run-now");
  const status = document.getElementById("run-progress");
  if (!button) return;
  const token = () => new URLSearchParams(location.hash.slice(1)).get("token");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "starting…";
    const headers = { "Content-Type": "application/json", "X-Newsdesk": "1" };
    if (token()) headers["Authorization"] = "Bearer " + token();
    const r = await fetch("/api/runs", {
      method: "POST", headers, body: JSON.stringify({ topic: button.dataset.topic }),
    });
    const body = await r.json();
    if (!r.ok) { status.textContent = body.error; button.disabled = false; return; }
    const poll = async () => {
      const run = await (await fetch(body.url)).json();
      if (run.status === "running") {
        const p = run.progress || {};
        status.textContent = `${p.stage || "running"} ${p.total ? p.done + "/" + p.total : ""}`;
        setTimeout(poll, 1000);
      } else if (run.status === "ok") {
        status.textContent = "done";
        location.reload();
      } else {
        status.textContent = "failed: " + run.message;
        button.disabled = false;
      }
    };
    poll();
  });
}

document.addEventListener("DOMContentLoaded", () => { liveSearch(); runNow(); });
