// The public verification page: looks a letter up by receipt number,
// digest or file (hashed here, in the browser, by the WebAssembly
// verifier), shows its public record, and checks its proof bundle in the
// browser rather than trusting the server's answer.
"use strict";
// Types from the API contract (api.d.ts, generated from openapi.yaml by
// scripts/api.sh; tsc checks this script against them in make test).
/** @typedef {import("./api").components["schemas"]["VerifyResult"]} VerifyResult */
/** @typedef {import("./api").components["schemas"]["Commitment"]} Commitment */
/** @typedef {import("./api").components["schemas"]["Verdict"]} Verdict */
/** @typedef {import("./api").components["schemas"]["Error"]} APIError */

/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
// WORDS (words.js) holds the Chinese word of every code a record carries.
const word = (code) => (code && WORDS[code]) || code || "—";
// The verdict's kinds, from what matters most to a reader, and their look.
const VERDICT_CLASS = { false: "bad", withdrawn: "warn", concluded: "done", checking: "warn", valid: "ok", pending: "done" };
let wasm = null;
let current = null; // {id, digest}

function loadVerifier() {
  if (!wasm) {
    const go = new Go();
    wasm = WebAssembly.instantiateStreaming(fetch("/verify/assets/chengnuo.wasm"), go.importObject)
      .then((r) => { go.run(r.instance); return true; });
  }
  return wasm;
}

function esc(s) { return String(s ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";"); }
function when(t) { return t ? new Date(t).toLocaleString("zh-CN", { hour12: false }) : "—"; }

/** @param {VerifyResult} v */
function show(v) {
  const out = $("result");
  if (!v.anchored) {
    out.innerHTML = `<p class="status bad" id="verdict">未找到存证 <span lang="en">Not anchored</span></p>
      <p>摘要 <code>${esc(v.letterDigest)}</code> 不在账本上（账本高度 ${esc(v.height)}）。若文件有任何改动，摘要就会不同。</p>`;
    $("proof").hidden = true;
    return;
  }
  const r = v.record;
  const names = v.names || {};
  const dept = (org) => names[org] || org;
  /** @type {Verdict} */
  const verdict = v.verdict || { kind: "valid", text: word(r.status), english: r.status };
  current = { id: r.id, digest: r.letterDigest };
  const rows = (r.history || []).map((h) => `<tr><td>${esc(word(h.status))}</td><td>${esc(dept(h.org))}</td><td>${esc(when(h.at))}</td></tr>`).join("");
  const o = r.outcome;
  let outcome = "";
  if (o) {
    const d = o.disposal;
    const parts = [word(o.result)];
    if (o.level) parts.push("失信等级：" + word(o.level));
    if (d && d.measures && d.measures.length) parts.push("处理措施：" + d.measures.map(word).join("、"));
    if (d && d.rectificationDeadline) parts.push("整改期限：" + d.rectificationDeadline);
    outcome = `<dt>核查结论 <span lang="en">Outcome</span></dt><dd id="r-outcome">${esc(parts.join("；"))}（${esc(when(o.at))}）</dd>`;
  }
  const scan = r.scanDigest ? `<dt>扫描件摘要 <span lang="en">Scan digest</span></dt><dd><code>${esc(r.scanDigest)}</code></dd>` : "";
  out.innerHTML = `<p class="status verdict-${VERDICT_CLASS[verdict.kind] || "done"}" id="verdict" data-kind="${esc(verdict.kind)}">${esc(verdict.text)}
      <span lang="en">${esc(verdict.english)}</span></p>
    <p class="anchored">已在各部门共享的账本上存证 <span lang="en">Anchored on the departments' shared ledger</span></p>
    <dl>
      <dt>回执编号 <span lang="en">Commitment</span></dt><dd id="r-id">${esc(r.id)}</dd>
      <dt>受理部门 <span lang="en">Department</span></dt><dd id="r-org">${esc(dept(r.org))}</dd>
      <dt>证明事项 <span lang="en">Item</span></dt><dd>${esc(r.itemCode)} 第 ${esc(r.itemVersion)} 版</dd>
      <dt>签署方式 <span lang="en">Signed</span></dt><dd>${esc(word(r.signedBy))}</dd>
      <dt>承诺书状态 <span lang="en">Status</span></dt><dd id="r-status">${esc(statusText(r, verdict))}</dd>
      ${outcome}
      <dt>存证时间 <span lang="en">Anchored at</span></dt><dd>${esc(when(r.anchoredAt))}</dd>
      <dt>区块 <span lang="en">Block</span></dt><dd>${esc(r.blockNumber)}（本回答反映账本高度 ${esc(v.height)}）</dd>
      <dt>承诺书摘要 <span lang="en">SM3 digest</span></dt><dd><code>${esc(r.letterDigest)}</code></dd>
      ${scan}
    </dl>
    <p><a id="receipt-link" href="/verify/receipt?id=${encodeURIComponent(r.id)}">查看存证凭证 <span lang="en">The receipt</span></a></p>
    <h2>办理记录 <span lang="en">History</span></h2>
    <table id="history"><thead><tr><th scope="col">状态 Status</th><th scope="col">部门 Department</th><th scope="col">时间 Time</th></tr></thead><tbody>${rows}</tbody></table>`;
  $("download").href = "/v1/commitments/" + encodeURIComponent(r.id) + "/proof";
  $("proof").hidden = false;
  $("proof-result").textContent = "";
}

// statusText is the record's state in words. A commitment found false keeps
// the status ACTIVE on the ledger (its outcome sits apart): it never reads
// 有效 here.
/** @param {Commitment} r @param {Verdict} verdict */
function statusText(r, verdict) {
  if (verdict.kind === "false") {
    return word("FALSE") + (r.status !== "ACTIVE" ? "；" + word(r.status) : "");
  }
  return word(r.status) + (r.verification ? "；" + word(r.verification) : "");
}

async function lookup(query) {
  query = query.trim();
  $("result").textContent = "查询中… Checking…";
  let url;
  if (/^[0-9a-fA-F]{64}$/.test(query)) {
    url = "/v1/verify/" + query.toLowerCase();
  } else if (/^CN[0-9a-f]{24}$/.test(query)) {
    const r = await fetch("/v1/public/commitments/" + query);
    if (r.status === 404) { show({ anchored: false, letterDigest: query, commitmentId: "" }); return; }
    /** @type {Commitment & APIError} */
    const rec = await r.json();
    if (!r.ok) { $("result").textContent = rec.message || r.statusText; return; }
    url = "/v1/verify/" + rec.letterDigest;
  } else {
    $("result").innerHTML = `<p class="status bad">请输入回执编号（CN 开头）或 64 位摘要 <span lang="en">Enter a receipt number (CN…) or a 64-hex digest</span></p>`;
    return;
  }
  const res = await fetch(url);
  /** @type {VerifyResult & APIError} */
  const v = await res.json();
  if (!res.ok) { $("result").textContent = v.message || res.statusText; return; }
  show(v);
}

// hashFile returns the file's SM3 digest computed in this browser, or null
// when the WebAssembly hasher cannot run here. The page promises that only
// the digest leaves the browser: it never falls back to uploading the file.
async function hashFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    await loadVerifier();
    return chengnuoSM3(bytes);
  } catch (e) {
    wasm = null; // try again next time
    return null;
  }
}

async function lookupFile(file) {
  const digest = await hashFile(file);
  if (digest) { lookup(digest); return; }
  $("proof").hidden = true;
  $("result").innerHTML = `<p class="status bad" id="no-hash">无法在本浏览器中计算文件摘要 <span lang="en">This browser cannot hash the file here</span></p>
    <p>文件没有上传。请改为输入回执编号或摘要，或换用支持 WebAssembly 的浏览器。
    <span lang="en">The file was not uploaded. Enter the receipt number or digest instead, or use a browser with WebAssembly.</span></p>`;
}

async function checkProof() {
  const out = $("proof-result");
  out.textContent = "正在本机核验… Checking in this browser…";
  out.className = "";
  try {
    await loadVerifier();
    const bundle = await (await fetch("/v1/commitments/" + encodeURIComponent(current.id) + "/proof")).text();
    // The pin is what the person typed, never a value from this server.
    const pin = $("genesis").value.trim();
    const a = JSON.parse(chengnuoVerify(bundle, pin, "", ""));
    if (!a.ok) {
      out.textContent = "核验未通过 Proof NOT verified — " + a.check + ": " + a.reason;
      out.className = "verdict bad";
    } else if (!a.proven) {
      out.textContent = "未锁定创世区块，不能证明 Not pinned — NOT proven\n" +
        "证明文件自洽，但没有与各部门公布的创世区块哈希核对：任何人都能编造一个自洽的网络。请填写公布的哈希后再核验。\n" + a.text;
      out.className = "verdict warn";
    } else {
      out.textContent = "核验通过 Proof verified\n" + a.text;
      out.className = "verdict ok";
    }
  } catch (e) {
    out.textContent = "无法在本机核验：" + e;
  }
}

$("lookup").addEventListener("submit", (e) => { e.preventDefault(); lookup($("query").value); });
$("file").addEventListener("change", () => { const f = $("file").files[0]; if (f) lookupFile(f); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault(); drop.classList.remove("over");
  const f = e.dataTransfer.files[0]; if (f) lookupFile(f);
});
$("check").addEventListener("click", checkProof);
const id = new URLSearchParams(location.search).get("id");
if (id) { $("query").value = id; lookup(id); }
