// The workbench's one script: the verification inbox's badge in the menu,
// kept current without a reload (every 20 s). Everything else works
// without JavaScript.
const badge = document.getElementById("inbox-badge");

async function refresh() {
  try {
    const r = await fetch("/console/inbox/badge", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) return;
    /** @type {{open: number, urgent: number}} the badge's counts */
    const n = await r.json();
    badge.hidden = n.open === 0;
    badge.textContent = String(n.open);
    badge.classList.toggle("urgent", n.urgent > 0);
    badge.setAttribute("aria-label", n.open + " 件待答复" + (n.urgent ? "，" + n.urgent + " 件逾期或即将到期" : ""));
  } catch (e) {
    // offline: keep what is shown
  }
}

if (badge) {
  refresh();
  setInterval(refresh, 20000);
}
