// The submit page: send a report to the real /fhir endpoints as a demo institution, then show the receipt or the
// OperationOutcome, what the store kept (read back with the demo reader's token) and the aggregates that changed.

const form = document.getElementById("submit-form");
const box = document.getElementById("bundle");
const labSelect = document.getElementById("lab");
const endpointLabel = document.getElementById("submit-endpoint");
const statusLine = document.getElementById("status");
const readerAuth = { Authorization: `Bearer ${form.dataset.readerToken}`, Accept: "application/json" };

function say(message, isError = false) {
  statusLine.textContent = message;
  statusLine.classList.toggle("error", isError);
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function variantLink(id, label) {
  const a = el("a", label);
  a.href = `/variants/${encodeURIComponent(id)}`;
  return a;
}

function tableOf(headers, rows) {
  const table = el("table");
  const head = table.createTHead().insertRow();
  for (const h of headers) { const th = el("th", h); th.scope = "col"; head.appendChild(th); }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) { const td = tr.insertCell(); td.append(cell instanceof Node ? cell : String(cell ?? "—")); }
  }
  return table;
}

function endpointFor(text) {
  try {
    const resource = JSON.parse(text);
    if (resource.resourceType === "Bundle") return ["transaction", "batch"].includes(resource.type) ? "/fhir" : "/fhir/Bundle";
    if (["DiagnosticReport", "Observation"].includes(resource.resourceType)) return `/fhir/${resource.resourceType}`;
  } catch { /* not JSON yet: varshare will say so */ }
  return "/fhir/Bundle";
}

function showEndpoint() { endpointLabel.textContent = endpointFor(box.value); }

async function loadExample() {
  let option = labSelect.selectedOptions[0];
  if (option.dataset.example !== "yes") {
    option = [...labSelect.options].find((o) => o.dataset.example === "yes");
    labSelect.value = option.value;
  }
  say(`Making an example report for ${option.value}…`);
  const response = await fetch(`${form.dataset.exampleUrl}?lab=${encodeURIComponent(option.value)}`);
  const answer = await response.json();
  if (!response.ok) { say(answer.error ? answer.error.message : `HTTP ${response.status}`, true); return; }
  box.value = JSON.stringify(answer, null, 2);
  showEndpoint();
  say(`Example report for ${option.value} loaded: a new patient report that disagrees with a current aggregate.`);
}

function parameters(resource) {
  const out = { variants: [], outcome: null };
  for (const p of resource.parameter || []) {
    if (p.name === "variant") out.variants.push(Object.fromEntries(p.part.map((x) => [x.name, x.valueString ?? x.valueCode ?? x.valueBoolean])));
    else if (p.name === "outcome") out.outcome = p.resource;
    else out[p.name] = p.valueId ?? p.valueCode ?? p.valueInteger ?? p.valueBoolean ?? p.valueString;
  }
  return out;
}

function issuesTable(outcome) {
  const rows = (outcome.issue || []).map((i) => [el("span", i.severity, `issue-${i.severity}`), (i.expression || i.location || []).join(", ") || "—",
    i.diagnostics || (i.details && i.details.text) || i.code]);
  return tableOf(["Severity", "Location", "Message"], rows);
}

function receiptView(receipt) {
  const wrap = el("div");
  const dl = el("dl", undefined, "receipt");
  const facts = [["Report", receipt.report], ["Status", receipt.status], ["Revision", receipt.revision],
    ["Store version", receipt.storeVersion], ["Replayed (already stored)", receipt.replayed ? "yes" : "no"],
    ["Classifications created", receipt.classificationsCreated], ["… unchanged", receipt.classificationsUnchanged],
    ["… superseded", receipt.classificationsSuperseded], ["Findings", receipt.findings], ["Cases", receipt.cases]];
  for (const [name, value] of facts) { dl.append(el("dt", name), el("dd", value ?? "—")); }
  wrap.appendChild(dl);
  wrap.appendChild(tableOf(["Variant", "Key", "Kind"], receipt.variants.map((v) => [variantLink(v.id, v.id), v.key, v.kind])));
  // Warnings, and notes such as departures from the Genomics Reporting profiles (information): both help a lab fix
  // its feed, and neither stopped the report from being stored.
  const issues = (receipt.outcome && receipt.outcome.issue) || [];
  if (issues.length) {
    const warned = issues.some((i) => i.severity !== "information");
    wrap.appendChild(el("h3", warned ? "Warnings and notes" : "Notes"));
    wrap.appendChild(issuesTable(receipt.outcome));
  }
  return wrap;
}

// Identifying values in what was sent: none of them may appear in what the store answers.
function identifyingValues(resource) {
  const found = [];
  const walk = (node) => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) { node.forEach(walk); return; }
    if (node.resourceType === "Patient") {
      for (const n of node.name || []) found.push(["Patient name", [...(n.given || []), n.family].filter(Boolean).join(" ")]);
      for (const i of node.identifier || []) found.push(["Patient identifier", i.value]);
      if (node.birthDate) found.push(["Birth date", node.birthDate]);
      for (const a of node.address || []) found.push(["Address", [...(a.line || []), a.city, a.postalCode].filter(Boolean).join(", ")]);
      for (const t of node.telecom || []) found.push(["Telecom", t.value]);
    }
    if (node.conclusion) found.push(["Report conclusion (free text)", node.conclusion]);
    Object.values(node).forEach(walk);
  };
  walk(resource);
  return found.filter(([, value]) => value);
}

async function showStored(receipt, submitter, texts) {
  const stored = document.getElementById("stored");
  for (const v of receipt.variants) {
    const response = await fetch(`/api/variants/${encodeURIComponent(v.id)}`, { headers: readerAuth });
    const text = await response.text();
    texts.push(text);
    if (!response.ok) { stored.appendChild(el("p", `${v.key}: HTTP ${response.status}`)); continue; }
    const d = JSON.parse(text);
    const section = el("section", undefined, "stored-variant");
    const h = el("h3");
    h.appendChild(variantLink(d.id, `${d.gene || ""} ${d.key}`.trim()));
    section.appendChild(h);
    const a = d.aggregate;
    section.appendChild(el("p", a ? `Aggregate now: ${a.classification} (${a.review_status}, ${a.submitter_count} submitters)${a.conflict ? ` — conflict: ${a.explanation}` : ""}` : "No aggregate."));
    section.appendChild(el("p", `Also written as: ${(d.aliases || []).map((x) => `${x.kind} ${x.value}`).join(" · ") || "—"}`, "hint"));
    const mine = (d.submissions || []).filter((s) => s.submitter === submitter);
    section.appendChild(tableOf(["Submitter", "Classification", "Review status", "Condition", "Last evaluated"],
      mine.map((s) => [s.submitter, s.term, s.review_status, s.condition.code || s.condition.text || s.condition.key, s.date_last_evaluated])));
    if (d.cases) section.appendChild(el("p", `Carriers in the store: ${d.cases.carriers} (counts below ${d.cases.k} are not shown).`, "hint"));
    stored.appendChild(section);
  }
}

function showDeidentification(sent, texts) {
  const deid = document.getElementById("deid");
  const values = identifyingValues(sent);
  if (!values.length) { deid.appendChild(el("p", "The report named no patient: only the classifications were shared.", "hint")); return; }
  const all = texts.join("\n");
  deid.appendChild(el("p", "Identifying data in what you sent, looked for in every answer read back from the store:"));
  deid.appendChild(tableOf(["Field", "Value sent", "In the store?"], values.map(([field, value]) => [field, value,
    all.includes(value) ? el("strong", "FOUND", "issue-error") : el("span", "not stored", "ok")])));
}

async function showChanges(receipt) {
  const changes = document.getElementById("changes");
  if (receipt.replayed) { changes.appendChild(el("p", "This exact report was stored before: nothing changed now.")); return; }
  const response = await fetch(`/api/changes?since=${receipt.storeVersion - 1}&limit=200`, { headers: readerAuth });
  const answer = await response.json();
  const items = (answer.items || []).filter((c) => c.version === receipt.storeVersion);
  if (!items.length) { changes.appendChild(el("p", "No aggregate changed: the classifications agree with what was there.")); return; }
  const keys = Object.fromEntries(receipt.variants.map((v) => [v.id, v.key]));
  changes.appendChild(tableOf(["Variant", "Scope", "Before", "After", "Why"], items.map((c) => [
    variantLink(c.variant, keys[c.variant] || c.variant), c.condition_key ? `condition ${c.condition_key}` : "variant (all conditions)",
    c.old ? c.old.classification : "(none)", c.new ? `${c.new.classification}${c.new.conflict ? " (conflict)" : ""}` : "(none)", c.cause.kind])));
}

// POST the box's JSON to path as the chosen demo institution; clears the answer panels and shows the raw answer.
async function send(path, option) {
  document.getElementById("results").hidden = false;
  for (const id of ["stored-panel", "changes-panel"]) document.getElementById(id).hidden = true;
  const receiptBox = document.getElementById("receipt");
  receiptBox.replaceChildren();
  const started = performance.now();
  const response = await fetch(path, { method: "POST", body: box.value,
    headers: { Authorization: `Bearer ${option.dataset.token}`, "Content-Type": "application/fhir+json", Accept: "application/fhir+json" } });
  const text = await response.text();
  document.getElementById("timing").textContent = `HTTP ${response.status} · ${(performance.now() - started).toFixed(0)} ms`;
  let answer = null;
  try { answer = JSON.parse(text); document.getElementById("raw-response").textContent = JSON.stringify(answer, null, 2); }
  catch { document.getElementById("raw-response").textContent = text; }
  return { response, text, answer, receiptBox };
}

async function submit(event) {
  event.preventDefault();
  const option = labSelect.selectedOptions[0];
  const path = endpointFor(box.value);
  let sent = null;
  try { sent = JSON.parse(box.value); } catch { sent = null; }
  say(`Submitting to ${path} as ${option.value}…`);
  const { response, text, answer, receiptBox } = await send(path, option);
  const receipts = [];
  if (answer && answer.resourceType === "Parameters") receipts.push(parameters(answer));
  else if (answer && answer.resourceType === "Bundle") {
    for (const entry of answer.entry || []) {
      const outcome = entry.response && entry.response.outcome;
      receiptBox.appendChild(el("p", `Entry: ${entry.response ? entry.response.status : "?"}`));
      if (outcome && outcome.resourceType === "Parameters") { receipts.push(parameters(outcome)); receiptBox.appendChild(receiptView(receipts.at(-1))); }
      else if (outcome) receiptBox.appendChild(issuesTable(outcome));
    }
  } else if (answer && answer.resourceType === "OperationOutcome") {
    receiptBox.appendChild(el("p", `Refused (HTTP ${response.status}): nothing was stored.`));
    receiptBox.appendChild(issuesTable(answer));
  } else {
    receiptBox.appendChild(el("p", answer && answer.error ? `HTTP ${response.status}: ${answer.error.message}` : `HTTP ${response.status}`));
  }
  if (answer && answer.resourceType === "Parameters") receiptBox.appendChild(receiptView(receipts[0]));
  if (!receipts.length) { say(`Refused: HTTP ${response.status}. Nothing was stored.`, true); return; }
  say(`Stored (HTTP ${response.status}): report ${receipts[0].report} at store version ${receipts[0].storeVersion}.`);
  for (const id of ["stored-panel", "changes-panel"]) document.getElementById(id).hidden = false;
  for (const id of ["stored", "deid", "changes"]) document.getElementById(id).replaceChildren();
  const texts = [text];
  for (const receipt of receipts) {
    await showStored(receipt, option.value, texts);
    await showChanges(receipt);
  }
  showDeidentification(sent, texts);
}

// FHIR $validate: what submitting would report, with nothing stored.
async function validateOnly() {
  const option = labSelect.selectedOptions[0];
  const endpoint = endpointFor(box.value);
  const path = `${endpoint === "/fhir" ? "/fhir/Bundle" : endpoint}/$validate`;
  say(`Checking with ${path} as ${option.value}…`);
  const { response, answer, receiptBox } = await send(path, option);
  if (!response.ok || !answer || answer.resourceType !== "OperationOutcome") {
    const why = answer && answer.issue ? answer.issue.map((i) => i.diagnostics).join("; ") : `HTTP ${response.status}`;
    say(`Could not check: ${why}`, true);
    return;
  }
  const count = (...severities) => answer.issue.filter((i) => severities.includes(i.severity)).length;
  const errors = count("error", "fatal");
  receiptBox.appendChild(el("p", `Checked (HTTP ${response.status}): nothing was stored.`));
  receiptBox.appendChild(issuesTable(answer));
  say(`Checked: ${errors ? `it would be refused (${errors} error${errors > 1 ? "s" : ""})` : "it would be accepted"}; `
    + `${count("warning")} warning(s), ${count("information")} note(s). Nothing was stored.`, errors > 0);
}

document.getElementById("validate").addEventListener("click", () => { validateOnly().catch((e) => say(`Could not check: ${e.message}`, true)); });
document.getElementById("load-example").addEventListener("click", () => { loadExample().catch((e) => say(e.message, true)); });
document.getElementById("bundle-file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => { box.value = String(reader.result); showEndpoint(); say(`Loaded ${file.name}.`); };
  reader.onerror = () => say(`Could not read ${file.name}.`, true);
  reader.readAsText(file);
});
box.addEventListener("input", showEndpoint);
form.addEventListener("submit", (event) => { submit(event).catch((e) => say(`Could not submit: ${e.message}`, true)); });
